import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { openDashboard, shot } from '../helpers/ui';

const ENV = { LIFEBOAT_PASSPHRASE: 'Tulip-Harbour-93-Gravel-Lantern' };

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

/** `lifeboat call` from another terminal while the console is open: it goes through the running engine. */
function call<T>(method: string, input: unknown): T {
  const result = runCli(['--data', data.dir, 'call', method, JSON.stringify(input)], ENV);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

const navigations = (): Promise<number> => page.evaluate(() => performance.getEntriesByType('navigation').length);
/** A mark on this very document: a reload would start a fresh one without it. */
const sameDocument = (): Promise<boolean> =>
  page.evaluate(() => (window as unknown as { liveRefreshMark?: true }).liveRefreshMark === true);

beforeAll(async () => {
  data = tempDirManual();
  expect(
    runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], ENV).status,
  ).toBe(0);
  expect(runCli(['--data', data.dir, 'lab', 'create']).status).toBe(0);
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir], ENV), launchBrowser()]);
  page = await openDashboard(browser, lifeboat.url);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('an open console', () => {
  it('shows plans made (call and plan create), renamed and schedules paused from the CLI, without a reload', async () => {
    await page.getByRole('link', { name: 'Drills' }).click();
    await page.getByRole('heading', { name: 'No drills yet' }).waitFor();
    const loads = await navigations();
    await page.evaluate(() => ((window as unknown as { liveRefreshMark?: true }).liveRefreshMark = true));

    const [vm] = call<{ id: string }[]>('listVms', {});
    const plan = call<{ id: string }>('createPlan', { name: 'Front office', groups: [{ name: 'First', vms: [{ vmId: vm!.id }] }] });
    const card = page.getByTestId('plan-card');
    await card.getByRole('heading', { name: 'Front office' }).waitFor();

    call('updatePlan', { id: plan.id, name: 'Front desk' });
    await card.getByRole('heading', { name: 'Front desk' }).waitFor();
    expect(await card.count()).toBe(1);

    // A plain subcommand, not only `call`: it too goes through the running engine.
    const made = runCli(['--data', data.dir, 'plan', 'create', 'Back office', '--vm', vm!.id], ENV);
    expect(made.status, made.stderr).toBe(0);
    await page.getByTestId('plan-card').getByRole('heading', { name: 'Back office' }).waitFor();
    expect(await card.count()).toBe(2);

    const paused = page.getByText('Schedules paused', { exact: true });
    expect(await paused.count()).toBe(0);
    call('setSchedulesPaused', { paused: true });
    await paused.waitFor();

    expect(await navigations()).toBe(loads);
    expect(await sameDocument()).toBe(true);
    await shot(page, 'live-refresh-from-cli');
  });
});
