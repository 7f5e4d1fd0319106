import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser';
import { serveConsole, type ServingConsole } from '../helpers/cli';
import { seedQuarter } from '../helpers/seed-catalog';
import { tempDirManual } from '../helpers/temp';

// The catalog's days are local; the engine serving the page uses the same zone.
const TZ = 'Europe/Amsterdam';
process.env.TZ = TZ;

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  data = tempDirManual();
  seedQuarter(data.dir);
  lifeboat = await serveConsole(['--data', data.dir], { TZ });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('Reports page', () => {
  it('previews a chosen period, exports the workbook with progress, and shows where it is', async () => {
    await page.goto(lifeboat.url);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    // This quarter is previewed first.
    await page.getByTestId('report-summary').waitFor();
    await screenshot(page, 'reports-this-quarter');

    await page.getByText('Custom dates').click();
    await page.getByLabel('From').fill('2026-01-01');
    await page.getByLabel('To (included)').fill('2026-03-31');
    await page.getByText('2026-01-01 to 2026-03-31', { exact: false }).waitFor();
    expect(await page.getByTestId('report-compliance').textContent()).toBe('99.82%');
    expect(await page.getByTestId('report-overall').textContent()).toBe('Needs attention');
    expect(await page.getByTestId('stat-vms').textContent()).toContain('6 protected, 2 not');
    expect(await page.getByTestId('stat-drills').textContent()).toContain('2 / 3');
    await screenshot(page, 'reports-preview-q1');

    await page.getByRole('button', { name: 'Export workbook' }).click();
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 });
    const file = (await page.getByTestId('export-file').textContent())!;
    expect(file).toMatch(/reports[\\/]lifeboat-report-2026-01-01-to-2026-03-31\.xlsx$/);
    expect(fs.existsSync(file)).toBe(true);
    expect(await page.getByTestId('export-result').textContent()).toMatch(/SHA-256 [0-9a-f]{64}/);

    // No desktop session on this machine: the engine says where the file is instead of opening a window.
    await page.getByRole('button', { name: 'Open folder' }).click();
    const message = page.getByTestId('open-folder-message');
    if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
      await message.waitFor({ state: 'detached', timeout: 2000 }).catch(() => undefined);
    else expect(await message.textContent()).toContain('The report is in');
    await screenshot(page, 'reports-exported');

    // Browser mode can also save the file through the browser, in pieces over the same API.
    const saving = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const download = await saving;
    expect(download.suggestedFilename()).toBe('lifeboat-report-2026-01-01-to-2026-03-31.xlsx');
    expect(fs.readFileSync((await download.path())!).equals(fs.readFileSync(file))).toBe(true);

    // The export ran as a job (Activity lists it).
    const jobs = (await page.evaluate(() =>
      fetch('api/listJobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${localStorage.getItem('lifeboat-token')}` },
        body: '{"limit":5}',
      }).then((r) => r.json()),
    )) as { kind: string; status: string }[];
    expect(jobs.find((j) => j.kind === 'report')).toMatchObject({ status: 'succeeded' });
  });

  it('saves a monthly schedule to a folder, refusing a relative folder', async () => {
    await page.getByLabel('Export automatically').check();
    await page.getByLabel('Folder').fill('relative\\audit');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Use a full path').waitFor();
    await page.getByLabel('Folder').fill(`${data.dir}/scheduled`);
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Reports will be written to', { exact: false }).waitFor();
    expect(await page.getByTestId('report-schedule-state').textContent()).toMatch(/^Next: \d{4}-\d{2}-01 to \d{4}-\d{2}-\d{2}/);
    await screenshot(page, 'reports-schedule');
  });
});
