import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskWriter } from '../../core/disks';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, startEngine, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { callApi, openDashboard, shot } from '../helpers/ui';

const MiB = 1024 * 1024;
const ENV = { LIFEBOAT_PASSPHRASE: 'Tulip-Harbour-93-Gravel-Lantern' };

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole | null = null;
let browser: Browser;

beforeAll(async () => {
  data = tempDirManual();
  const cli = (...args: string[]) => runCli(['--data', data.dir, ...args], ENV);
  const vault = path.join(data.dir, 'vault');
  expect(cli('setup', '--organisation', 'Acme Dental', '--vault-folder', vault).status).toBe(0);
  expect(cli('lab', 'create').status).toBe(0);
  // 12 MiB that does not compress, paced at 1 MiB/s: a copy of about twelve seconds to stop in the middle.
  const disk = path.join(data.dir, 'sample-lab', 'lab-web01', 'lab-web01.vmdk');
  fs.rmSync(disk);
  const writer = await createDiskWriter('vmdk', disk, 48 * MiB);
  await writer.write(0, randomBytes(12 * MiB));
  await writer.close();
  expect(cli('discover').status).toBe(0);
  const policy = JSON.parse(cli('protect', '--vm', 'lab-web01', '--target', vault, '--rpo', '60m', '--name', 'Web', '--json').stdout) as {
    id: string;
  };
  const allDay = [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59', bytesPerSecond: 1 * MiB }];
  expect(cli('call', 'updatePolicy', JSON.stringify({ id: policy.id, bandwidth: allDay })).status).toBe(0);
  // The retry the restart schedules would copy again a minute later; this test is about what the tab shows.
  expect(cli('call', 'updateSettings', JSON.stringify({ copyRetries: 0 })).status).toBe(0);
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir], ENV), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('an open tab across an engine restart', () => {
  it('says it lost the engine, then reconnects on the same link and shows the stopped copy without a reload', async () => {
    const first = lifeboat!;
    const page = await openDashboard(browser, first.url, { viewport: { width: 1280, height: 800 } });
    await page.getByRole('link', { name: 'Activity' }).click();
    await callApi(first, 'runNow', {});
    const running = page.getByTestId('running-job');
    await running.getByText(/\(([1-9]\d?)%\)/).waitFor({ timeout: 30_000 });
    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);

    // SIGTERM mid-copy: the tab hears the stream drop and says so instead of showing a copy still at 28%.
    expect(await first.stop()).toBe(0);
    lifeboat = null;
    const banner = page.getByRole('status').filter({ hasText: 'Reconnecting to the Lifeboat engine' });
    await banner.waitFor();
    await shot(page, 'engine-restart-reconnecting');

    // The same data folder starts again: the same port and token, so the open tab's link still works.
    lifeboat = await serveConsole(['--data', data.dir], ENV);
    expect(lifeboat.origin).toBe(first.origin);
    expect(lifeboat.token).toBe(first.token);
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    const row = page.getByRole('row').filter({ hasText: 'Lifeboat stopped while this copy was running.' });
    await row.waitFor();
    expect(await running.count()).toBe(0);
    expect(await row.textContent()).toMatch(/Interrupted/i);
    // Bytes read before the stop are kept: the Read cell is not "0 B".
    const read = await row.locator('td').nth(4).textContent();
    expect(read).toMatch(/^[\d.]+ (KB|MB)$/);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(loads);
    await shot(page, 'engine-restart-recovered');
    await page.close();
  });

  it('tells a tab whose token was renewed to open the new link', async () => {
    const old = lifeboat!;
    const page = await openDashboard(browser, old.url);
    expect(await old.stop()).toBe(0);
    lifeboat = await startEngine(['--data', data.dir, 'serve', '--new-token'], ENV);
    expect(lifeboat.token).not.toBe(old.token);
    const banner = page.getByRole('alert').filter({ hasText: 'Lifeboat restarted with a new access token' });
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toContain('Open the new link');
    await shot(page, 'engine-restart-new-token');

    // The same browser, still holding the old session, opens the new link: the new link wins.
    await page.goto(lifeboat.url);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(page.url()).not.toContain('token=');
    await page.close();
  });

  it('keeps the session from a page on another 127.0.0.1 port: it can neither read it nor plant one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(lifeboat!.url);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const seen: string[] = [];
    const other = http.createServer((req, res) => {
      seen.push(JSON.stringify(req.headers));
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another service</title><p>hello</p>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const port = (other.address() as { port: number }).port;
      const neighbour = await context.newPage();
      await neighbour.goto(`http://127.0.0.1:${port}/`);
      const found = await neighbour.evaluate(async (console) => {
        const attempt = await fetch(`${console}/api/getSettings`, {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then(
          (response) => `answered ${response.status}`,
          () => 'blocked',
        );
        const stored = window.localStorage.getItem('lifeboat-token');
        // Plant a session of its own, the ways a page can.
        document.cookie = 'lifeboat_token=planted; path=/';
        window.localStorage.setItem('lifeboat-token', 'planted');
        return { cookies: document.cookie, stored, attempt };
      }, lifeboat!.origin);
      expect(found.stored).toBeNull();
      expect(found.cookies).not.toContain(lifeboat!.token);
      expect(found.attempt).toBe('blocked'); // no CORS for other origins: nothing readable comes back
      expect(seen.join('\n')).not.toContain(lifeboat!.token); // no cookie carried the token to the other port
      await neighbour.close();

      // The console, reloaded after the planting, still opens with its own session.
      await page.reload();
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    } finally {
      await new Promise((resolve) => other.close(resolve));
      await context.close();
    }
  });
});
