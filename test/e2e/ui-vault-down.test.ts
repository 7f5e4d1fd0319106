import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { openDashboard, shot } from '../helpers/ui';
import { seedLivedInCatalog } from '../helpers/ui-seed';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;

beforeAll(async () => {
  data = tempDirManual();
  const vault = path.join(data.dir, 'vault');
  const setup = runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', vault], {
    LIFEBOAT_PASSPHRASE: 'Tulip-Harbour-93-Gravel-Lantern',
  });
  expect(setup.status, setup.stderr).toBe(0);
  expect(runCli(['--data', data.dir, 'lab', 'create']).status).toBe(0);
  seedLivedInCatalog(data.dir); // recovery points in the vault: it has been used
  fs.rmSync(vault, { recursive: true }); // then someone deletes the vault folder
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir]), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('dashboard with the vault folder deleted', () => {
  it('is red, names the vault and says how to fix it, at 1024×700 too', async () => {
    const page = await openDashboard(browser, lifeboat.url, { viewport: { width: 1024, height: 700 } });
    const alert = page.getByTestId('dashboard-alert').filter({ hasText: 'is unavailable' });
    await alert.waitFor();
    // One alert for the vault, not one per VM behind it (the seeded catalog's own age alerts stay).
    expect(
      await page
        .getByTestId('dashboard-alert')
        .filter({ hasText: /vault .* is unavailable/i })
        .count(),
    ).toBe(1);
    expect(await alert.textContent()).toMatch(
      /The vault ".*" is unavailable: nothing can be copied to it or restored from it.*There is no vault at .*What to do: Reconnect the share or disk/,
    );
    const sentence = page.getByTestId('status-sentence').filter({ hasText: 'not protected: their vault is unavailable' });
    await sentence.waitFor();
    expect(await sentence.textContent()).not.toMatch(/within/);
    expect(await page.getByTestId('storage').textContent()).toContain('Cannot be measured: the vault is unavailable');
    await page.getByTestId('last-drill').getByText('Passed').waitFor();
    await shot(page, 'dashboard-vault-deleted');
    await page.close();
  });
});
