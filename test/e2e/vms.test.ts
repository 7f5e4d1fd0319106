import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scripts } from '../../core/hypervisors/hyperv/runner';
import { launchBrowser, screenshot } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { repoRoot, tempDirManual } from '../helpers/temp';
import { startVcsim, VCSIM_PASSWORD, VCSIM_USER, type Vcsim } from '../helpers/vcsim';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const LARGE = 2000;

let data: ReturnType<typeof tempDirManual>;
let replay: ReturnType<typeof tempDirManual>;
let sim: Vcsim;
let tlsSim: Vcsim;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

/** A Hyper-V host with 2,000 VMs, as hand-written output (Windows PowerShell 5.1 shape) replayed by the engine. */
function writeLargeHyperVRecording(dir: string): void {
  const template = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'ps51-inventory.json'), 'utf8').replace(/^\uFEFF/, ''),
  ) as {
    data: { vms: Record<string, unknown>[] };
  };
  const vms = Array.from({ length: LARGE }, (_, i) => ({
    ...template.data.vms[i % template.data.vms.length],
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `HV-VM-${String(i).padStart(4, '0')}`,
  }));
  fs.writeFileSync(path.join(dir, `${scripts.listVms}.json`), '\uFEFF' + JSON.stringify({ ok: true, data: { host: 'HV-BIG', vms } }));
  fs.writeFileSync(
    path.join(dir, `${scripts.host}.json`),
    '{"ok":true,"data":{"name":"HV-BIG","product":"Microsoft Windows Server 2022 Datacenter","version":"10.0.20348"}}',
  );
}

beforeAll(async () => {
  data = tempDirManual();
  replay = tempDirManual();
  writeLargeHyperVRecording(replay.dir);
  const setup = runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], {
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
  });
  expect(setup.status, setup.stderr).toBe(0);
  [sim, tlsSim] = await Promise.all([startVcsim(), startVcsim({ tls: true, vms: 1 })]);
  lifeboat = await serveConsole(['--data', data.dir]);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
  await page.goto(lifeboat.url);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  await Promise.all([sim?.stop(), tlsSim?.stop()]);
  data?.remove();
  replay?.remove();
});

async function rowCount(): Promise<number> {
  return page.getByTestId('vm-row').count();
}

async function addHostDialog(kind: 'Hyper-V' | 'VMware vSphere' | 'VMware Workstation'): Promise<void> {
  await page.getByRole('button', { name: 'Add host' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.waitFor();
  await dialog.getByText(kind, { exact: true }).click();
}

describe('Virtual machines page', () => {
  it('starts empty with what to do, and fills with the sample lab', async () => {
    await page.getByRole('link', { name: 'Virtual machines' }).click();
    await page.getByRole('heading', { name: 'No virtual machines found yet' }).waitFor();
    await screenshot(page, 'vms-1-empty');
    await page.getByRole('button', { name: 'Try the sample lab' }).click();
    await page.getByText('lab-files01', { exact: true }).waitFor();
    expect(await rowCount()).toBe(3);
    expect(await page.getByTestId('vm-count').textContent()).toBe('3 VMs');
    await page.getByText('Not protected').first().waitFor();
    await screenshot(page, 'vms-2-sample-lab');
  });

  it('adds the vSphere simulator through the dialog and lists its VMs with disks and networks', async () => {
    await addHostDialog('VMware vSphere');
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    await dialog.getByLabel('Host name or IP address').fill(`127.0.0.1:${sim.port}`);
    await dialog.getByLabel('User name').fill(VCSIM_USER);
    await dialog.locator('input[type="password"]').fill('not-the-password');
    await dialog.getByLabel(/Plain HTTP/).check();
    await dialog.getByLabel('Name in Lifeboat (optional)').fill('vcsim');
    await dialog.getByRole('button', { name: 'Check and add' }).click();
    await dialog.getByText('wrong user name or password').waitFor();
    await screenshot(page, 'vms-3-add-host-wrong-password');
    await dialog.locator('input[type="password"]').fill(VCSIM_PASSWORD);
    await dialog.getByRole('button', { name: 'Check and add' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('DC0_C0_RP0_VM0', { exact: true }).waitFor();
    await page.getByTestId('vm-count').filter({ hasText: '6 VMs' }).waitFor();

    await page.getByLabel('Search VMs').fill('DC0_C0');
    await page.getByTestId('vm-count').filter({ hasText: '3 of 6 VMs' }).waitFor();
    expect(await rowCount()).toBe(3);
    await screenshot(page, 'vms-4-vsphere-search');
    await page.getByLabel('Search VMs').fill('');
    await page.getByTestId('vm-count').filter({ hasText: '6 VMs' }).waitFor();
  });

  it('shows a self-signed certificate to confirm, then pins it', async () => {
    await addHostDialog('VMware vSphere');
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    await dialog.getByLabel('Host name or IP address').fill(`127.0.0.1:${tlsSim.port}`);
    await dialog.getByLabel('User name').fill(VCSIM_USER);
    await dialog.locator('input[type="password"]').fill(VCSIM_PASSWORD);
    await dialog.getByLabel('Name in Lifeboat (optional)').fill('vcsim-tls');
    await dialog.getByRole('button', { name: 'Check and add' }).click();
    const thumbprint = dialog.getByTestId('certificate-thumbprint');
    await thumbprint.waitFor();
    expect((await thumbprint.textContent())?.replace(/:/g, '').toLowerCase()).toBe(tlsSim.thumbprint);
    await screenshot(page, 'vms-5-confirm-certificate');
    await dialog.getByRole('button', { name: 'Trust this certificate and add' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('vm-count').filter({ hasText: '7 VMs' }).waitFor();
  });

  it(`renders ${LARGE} more VMs from a Hyper-V host without freezing: only visible rows are in the page`, async () => {
    // The host answers from saved outputs: a setting of the host (`--replay`), sent to the running engine.
    const started = Date.now();
    const added = runCli(['--data', data.dir, 'hosts', 'add', 'hyperv', '--name', 'HV-BIG', '--replay', replay.dir]);
    expect(added.status, added.stderr).toBe(0);
    const discovered = runCli(['--data', data.dir, 'discover', '--host', 'HV-BIG']);
    expect(discovered.status, discovered.stderr).toBe(0);
    await page
      .getByTestId('vm-count')
      .filter({ hasText: `${LARGE + 7} VMs` })
      .waitFor({ timeout: 120_000 });
    const listed = Date.now() - started;

    const rows = await rowCount();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(80);
    // The page stays responsive: typing filters immediately.
    const typed = Date.now();
    await page.getByLabel('Search VMs').fill('HV-VM-1999');
    await page
      .getByTestId('vm-count')
      .filter({ hasText: `1 of ${LARGE + 7} VMs` })
      .waitFor();
    const filteredIn = Date.now() - typed;
    await page.getByLabel('Search VMs').fill('');
    await page
      .getByTestId('vm-count')
      .filter({ hasText: `${LARGE + 7} VMs` })
      .waitFor();

    const scrolled = Date.now();
    await page.getByTestId('vm-table-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.getByText('lab-web01', { exact: true }).waitFor();
    const scrolledIn = Date.now() - scrolled;
    expect(await rowCount()).toBeLessThan(80);
    await screenshot(page, 'vms-6-2000-scrolled');

    const timing = { vms: LARGE + 7, addAndDiscoverAndRenderMs: listed, filterMs: filteredIn, scrollToEndMs: scrolledIn, domRows: rows };
    fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, 'test-results', 'vms-large-inventory.json'), JSON.stringify(timing, null, 2));
    console.log('large inventory timing', timing);
  });

  it('filters by host and power state', async () => {
    await page
      .getByRole('textbox', { name: 'Host', exact: true })
      .or(page.getByRole('combobox', { name: 'Host', exact: true }))
      .first()
      .click();
    await page.getByRole('option', { name: 'vcsim', exact: true }).click();
    await page
      .getByTestId('vm-count')
      .filter({ hasText: `3 of ${LARGE + 7} VMs` })
      .waitFor();
    await page
      .getByRole('textbox', { name: 'Host', exact: true })
      .or(page.getByRole('combobox', { name: 'Host', exact: true }))
      .first()
      .click();
    await page.getByRole('option', { name: 'Sample lab', exact: true }).click();
    await page
      .getByRole('textbox', { name: 'Power state', exact: true })
      .or(page.getByRole('combobox', { name: 'Power state', exact: true }))
      .first()
      .click();
    await page.getByRole('option', { name: 'Running', exact: true }).click();
    await page.getByText('No VM matches these filters.').waitFor();
    await page
      .getByRole('textbox', { name: 'Power state', exact: true })
      .or(page.getByRole('combobox', { name: 'Power state', exact: true }))
      .first()
      .click();
    await page.getByRole('option', { name: 'Off', exact: true }).click();
    await page
      .getByTestId('vm-count')
      .filter({ hasText: `3 of ${LARGE + 7} VMs` })
      .waitFor();
    await screenshot(page, 'vms-7-filtered');
  });
});
