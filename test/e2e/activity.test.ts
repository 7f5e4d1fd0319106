import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToEngine } from '../../core/http/client';
import { launchBrowser, screenshot } from '../helpers/browser';
import { serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;

beforeAll(async () => {
  data = tempDirManual();
  lifeboat = await serveConsole(['--data', data.dir]);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('Activity during a copy', () => {
  it('shows the running copy with a progress bar, its rate and time left, and cancels it', async () => {
    const { client } = connectToEngine(lifeboat.origin, lifeboat.token);
    const settings = await client.completeFirstRun({
      organisation: 'Acme Dental',
      vault: { kind: 'folder', path: path.join(data.dir, 'vault') },
      passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
    });
    await client.createSampleLab({});
    const vm = (await client.listVms()).find((v) => v.name === 'lab-files01')!;
    // The limit applies to what is sent: the lab disk compresses to about 1.7 MB, so the lowest limit (64 KiB/s) keeps the copy running for about half a minute.
    const policy = await client.createPolicy({
      name: 'Files',
      vmIds: [vm.id],
      targetId: settings.vault!.id,
      rpoMinutes: 60,
      bandwidth: [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59', bytesPerSecond: 64 * 1024 }],
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(lifeboat.url);
    await page.getByRole('link', { name: 'Activity' }).click();
    await client.runNow({ policyId: policy.id });
    const running = page.getByTestId('running-job');
    await running.waitFor();
    await page
      .getByTestId('job-rate-eta')
      .filter({ hasText: /KB\/s · about .* left/ })
      .waitFor({ timeout: 60_000 });
    expect(await running.getByRole('progressbar').count()).toBeGreaterThan(0);
    // The disk reads in a moment; sending its 1.7 MB compressed to the vault is what the limit paces, and the
    // bar counts only what is in the vault (9.4 MB of disk data in all), so it does not sit at 100% meanwhile.
    expect(await running.textContent()).toMatch(/Copy lab-files01Sending the last data to the vault[\s\S]* of 9\.\d MB \(\d%\)/);
    expect(await running.getByTestId('job-limit').textContent()).toBe("Limited to 65.5 KB/s by this policy's bandwidth schedule.");
    await screenshot(page, 'activity-running-copy');

    await running.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Cancelled', { exact: false }).first().waitFor();
    const job = (await client.listJobs({ limit: 1 }))[0]!;
    expect(job.status).toBe('cancelled');
    await screenshot(page, 'activity-cancelled');
    await page.close();
  });
});
