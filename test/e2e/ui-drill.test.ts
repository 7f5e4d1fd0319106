import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { callApi, dismissToasts, openDashboard, settle, shot } from '../helpers/ui';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

interface Job {
  id: string;
  kind: string;
  status: string;
}

/** Waits for the first copies by following the engine's job list (the events a console would get). */
async function waitForCopies(count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const statuses = (await callApi<Job[]>(lifeboat, 'listJobs')).filter((j) => j.kind === 'replication').map((j) => j.status);
    if (statuses.length === count && statuses.every((s) => s === 'succeeded')) return;
    if (statuses.some((s) => s === 'failed') || Date.now() > deadline) throw new Error(`first copies: ${statuses.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
  // The scene: the sample lab protected, its first copies in the vault.
  const vms = await callApi<{ id: string }[]>(lifeboat, 'listVms');
  const settings = await callApi<{ vault: { id: string } }>(lifeboat, 'getSettings');
  const policy = await callApi<{ id: string }>(lifeboat, 'createPolicy', {
    name: 'Sample lab',
    vmIds: vms.map((vm) => vm.id),
    targetId: settings.vault.id,
    rpoMinutes: 60,
  });
  await callApi(lifeboat, 'runNow', { policyId: policy.id });
  await waitForCopies(3);
  page = await openDashboard(browser, lifeboat.url, { acceptDownloads: true });
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('test failover', () => {
  it('runs from one click on a VM to a passed drill, with a live timeline and the console screenshot', async () => {
    await page.getByRole('link', { name: 'Protection' }).click();
    await page.getByRole('button', { name: 'Test failover of lab-web01' }).click();
    await page.getByRole('heading', { name: /^Test failover: / }).waitFor();
    await page.getByTestId('drill-timeline').waitFor();
    await shot(page, 'drill-1-live-timeline');
    await page.getByTestId('drill-summary').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('drill-summary').textContent()).toContain('Every VM came back');
    const evidence = page.getByTestId('drill-vm').filter({ hasText: 'lab-web01' });
    expect(await evidence.innerText()).toMatch(/printed "LIFEBOAT-BOOT-OK lab-web01" on its serial console/);
    // The guest's own words, verbatim, labelled in plain words.
    expect(await evidence.getByTestId('check-evidence').filter({ hasText: 'Serial console' }).locator('pre').innerText()).toContain(
      'LIFEBOAT-BOOT-OK lab-web01',
    );
    await evidence.getByRole('img', { name: 'Console of lab-web01 during the drill' }).waitFor();
    expect(await page.getByTestId('drill-timeline').textContent()).toContain('Verify nothing is left');
    await dismissToasts(page);
    await settle(page);
    await shot(page, 'drill-2-passed');
  });

  it('builds a recovery plan from VMs, ordered by dragging, and tests it with one click', async () => {
    await page.getByRole('link', { name: 'Drills' }).click();
    await page.getByTestId('drill-row').first().waitFor();
    await page.getByRole('button', { name: 'New recovery plan' }).click();
    const wizard = page.getByRole('dialog', { name: 'New recovery plan' });
    await wizard.getByLabel('Select all').check();
    await wizard.getByRole('button', { name: 'Next' }).click();

    // All three start together at first; the domain controller goes first, the others after it.
    expect(await wizard.getByTestId('plan-group').count()).toBe(1);
    await wizard.getByTestId('plan-vm').filter({ hasText: 'lab-files01' }).dragTo(wizard.getByTestId('plan-new-group'));
    await wizard.getByTestId('plan-group').nth(1).waitFor();
    await wizard.getByTestId('plan-vm').filter({ hasText: 'lab-web01' }).dragTo(wizard.getByTestId('plan-group').nth(1));
    await wizard.getByRole('button', { name: 'Start lab-web01 earlier' }).waitFor();
    expect(await wizard.getByTestId('plan-group').nth(0).textContent()).toContain('lab-dc01');
    expect(await wizard.getByTestId('plan-group').nth(1).textContent()).toMatch(/lab-files01.*lab-web01/);
    // The keyboard way does the same: move lab-web01 up and back down.
    await wizard.getByRole('button', { name: 'Start lab-web01 earlier' }).click();
    expect(await wizard.getByTestId('plan-group').nth(0).textContent()).toContain('lab-web01');
    await wizard.getByRole('button', { name: 'Start lab-web01 later' }).click();
    expect(await wizard.getByTestId('plan-group').nth(1).textContent()).toContain('lab-web01');
    await shot(page, 'drill-3-plan-order');
    await wizard.getByRole('button', { name: 'Next' }).click();

    await wizard.getByTestId('plan-checks').first().waitFor();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByLabel('Everything must be running again within (minutes)').fill('30');
    await wizard
      .getByRole('textbox', { name: 'Run a drill automatically' })
      .or(wizard.getByRole('combobox', { name: 'Run a drill automatically' }))
      .first()
      .click();
    await page.getByRole('option', { name: 'Monthly (1st, 06:00)' }).click();
    await wizard.getByLabel('Name of this plan').fill('Office servers');
    await shot(page, 'drill-4-plan-goals');
    await wizard.getByRole('button', { name: 'Save plan' }).click();
    await wizard.waitFor({ state: 'hidden' });

    const card = page.getByTestId('plan-card').filter({ hasText: 'Office servers' });
    expect(await card.textContent()).toContain('lab-dc01 → go on at once → lab-files01 + lab-web01');
    expect(await card.textContent()).toContain('Monthly (1st, 06:00)');
    await dismissToasts(page);
    await card.getByRole('button', { name: 'Test failover of Office servers' }).click();
    await page.getByRole('heading', { name: 'Test failover: Office servers' }).waitFor();
    await page.getByTestId('drill-summary').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('drill-vm').count()).toBe(3);
    expect(
      await page.getByTestId('drill-summary').textContent(),
      JSON.stringify((await callApi<{ vms: unknown[] }[]>(lifeboat, 'listDrills'))[0]?.vms),
    ).toContain('Within the goal of 30 min');
    await dismissToasts(page);
    await settle(page);
    await shot(page, 'drill-5-plan-passed');

    const plans = await callApi<{ name: string; schedule: string | null; groups: { vms: unknown[] }[] }[]>(lifeboat, 'listPlans');
    expect(plans.find((p) => p.name === 'Office servers')).toMatchObject({
      schedule: '0 6 1 * *',
      groups: [{ vms: [expect.anything()] }, { vms: [expect.anything(), expect.anything()] }],
    });
  });

  it('exports the drills as an auditor’s workbook from the drill result', async () => {
    await page.getByRole('button', { name: 'Export a report for your auditor' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    await page.getByTestId('report-summary').waitFor();
    await page.getByRole('button', { name: 'Export workbook' }).click();
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 });
    const file = (await page.getByTestId('export-file').textContent())!.trim();
    await shot(page, 'drill-6-report-exported');
    expect(fs.existsSync(file)).toBe(true);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(file);
    const drills = book.getWorksheet('Drills');
    const cells = JSON.stringify(drills?.getSheetValues() ?? []);
    expect(cells).toContain('Office servers');
    expect(cells).toContain('lab-web01');
  });
});
