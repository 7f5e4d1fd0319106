import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { qemuProcesses } from '../helpers/engine';
import { tempDirManual } from '../helpers/temp';
import { callApi, dismissToasts, openDashboard, settle, shot } from '../helpers/ui';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  data = tempDirManual();
  const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE };
  expect(
    runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], env).status,
  ).toBe(0);
  expect(runCli(['--data', data.dir, 'lab', 'create']).status).toBe(0);
  expect(
    runCli(
      ['--data', data.dir, 'protect', '--vm', 'lab-dc01', '--target', path.join(data.dir, 'vault'), '--rpo', '15m', '--name', 'Servers'],
      env,
    ).status,
  ).toBe(0);
  expect(runCli(['--data', data.dir, 'run', 'Servers'], env).status).toBe(0);
  expect(runCli(['--data', data.dir, 'plan', 'create', 'Office', '--vm', 'lab-dc01']).status).toBe(0);
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir]), launchBrowser()]);
  page = await openDashboard(browser, lifeboat.url);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('real failover from the Drills page', () => {
  it('fails over after the plan name is typed, shows the live timeline, then fails back from the Dashboard banner', async () => {
    await page.getByRole('link', { name: 'Drills' }).click();
    await page.getByRole('button', { name: 'Fail over Office' }).click();
    const dialog = page.getByRole('dialog', { name: 'Fail over “Office”' });
    await dialog.waitFor();
    // Unplanned offers the choice of point (newest, app-consistent, before a time); this one is planned.
    await dialog.getByRole('radio', { name: /^Unplanned/ }).check();
    await dialog.getByLabel('Start from').first().waitFor();
    await dialog.getByRole('radio', { name: /^Planned/ }).check();
    const start = dialog.getByRole('button', { name: 'Start planned failover' });
    expect(await start.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the plan name “Office” to confirm').fill('office');
    expect(await start.isDisabled()).toBe(true); // the exact name, as the engine checks it
    await dialog.getByLabel('Type the plan name “Office” to confirm').fill('Office');
    await dialog.getByLabel('Wait for each guest to shut down (seconds)').fill('5');
    await settle(page);
    await shot(page, 'failover-1-confirm');
    await start.click();

    await page.getByRole('heading', { name: 'Planned failover: Office' }).waitFor();
    await page.getByTestId('drill-timeline').waitFor();
    await page.getByTestId('drill-summary').waitFor({ timeout: 90_000 });
    const timeline = await page.getByTestId('drill-timeline').textContent();
    expect(timeline).toContain('lab-dc01: Shut down the source');
    expect(timeline).toContain('lab-dc01: Copy the last changes into the vault');
    expect(timeline).toContain('lab-dc01: Start at this machine (QEMU standby)');
    expect(await page.getByTestId('drill-summary').textContent()).toContain('At the recovery site');
    await page.getByRole('img', { name: 'Console of lab-dc01 during the drill' }).waitFor();
    expect(qemuProcesses('lifeboat-recovered-lab-dc01', data.dir)).toHaveLength(1);
    await dismissToasts(page);
    await settle(page);
    await shot(page, 'failover-2-done');

    // The plan says where its VMs run; a drill or another failover is not offered while it is failed over.
    await page.getByRole('link', { name: 'Drills' }).click();
    const card = page.getByTestId('plan-card').filter({ hasText: 'Office' });
    await card.getByTestId('failed-over-banner').waitFor();
    expect(await card.getByRole('button', { name: 'Test failover of Office' }).count()).toBe(0);
    expect(await card.getByRole('button', { name: 'Fail over Office' }).count()).toBe(0);
    expect(await page.getByTestId('drill-row').first().textContent()).toContain('planned failover');
    await settle(page);
    await shot(page, 'failover-3-plan-failed-over');

    await page.getByRole('link', { name: 'Dashboard' }).click();
    const banner = page.getByTestId('failed-over-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(
      'lab-dc01 runs at this machine (QEMU standby). Lifeboat keeps copying the work done there into the vault',
    );
    await settle(page);
    await shot(page, 'failover-4-dashboard-banner');
    await banner.getByRole('button', { name: 'Fail back…' }).click();
    const back = page.getByRole('dialog', { name: 'Fail back “Office”' });
    await back.getByLabel('Wait for each guest to shut down (seconds)').fill('1'); // the lab's boot-sector guest ignores the power button
    await back.getByLabel('Type the plan name “Office” to confirm').fill('Office');
    await back.getByRole('button', { name: 'Fail back now' }).click();
    await page.getByRole('heading', { name: 'Failback: Office' }).waitFor();
    await page.getByTestId('drill-summary').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('drill-summary').textContent()).toContain('Back at their own hosts');
    await dismissToasts(page);
    await settle(page);
    await shot(page, 'failover-5-failed-back');
    expect(qemuProcesses('lifeboat-recovered-lab-dc01', data.dir)).toEqual([]);
    expect(await callApi<unknown[]>(lifeboat, 'listFailoverStates')).toEqual([]);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByTestId('failed-over-banner').count()).toBe(0);
  });
});
