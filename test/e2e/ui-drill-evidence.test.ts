import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOT_DIR } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { type AxeViolation, dismissToasts, openDashboard, seriousAxeViolations, settle, shot } from '../helpers/ui';
import { DRILL_EVIDENCE, seedDrillEvidence, seedLivedInCatalog } from '../helpers/ui-seed';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let seeded: ReturnType<typeof seedDrillEvidence>;

beforeAll(async () => {
  data = tempDirManual();
  const setup = runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], {
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
  });
  expect(setup.status, setup.stderr).toBe(0);
  const lab = runCli(['--data', data.dir, 'lab', 'create']);
  expect(lab.status, lab.stderr).toBe(0);
  seedLivedInCatalog(data.dir);
  seeded = seedDrillEvidence(data.dir);
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir]), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

/** The whole page's visible text, the way a reader sees it (not hidden nodes). */
function visibleText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

async function axe(page: Page, name: string, found: Record<string, AxeViolation[]>): Promise<void> {
  await settle(page);
  const violations = await seriousAxeViolations(page);
  if (violations.length > 0) found[name] = violations;
}

describe('drill evidence: passed only on proof from the guest', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`shows an unverified drill as not proven everywhere and a passed one with the guest's own words (${scheme} theme)`, async () => {
      // bypassCSP only lets the test inject axe-core; the console's own CSP forbids inline scripts.
      const page = await openDashboard(browser, lifeboat.url, {
        colorScheme: scheme,
        viewport: { width: 1280, height: 800 },
        bypassCSP: true,
      });
      const found: Record<string, AxeViolation[]> = {};

      // Dashboard: the last drill is the unverified one, and it does not say passed.
      const card = page.getByTestId('last-drill');
      await card.getByText('Unverified', { exact: true }).waitFor();
      const cardText = await card.innerText();
      expect(cardText).toContain('Web shop');
      expect(cardText).toContain('Started, not proven: lab-web01 started, but nothing proved its guest came up');
      expect(cardText).not.toMatch(/passed|Back in/i);
      await dismissToasts(page);
      await axe(page, 'dashboard', found);
      await shot(page, `drill-evidence-${scheme}-1-dashboard`);

      // The unverified drill's result page, from the card.
      await card.getByRole('button').first().click();
      await page.getByRole('heading', { name: 'Test failover: Web shop' }).waitFor();
      const outcome = page.getByTestId('drill-outcome');
      await outcome.waitFor();
      expect(await outcome.innerText()).toMatch(
        /Started, not proven\s+lab-web01 started, but nothing proved its guest came up\. Not counted as a pass\./,
      );
      const unverifiedPage = await visibleText(page);
      expect(unverifiedPage).not.toContain('Every VM came back');
      expect(unverifiedPage).toMatch(/unverified/i); // badges are drawn in capitals
      const rto = page.getByTestId('goal-card').filter({ hasText: 'Recovery time (RTO)' });
      expect(await rto.innerText()).toContain('Not measured');
      const rpo = await page.getByTestId('goal-card').filter({ hasText: 'Work that would be lost (RPO)' }).innerText();
      expect(rpo).toContain('Not proven: not every guest proved it came up');
      expect(rpo).not.toContain('Within the goal');
      const web = page.getByTestId('drill-vm').filter({ hasText: 'lab-web01' });
      const notProven = web.getByTestId('vm-unverified');
      expect(await notProven.innerText()).toContain('It started, but nothing proved the guest came up');
      expect(await notProven.innerText()).toContain(DRILL_EVIDENCE.unverifiedFix);
      expect(await web.getByTestId('drill-check').filter({ hasText: 'Boots' }).innerText()).toMatch(
        /Not proven[\s\S]*no readiness line[\s\S]*What to do/i,
      );
      await web.getByRole('img', { name: 'Console of lab-web01 during the drill' }).waitFor();
      expect(await web.getByTestId('vm-screenshot').innerText()).toContain('A picture alone does not prove the guest came up');
      // The other VM did prove itself: its own screen text is there.
      expect(await page.getByTestId('drill-vm').filter({ hasText: 'lab-files01' }).innerText()).toContain('lab-files01 login:');
      await axe(page, 'unverified-result', found);
      await web.screenshot({ path: path.join(SCREENSHOT_DIR, `drill-evidence-${scheme}-2-unverified-vm.png`) });
      await shot(page, `drill-evidence-${scheme}-2-unverified`);

      // The Drills page: both in the history, each with its own word; the unverified one has no recovery time.
      await page.getByRole('button', { name: 'All drills' }).click();
      await page.getByTestId('drill-row').first().waitFor();
      const rows = page.getByTestId('drill-row').filter({ hasText: 'Web shop' });
      expect(await rows.count()).toBe(2);
      expect(await rows.nth(0).innerText()).toMatch(/Unverified[\s\S]*Not measured/i);
      expect(await rows.nth(1).innerText()).toMatch(/passed/i);
      expect(await page.getByTestId('plan-card').filter({ hasText: 'Web shop' }).innerText()).toMatch(/unverified/i);
      await axe(page, 'drills', found);
      await shot(page, `drill-evidence-${scheme}-3-drills`);

      // The passed drill: the guest's own words, verbatim and labelled, and its console screenshot.
      await rows.nth(1).getByRole('button').first().click();
      await page.getByTestId('drill-outcome').filter({ hasText: 'Every VM came back' }).waitFor();
      const passedWeb = page.getByTestId('drill-vm').filter({ hasText: 'lab-web01' });
      const evidence = passedWeb.getByTestId('check-evidence');
      await evidence.first().waitFor();
      const serial = evidence.filter({ hasText: 'Serial console' });
      expect(await serial.locator('pre, code').first().innerText()).toBe(DRILL_EVIDENCE.serialLine);
      const http = evidence.filter({ hasText: 'HTTP answer' });
      const answer = await http.locator('pre, code').first().innerText();
      expect(answer).toMatch(/^HTTP\/1\.0 200 OK/);
      expect(answer).toContain('<h1>drill guest OK</h1>');
      expect(await page.getByTestId('drill-vm').filter({ hasText: 'lab-files01' }).getByTestId('check-evidence').innerText()).toMatch(
        /Screen text[\s\S]*lab-files01 login:/,
      );
      expect(await passedWeb.getByTestId('drill-check').filter({ hasText: 'Heartbeat' }).innerText()).toMatch(
        /Skipped[\s\S]*Not run: this sandbox/i,
      );
      await passedWeb.getByRole('img', { name: 'Console of lab-web01 during the drill' }).waitFor();
      expect(await passedWeb.getByTestId('vm-screenshot').innerText()).toContain('kept as evidence');
      expect(await page.getByTestId('goal-card').filter({ hasText: 'Recovery time (RTO)' }).innerText()).toContain(
        'Within the goal of 30 min',
      );
      await axe(page, 'passed-result', found);
      await passedWeb.screenshot({ path: path.join(SCREENSHOT_DIR, `drill-evidence-${scheme}-4-passed-vm.png`) });
      await shot(page, `drill-evidence-${scheme}-4-passed`);

      expect(found).toEqual({});
      expect(seeded.unverifiedId).not.toBe(seeded.passedId);
      await page.close();
    });
  }
});
