// With 2,000 VMs in the catalog, how long the console takes from navigation to the VM table (Virtual
// machines page) and to the RPO table (Dashboard) being on screen, measured in the page with performance.now().
// `npm run bench -- ui`. Issue 10's target: under 1 s each — a benchmark, printed, not asserted.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { seedLargeInventory } from '../helpers/ui-seed';

const VMS = Number(process.env.UI_BENCH_VMS ?? 2000);
const ROUNDS = 5;
const BUDGET_MS = 1000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function serve(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'lifeboat.js'), '--data', dataDir, 'serve'], {
    cwd: root,
    env: { ...process.env, LIFEBOAT_DATA: '' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Lifeboat console: (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`lifeboat serve exited with ${code}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** In the page: change the route, then wait until `selector` is in the DOM and one frame has painted. */
async function timeRoute(page: Page, hash: string, selector: string): Promise<number> {
  return page.evaluate(
    ({ hash, selector }) =>
      new Promise<number>((resolve) => {
        const started = performance.now();
        const done = (): void => void requestAnimationFrame(() => resolve(performance.now() - started));
        const observer = new MutationObserver(() => {
          if (document.querySelector(selector)) {
            observer.disconnect();
            done();
          }
        });
        observer.observe(document.body, { childList: true, subtree: true });
        window.location.hash = hash;
      }),
    { hash, selector },
  );
}

/** A fresh load of the console at `hash`: from the navigation's start to `selector` on screen (seen in the page). */
async function timeColdLoad(page: Page, url: string, hash: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(`${url.replace(/[?#]token=.*$/, '')}${hash}`); // the token is in the page's storage from the first visit
  await page.waitForFunction(() => (window as unknown as { __shown?: number }).__shown !== undefined, undefined, { timeout: 60_000 });
  return page.evaluate(() => (window as unknown as { __shown: number }).__shown);
}

/** Installed before any page script: records when the first element matching the selector of this route appears. */
function watchFirstPaint(selectors: Record<string, string>): void {
  const selector = selectors[window.location.hash];
  if (!selector) return;
  const observer = new MutationObserver(() => {
    if (!document.querySelector(selector)) return;
    observer.disconnect();
    requestAnimationFrame(() => ((window as unknown as { __shown?: number }).__shown = performance.now()));
  });
  document.addEventListener('DOMContentLoaded', () => observer.observe(document.body, { childList: true, subtree: true }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ui-bench-'));
try {
  const service = createService({ dataDir, operator: 'bench' });
  await createLocalClient(service.api).completeFirstRun({
    organisation: 'Bench Ltd',
    vault: { kind: 'folder', path: path.join(dataDir, 'vault') },
    passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
  });
  await service.close();
  seedLargeInventory(dataDir, VMS);

  const lifeboat = await serve(dataDir);
  const browser = await chromium.launch({
    executablePath: process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(watchFirstPaint, { '#/vms': '[data-testid="vm-row"]', '#/dashboard': '[data-testid="rpo-table"] tbody tr' });
    await page.goto(lifeboat.url);
    await page.waitForSelector('[data-testid="status-sentence"]', { timeout: 60_000 });
    const results: Record<string, { navigate: number[]; load: number[] }> = {
      'Virtual machines': { navigate: [], load: [] },
      Dashboard: { navigate: [], load: [] },
    };
    const targets: [string, string, string][] = [
      ['Virtual machines', '#/vms', '[data-testid="vm-row"]'],
      ['Dashboard', '#/dashboard', '[data-testid="rpo-table"] tbody tr'],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, hash, selector] of targets) {
        await timeRoute(page, '#/settings', 'section[aria-labelledby="settings-about"]');
        results[name]!.navigate.push(await timeRoute(page, hash, selector));
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, hash] of targets) results[name]!.load.push(await timeColdLoad(page, lifeboat.url, hash));
    }
    if (process.env.UI_BENCH_DEBUG) {
      const calls = await page.evaluate(() =>
        performance.getEntriesByType('resource').map((e) => `${e.name.replace(/^.*\/api\//, '')} ${e.duration.toFixed(0)} ms`),
      );
      console.log(calls.join('\n'));
    }
    const rows = await page.$$eval('[data-testid="rpo-table"] tbody tr', (list) => list.length);
    console.log(`ui: ${VMS} VMs in the catalog, ${ROUNDS} rounds each, Chromium headless (software rendering)`);
    for (const [name, { navigate, load }] of Object.entries(results)) {
      const nav = median(navigate);
      const cold = median(load);
      console.log(
        `  ${name.padEnd(17)} navigate → table: median ${nav.toFixed(0)} ms (${(nav / BUDGET_MS).toFixed(2)}× the 1 s budget); fresh page load → table: median ${cold.toFixed(0)} ms (${(cold / BUDGET_MS).toFixed(2)}×)`,
      );
    }
    console.log(`  (Dashboard shows the ${rows} worst VMs of ${VMS}; the VM table renders only the rows in view)`);
  } finally {
    await browser.close();
    await lifeboat.stop();
  }
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
