import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { type AxeViolation, dismissToasts, openDashboard, seriousAxeViolations, settle, shot } from '../helpers/ui';
import { seedLivedInCatalog } from '../helpers/ui-seed';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let seeded: ReturnType<typeof seedLivedInCatalog>;

beforeAll(async () => {
  data = tempDirManual();
  const setup = runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], {
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
  });
  expect(setup.status, setup.stderr).toBe(0);
  const lab = runCli(['--data', data.dir, 'lab', 'create']);
  expect(lab.status, lab.stderr).toBe(0);
  seeded = seedLivedInCatalog(data.dir);
  // The seeded failed copies must stay failed: a retry would copy lab-dc01 from the real lab and end its breach.
  expect(runCli(['--data', data.dir, 'call', 'updateSettings', JSON.stringify({ copyRetries: 0 })]).status).toBe(0);
  [lifeboat, browser] = await Promise.all([serveConsole(['--data', data.dir]), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

async function open(scheme: 'light' | 'dark'): Promise<Page> {
  // bypassCSP only lets the test inject axe-core; the console's own CSP forbids inline scripts.
  return openDashboard(browser, lifeboat.url, { colorScheme: scheme, bypassCSP: true }, 15_000);
}

describe('dashboard after an RPO breach', () => {
  it('says in one sentence what is wrong, shows the alert with what to do, and offers the fix', async () => {
    const page = await open('light');
    const sentence = page.getByTestId('status-sentence');
    await sentence.waitFor();
    expect(await sentence.textContent()).toBe('1 VM is outside its RPO: lab-dc01.');
    const alert = page.getByTestId('dashboard-alert').filter({ hasText: 'lab-dc01 is outside its RPO of 60 min' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('What to do:');
    await page.getByTestId('dashboard-alert').filter({ hasText: 'lab-files01 is at risk' }).waitFor();
    await page.getByTestId('last-drill').getByText('Passed').waitFor();
    expect(await page.getByTestId('upcoming').textContent()).toMatch(/Next drill.*Office servers/);
    await page
      .getByTestId('storage')
      .filter({ hasText: /Vault storage used\d/ })
      .waitFor(); // measured by the launch health check
    await page.locator('.recharts-area').first().waitFor();
    await shot(page, 'dashboard-rpo-breach');

    await alert.getByRole('button', { name: 'Copy now' }).click();
    await page.getByText('Copying now').waitFor();
    await alert.getByRole('button', { name: 'Open Activity' }).click();
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await page.getByText('The host did not answer').first().waitFor();
    await shot(page, 'activity');
    await page.close();
  });
});

describe('email alerts in Settings', () => {
  it('explains a wrong password, then sends a test email through an SMTP server', async () => {
    const inbox: string[] = [];
    const smtp = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) =>
        auth.username === 'alerts@acme.test' && auth.password === 'Sm7p-P4ss'
          ? callback(null, { user: auth.username })
          : callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 })),
      onData: (stream, session, callback) => {
        stream.resume();
        stream.on('end', () => {
          inbox.push(session.envelope.rcptTo.map((r) => r.address).join(','));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    try {
      const page = await open('light');
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Send email alerts').check();
      await page.getByLabel('Mail server', { exact: true }).fill('127.0.0.1');
      await page.getByLabel('Port', { exact: true }).fill(String((smtp.server.address() as AddressInfo).port));
      await page
        .getByRole('textbox', { name: 'Security' })
        .or(page.getByRole('combobox', { name: 'Security' }))
        .first()
        .click();
      await page.getByRole('option', { name: 'None (internal relay)' }).click();
      await page.getByLabel('User name', { exact: true }).fill('alerts@acme.test');
      await page.getByLabel('Password', { exact: true }).fill('wrong');
      await page.getByLabel('From', { exact: true }).fill('alerts@acme.test');
      await page.getByPlaceholder('Type an address and press Enter').fill('it@acme.test');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Send a test email' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /password/i })
        .first()
        .waitFor();
      await shot(page, 'settings-email-wrong-password');
      await page.getByLabel('Password', { exact: true }).fill('Sm7p-P4ss');
      await page.getByRole('button', { name: 'Send a test email' }).click();
      await page.getByText('Test email sent').waitFor();
      expect(inbox).toEqual(['it@acme.test']);
      await shot(page, 'settings-email-sent');
      await page.close();
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});

describe('accessibility', () => {
  const pages: [string, string, (page: Page) => Promise<void>][] = [
    ['dashboard', 'Dashboard', async (page) => void (await page.getByTestId('status-sentence').waitFor())],
    ['vms', 'Virtual machines', async (page) => void (await page.getByTestId('vm-row').first().waitFor())],
    ['protection', 'Protection', async (page) => void (await page.getByTestId('policy-card').waitFor())],
    ['drills', 'Drills', async (page) => void (await page.getByTestId('plan-card').waitFor())],
    ['reports', 'Reports', async (page) => void (await page.getByRole('heading', { name: 'Reports' }).waitFor())],
    ['activity', 'Activity', async (page) => void (await page.getByText('Copy lab-web01').first().waitFor())],
    ['settings', 'Settings', async (page) => void (await page.getByTestId('settings-host').first().waitFor())],
  ];

  for (const scheme of ['light', 'dark'] as const) {
    it(`finds no serious or critical axe violations on any page or wizard (${scheme} theme)`, async () => {
      const page = await open(scheme);
      const found: Record<string, AxeViolation[]> = {};
      const check = async (name: string): Promise<void> => {
        await settle(page);
        const violations = await seriousAxeViolations(page);
        if (violations.length > 0) found[name] = violations;
        await shot(page, `${scheme}-${name}`);
      };
      for (const [id, link, ready] of pages) {
        await page.getByRole('link', { name: link, exact: true }).click();
        await ready(page);
        await dismissToasts(page);
        await check(id);
      }
      await page.goto(`${lifeboat.origin}/#/drills/${seeded.drillId}`);
      await page.getByTestId('drill-summary').waitFor();
      await check('drill-result');

      await page.getByRole('link', { name: 'Protection', exact: true }).click();
      await page.getByRole('button', { name: 'Protect VMs' }).click();
      await page.getByRole('dialog', { name: 'Protect VMs' }).getByTestId('vm-picker').waitFor();
      await check('protect-wizard');
      await page.keyboard.press('Escape');

      await page.getByRole('link', { name: 'Drills', exact: true }).click();
      await page.getByRole('button', { name: 'New recovery plan' }).click();
      await page.getByRole('dialog', { name: 'New recovery plan' }).getByTestId('vm-picker').waitFor();
      await check('plan-wizard');
      await page.keyboard.press('Escape');

      await page.getByRole('link', { name: 'Virtual machines', exact: true }).click();
      await page.getByRole('button', { name: 'Add host' }).click();
      await page.getByRole('dialog', { name: 'Add a host' }).waitFor();
      await check('add-host');
      await page.keyboard.press('Escape');

      expect(found, JSON.stringify(found, null, 2)).toEqual({});
      await page.close();
    });
  }

  it('works with the keyboard alone: navigation, a wizard, ticking VMs and reordering without dragging', async () => {
    const page = await open('light');
    const tabTo = async (accessibleName: RegExp): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        const name = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el) return '';
          const labelled = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
          return el.getAttribute('aria-label') ?? labelled ?? el.textContent ?? '';
        });
        if (accessibleName.test(name.trim())) return;
      }
      throw new Error(`Tab never reached ${accessibleName}`);
    };
    await page.getByRole('link', { name: 'Dashboard', exact: true }).focus();
    await tabTo(/^Drills$/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Drills', exact: true }).waitFor();
    await tabTo(/New recovery plan/);
    await page.keyboard.press('Enter');
    const wizard = page.getByRole('dialog', { name: 'New recovery plan' });
    await wizard.getByTestId('vm-picker').waitFor();
    // "Select all" is disabled (skipped by Tab) until the VMs have loaded.
    await wizard.getByTestId('vm-picker-count').filter({ hasText: '0 of 3 selected' }).waitFor();
    // The modal takes focus once its opening transition ends; Tab pressed before then goes to the page behind it.
    await page.waitForFunction(() => Boolean(document.activeElement?.closest('[role="dialog"]')));
    await tabTo(/^Select all$/);
    await page.keyboard.press('Space');
    expect(await wizard.getByTestId('vm-picker-count').textContent()).toBe('3 of 3 selected');
    await tabTo(/^Next$/);
    await page.keyboard.press('Enter');
    await tabTo(/^Start lab-web01 later$/);
    await page.keyboard.press('Enter');
    await wizard.getByTestId('plan-group').nth(1).filter({ hasText: 'lab-web01' }).waitFor();
    await shot(page, 'keyboard-plan-order');
    await page.keyboard.press('Escape');
    await wizard.waitFor({ state: 'hidden' });
    await page.close();
  });
});
