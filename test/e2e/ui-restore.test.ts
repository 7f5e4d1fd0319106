import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vm } from '../../core/contract/hosts';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { callApi, dismissToasts, seriousAxeViolations, settle, shot } from '../helpers/ui';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;
let files01: Vm;
let pointId: string;

/** qemu-img is the referee: exit 0 means the two images hold the same guest-visible bytes. */
function compare(a: string, b: string): { status: number | null; output: string } {
  const result = spawnSync('qemu-img', ['compare', a, b], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

async function waitForJobs(kind: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const statuses = (await callApi<{ kind: string; status: string }[]>(lifeboat, 'listJobs'))
      .filter((j) => j.kind === kind)
      .map((j) => j.status);
    if (statuses.length === count && statuses.every((s) => s === 'succeeded')) return;
    if (statuses.some((s) => s === 'failed') || Date.now() > deadline) throw new Error(`${kind}: ${statuses.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The source VM's disk files as Workstation names them (relative to the .vmx, as the lab writes them). */
function diskFiles(vm: Vm): string[] {
  return vm.disks.map((d) => (path.isAbsolute(d.path) ? d.path : path.join(path.dirname(vm.externalId), d.path)));
}

beforeAll(async () => {
  data = tempDirManual();
  const setup = runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], {
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
  });
  expect(setup.status, setup.stderr).toBe(0);
  const lab = runCli(['--data', data.dir, 'lab', 'create']);
  expect(lab.status, lab.stderr).toBe(0);
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir]), launchBrowser()]);
  // The scene: lab-files01 (two disks) protected, one real copy in the vault, and a drill that used it.
  files01 = (await callApi<Vm[]>(lifeboat, 'listVms')).find((vm) => vm.name === 'lab-files01')!;
  const settings = await callApi<{ vault: { id: string } }>(lifeboat, 'getSettings');
  await callApi(lifeboat, 'createPolicy', { name: 'File server', vmIds: [files01.id], targetId: settings.vault.id, rpoMinutes: 60 });
  await callApi(lifeboat, 'runNow', { vmId: files01.id });
  await waitForJobs('replication', 1);
  pointId = (await callApi<{ id: string }[]>(lifeboat, 'listPoints', { vmId: files01.id }))[0]!.id;
  const db = openCatalog(data.dir);
  try {
    const now = new Date().toISOString();
    new DrillsStore(db).save({
      id: randomUUID(),
      planId: null,
      plan: 'Office servers',
      kind: 'test',
      status: 'passed',
      startedAt: now,
      finishedAt: now,
      operator: 'alice',
      notes: null,
      rpoSeconds: 60,
      rtoSeconds: 40,
      rpoTargetSeconds: 3600,
      rtoTargetSeconds: 1800,
      isolation: 'none: the VMs started with no network adapter',
      cleanupConfirmed: true,
      vms: [
        {
          vmId: files01.id,
          vm: files01.name,
          recoveryPointId: pointId,
          recoveryPointTime: now,
          status: 'passed',
          checks: [],
          screenshot: null,
          recoveredSeconds: 40,
          failure: null,
        },
      ],
    });
  } finally {
    db.close();
  }
  page = await browser.newPage({ viewport: { width: 1366, height: 900 }, colorScheme: 'light', bypassCSP: true }); // axe is injected as a script
  page.setDefaultTimeout(20_000);
  await page.goto(lifeboat.url);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

async function openVmPage(name: string): Promise<void> {
  await page.getByRole('link', { name: 'Virtual machines' }).click();
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

describe('restore from a VM page', () => {
  it("lists the VM's points; Restore disk writes a VMDK equal to the source; Restore as a new VM registers it", async () => {
    await openVmPage('lab-files01');
    await page.getByTestId('point-row').first().waitFor();
    expect(await page.getByTestId('point-row').count()).toBe(1);
    const row = await page.getByTestId('point-row').first().innerText();
    expect(row).toContain('Taken while off'); // a powered-off Workstation VM: its disks were frozen as they are
    expect(row).toMatch(/passed\s+Drill of Office servers/i);
    expect(await page.getByTestId('vm-facts').innerText()).toContain('2 vCPU');
    await shot(page, 'restore-1-vm-page');
    expect(await seriousAxeViolations(page)).toEqual([]);

    // A folder Lifeboat cannot write to is refused at once, with what to do.
    await page.getByRole('button', { name: 'Restore disk' }).click();
    const diskDialog = page.getByRole('dialog', { name: 'Restore a disk of lab-files01' });
    const notAFolder = path.join(data.dir, 'not-a-folder');
    fs.writeFileSync(notAFolder, 'a file where the user typed a folder');
    await diskDialog.getByLabel('Folder').fill(path.join(notAFolder, 'restores'));
    await diskDialog.getByRole('button', { name: 'Restore disk' }).click();
    await diskDialog.getByText('The restore did not start').waitFor();
    expect(await diskDialog.getByRole('alert').innerText()).toMatch(/is not a folder[\s\S]*Choose a folder/);
    await shot(page, 'restore-2-disk-folder-refused');

    // The data disk (the second one) to the default folder.
    const folder = path.join(data.dir, 'restores');
    await diskDialog.getByLabel('Folder').fill('');
    await diskDialog
      .getByRole('textbox', { name: 'Disk', exact: true })
      .or(diskDialog.getByRole('combobox', { name: 'Disk', exact: true }))
      .first()
      .click();
    await page
      .getByRole('option', { name: /lab-files01-1\.vmdk|scsi0:1/ })
      .first()
      .click();
    await diskDialog.getByRole('button', { name: 'Restore disk' }).click();
    await page.getByTestId('restore-done').waitFor({ timeout: 60_000 });
    const file = (await page.getByTestId('restored-file').innerText()).trim();
    expect(path.dirname(file)).toBe(folder);
    expect(file).toMatch(/\.vmdk$/);
    expect(file).toContain(files01.id.slice(0, 8)); // named from ids, not only the VM's name
    const source = diskFiles(files01)[1]!;
    expect(compare(file, source)).toEqual({ status: 0, output: 'Images are identical.' });
    await shot(page, 'restore-3-disk-done');

    // As a new VM on its own host: registered, listed, its disks equal to the source's.
    await page.getByRole('button', { name: 'Restore VM' }).click();
    const vmDialog = page.getByRole('dialog', { name: 'Restore lab-files01' });
    expect(await vmDialog.getByTestId('restore-new-summary').innerText()).toContain('powered off and with no network adapter');
    await settle(page);
    await shot(page, 'restore-4-new-vm-confirm');
    await vmDialog.getByRole('button', { name: 'Restore as a new VM' }).click();
    await page.getByTestId('restore-done').filter({ hasText: 'lab-files01-restored' }).waitFor({ timeout: 60_000 });
    const restored = (await callApi<Vm[]>(lifeboat, 'listVms')).find((vm) => vm.name === 'lab-files01-restored');
    expect(restored, 'the new VM is in the inventory').toBeDefined();
    expect(restored!.hostId).toBe(files01.hostId);
    expect(restored!.disks).toHaveLength(2);
    diskFiles(restored!).forEach((disk, index) => expect(compare(disk, diskFiles(files01)[index]!).status, `disk ${index}`).toBe(0));
    expect(restored!.nics).toHaveLength(0);
    await dismissToasts(page);
    await shot(page, 'restore-5-new-vm-done');
    await page.getByRole('button', { name: 'Open lab-files01-restored' }).click();
    await page.getByRole('heading', { name: 'lab-files01-restored', exact: true }).waitFor();
    await page.getByText('No recovery points yet').waitFor();

    // A second restore with the same name is refused with what to do, before anything is written.
    await openVmPage('lab-files01');
    await page.getByRole('button', { name: 'Restore VM' }).click();
    await vmDialog.getByRole('button', { name: 'Restore as a new VM' }).click();
    await vmDialog.getByText('already has a VM named lab-files01-restored').waitFor();
    await vmDialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('restores over the original only after its name is typed, and then the disks are the point again', async () => {
    const [boot, data1] = diskFiles(files01);
    // The VM "changed" after the point: the data disk differs from the disk restored from the point.
    const written = spawnSync('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0xcd 2M 64k', data1!], { encoding: 'utf8' });
    expect(written.status, written.stderr).toBe(0);
    const fromPoint = fs
      .readdirSync(path.join(data.dir, 'restores'))
      .filter((f) => f.endsWith('.vmdk'))
      .map((f) => path.join(data.dir, 'restores', f))[0]!;
    expect(compare(data1!, fromPoint).status).toBe(1);

    await page.getByRole('button', { name: 'Restore VM' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore lab-files01' });
    await dialog.getByLabel('Over lab-files01 itself').check();
    await dialog.getByTestId('restore-over-warning').waitFor();
    const replace = dialog.getByRole('button', { name: "Replace lab-files01's disks" });
    expect(await replace.isDisabled()).toBe(true);
    await dialog.getByLabel("Type the VM's name, lab-files01, to confirm").fill('lab-files');
    expect(await replace.isDisabled()).toBe(true);
    await dialog.getByLabel("Type the VM's name, lab-files01, to confirm").fill('lab-files01');
    await settle(page);
    await shot(page, 'restore-6-over-original-confirm');
    // The API refuses without the confirmation too, whatever calls it.
    await expect(callApi(lifeboat, 'restoreVmOverOriginal', { vmId: files01.id, pointId, confirm: '' })).rejects.toThrow(/type its name/);
    await replace.click();
    await page.getByTestId('restore-done').filter({ hasText: 'now hold the recovery point' }).waitFor({ timeout: 60_000 });
    expect(compare(data1!, fromPoint)).toEqual({ status: 0, output: 'Images are identical.' });
    expect(fs.readdirSync(path.dirname(boot!)).filter((f) => f.includes('lifeboat-restore'))).toEqual([]); // no temporary files left
  });
});

describe('VM table layout', () => {
  /** Every column heading, VM name and badge in the table shows whole: nothing clipped by its cell or cut with an ellipsis. */
  async function clipped(): Promise<string[]> {
    return page.getByTestId('vm-table').evaluate((table) => {
      const problems: string[] = [];
      const viewport = document.documentElement.clientWidth;
      for (const el of table.querySelectorAll<HTMLElement>('thead th, tbody a, .mantine-Badge-label')) {
        const box = el.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1) problems.push(`cut: ${el.textContent}`);
        if (el.tagName === 'A' && (box.width < 40 || box.right > viewport))
          problems.push(`name out of view: ${el.textContent} (${Math.round(box.left)}–${Math.round(box.right)})`);
      }
      return problems;
    });
  }

  it('at 1024×700 every VM name is visible and no badge is cut; at 1920×1080 the table uses the width', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('link', { name: 'Virtual machines' }).click();
    await page.getByTestId('vm-row').nth(3).waitFor();
    expect(await clipped()).toEqual([]);
    // The other columns scroll sideways under the name, which stays in view.
    await page.getByTestId('vm-table-scroller').evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    expect(await clipped()).toEqual([]);
    await shot(page, 'restore-7-vm-table-1024-scrolled');
    await page.getByTestId('vm-table-scroller').evaluate((el) => el.scrollTo({ left: 0 }));
    await shot(page, 'restore-8-vm-table-1024');

    // A common laptop: every column fits without scrolling sideways.
    await page.setViewportSize({ width: 1366, height: 768 });
    await settle(page);
    expect(await page.getByTestId('vm-table-scroller').evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    expect(await clipped()).toEqual([]);

    await page.setViewportSize({ width: 1920, height: 1080 });
    await settle(page);
    expect(await clipped()).toEqual([]);
    const width = await page.getByTestId('vm-table').evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(1920 - 230 - 120); // all but the navigation and the page's margins
    await shot(page, 'restore-9-vm-table-1920');
    await openVmPage('lab-files01');
    await shot(page, 'restore-10-vm-page-1920');
    await page.setViewportSize({ width: 1024, height: 700 });
    await settle(page);
    await shot(page, 'restore-11-vm-page-1024');
  });
});
