import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { runCli, serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { callApi, dismissToasts, shot } from '../helpers/ui';
import { startVcsim, VCSIM_PASSWORD, VCSIM_USER, type Vcsim } from '../helpers/vcsim';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let sim: Vcsim;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  data = tempDirManual();
  const setup = runCli(['--data', data.dir, 'setup', '--organisation', 'Acme Dental', '--vault-folder', path.join(data.dir, 'vault')], {
    LIFEBOAT_PASSPHRASE: PASSPHRASE,
  });
  expect(setup.status, setup.stderr).toBe(0);
  [sim, lifeboat, browser] = await Promise.all([startVcsim({ tls: true, vms: 1 }), serveConsole(['--data', data.dir]), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
  page.setDefaultTimeout(15_000);
  await page.goto(lifeboat.url);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([lifeboat?.stop(), sim?.stop()]);
  data?.remove();
});

describe('add a vSphere host', () => {
  it('explains a wrong password with a retry, then shows the certificate to confirm and lists the VMs', async () => {
    await callApi(lifeboat, 'createSampleLab');
    await page.getByRole('link', { name: 'Virtual machines' }).click();
    await page.getByText('lab-web01', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Add host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    await dialog.getByText('VMware vSphere', { exact: true }).click();
    await dialog.getByLabel('Host name or IP address').fill(`127.0.0.1:${sim.port}`);
    await dialog.getByLabel('User name').fill(VCSIM_USER);
    await dialog.locator('input[type="password"]').fill('wrong-password');
    await dialog.getByLabel('Name in Lifeboat (optional)').fill('vcenter01');
    await dialog.getByRole('button', { name: 'Check and add' }).click();
    // The self-signed certificate comes first; the password is checked once it is trusted.
    const thumbprint = dialog.getByTestId('certificate-thumbprint');
    await thumbprint.waitFor();
    expect((await thumbprint.textContent())?.replace(/:/g, '').toLowerCase()).toBe(sim.thumbprint);
    await shot(page, 'vsphere-1-confirm-certificate');
    await dialog.getByRole('button', { name: 'Trust this certificate and add' }).click();
    await dialog.getByText('wrong user name or password').waitFor();
    await dialog.getByRole('button', { name: 'Try again' }).waitFor();
    await shot(page, 'vsphere-2-wrong-password');
    // The certificate was confirmed once: retrying with the right password does not ask again.
    await dialog.locator('input[type="password"]').fill(VCSIM_PASSWORD);
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page
      .getByTestId('vm-count')
      .filter({ hasText: /^[4-9] VMs$/ })
      .waitFor();
    await shot(page, 'vsphere-3-vms-listed');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByTestId('settings-host').filter({ hasText: 'vcenter01' }).getByText('Reachable').waitFor();
    // Removing asks first, in words; "Keep it" changes nothing.
    await page.getByRole('button', { name: 'Remove vcenter01' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove vcenter01?' });
    await confirm.getByText('Lifeboat forgets this host and its VMs.').waitFor();
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await page.getByTestId('settings-host').filter({ hasText: 'vcenter01' }).waitFor();
  });
});

describe('protect wizard', () => {
  it('protects the chosen VMs in plain words, with an estimate of the first copy, and starts it', async () => {
    await page.getByRole('link', { name: 'Protection' }).click();
    await page.getByRole('heading', { name: 'No protection policies yet' }).waitFor();
    await page.getByRole('button', { name: 'Protect VMs' }).click();
    const wizard = page.getByRole('dialog', { name: 'Protect VMs' });
    await wizard.getByTestId('vm-picker').waitFor();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByText('Tick at least one VM').waitFor();

    await wizard
      .getByRole('textbox', { name: 'Filter by host' })
      .or(wizard.getByRole('combobox', { name: 'Filter by host' }))
      .first()
      .click();
    await page.getByRole('option', { name: 'Sample lab', exact: true }).click();
    await wizard.getByLabel('Select all 3 shown').check();
    await wizard.getByLabel('Search VMs').fill('web');
    await wizard.getByTestId('vm-picker-row').first().waitFor();
    expect(await wizard.getByTestId('vm-picker-row').count()).toBe(1);
    expect(await wizard.getByTestId('vm-picker-count').textContent()).toMatch(/^3 of \d+ selected$/);
    await shot(page, 'protect-1-vms');
    await wizard.getByRole('button', { name: 'Next' }).click();

    await wizard.getByTestId('wizard-vault').waitFor();
    expect(await wizard.getByTestId('wizard-vault').textContent()).toContain(path.join(data.dir, 'vault'));
    await wizard.getByRole('button', { name: 'Next' }).click();

    await wizard.getByText('Lose at most 15 minutes of work').click();
    expect(await wizard.getByTestId('rpo-explained').textContent()).toContain('starts a copy every 7 minutes');
    await shot(page, 'protect-2-rpo');
    await wizard.getByRole('button', { name: 'Next' }).click();

    await wizard.getByText('Audit (7 years)').click();
    await wizard.getByText('one a year for 7 years').waitFor();
    await wizard.getByLabel('Monthly, for months').fill('36');
    expect(await wizard.getByRole('radio', { name: 'Custom' }).isChecked()).toBe(true);
    await shot(page, 'protect-3-retention');
    await wizard.getByRole('button', { name: 'Next' }).click();

    await wizard.getByText('Application-consistent or not at all').click();
    await wizard.getByRole('button', { name: 'Next' }).click();

    await wizard.getByText('Limit during working hours').click();
    await wizard.getByText('Weekdays 08:00–18:00: at most 20 MB/s').waitFor();
    await shot(page, 'protect-4-bandwidth');
    await wizard.getByRole('button', { name: 'Next' }).click();

    const estimate = wizard.getByTestId('first-copy-estimate');
    await estimate.waitFor();
    // 208 MiB of lab disks (an upper bound), at the 20 MB/s limit: about 11 s.
    expect(await estimate.textContent()).toContain('First copy: at most 218 MB, under a minute (estimate)');
    expect(await estimate.textContent()).toContain('your bandwidth limit of 20 MB/s');
    await wizard.getByLabel('Name of this protection policy').fill('Office servers');
    await shot(page, 'protect-5-review');
    await wizard.getByRole('button', { name: 'Protect and copy now' }).click();
    await wizard.waitFor({ state: 'hidden' });

    const card = page.getByTestId('policy-card').filter({ hasText: 'Office servers' });
    await card.waitFor();
    expect(await card.getByTestId('policy-vm-row').count()).toBe(3);
    await card.getByText('Lose at most 15 minutes of work').waitFor();
    await card.getByText('one a month for 36 months').waitFor();
    await shot(page, 'protect-6-policy');
    const policies = await callApi<{ name: string; consistency: string; bandwidth: unknown[]; rpoMinutes: number }[]>(
      lifeboat,
      'listPolicies',
    );
    expect(policies).toEqual([
      expect.objectContaining({
        name: 'Office servers',
        consistency: 'require',
        rpoMinutes: 15,
        bandwidth: [expect.objectContaining({ days: [1, 2, 3, 4, 5], bytesPerSecond: 20_000_000 })],
      }),
    ]);
    const jobs = await callApi<{ title: string }[]>(lifeboat, 'listJobs');
    expect(jobs.map((j) => j.title).sort()).toEqual(['Copy lab-dc01', 'Copy lab-files01', 'Copy lab-web01']);

    await page.getByRole('link', { name: 'Virtual machines' }).click();
    await page.getByTestId('vm-row').filter({ hasText: 'lab-dc01' }).getByText('Office servers').waitFor();
  });

  it('changes one part of a policy in place, refusing an RPO of 0 with a message, and pauses every schedule', async () => {
    await page.getByRole('link', { name: 'Protection' }).click();
    await dismissToasts(page);
    const card = page.getByTestId('policy-card');
    // "How often" opens the wizard at that step; Save works from there after every step is checked.
    await card.getByRole('button', { name: 'Change how often of Office servers' }).click();
    const wizard = page.getByRole('dialog', { name: 'Change “Office servers”' });
    await wizard.getByRole('heading', { name: /how much recent work could you afford to redo/ }).waitFor();
    await wizard.getByLabel('Or another number of minutes').fill('0');
    await wizard.getByText('Choose between 1 minute and 7 days (10080 minutes).').waitFor();
    expect(await wizard.getByTestId('rpo-explained').count()).toBe(0); // no "lose at most 0 days of work"
    await wizard.getByRole('button', { name: 'Save changes' }).click();
    await wizard.getByRole('alert').filter({ hasText: 'Choose between 1 minute and 7 days.' }).waitFor();
    await shot(page, 'protect-6-rpo-zero-refused');
    await wizard.getByText('Lose at most 1 hour of work').click();
    await wizard.getByRole('button', { name: 'Save changes' }).click();
    await wizard.waitFor({ state: 'hidden' });
    await card.getByText('Lose at most 1 hour of work').waitFor();

    await card.getByRole('button', { name: 'Change how long of Office servers' }).click();
    await wizard.getByRole('heading', { name: 'How long should copies be kept?' }).waitFor();
    await wizard.getByLabel('Newest copies').fill('30');
    await wizard.getByRole('button', { name: 'Save changes' }).click();
    await wizard.waitFor({ state: 'hidden' });
    await card
      .getByTestId('policy-facts')
      .getByText(/^Keep the newest 30 copies/)
      .waitFor(); // the list reloads after the save
    const saved = (await callApi<{ name: string; rpoMinutes: number; retention: { keepLast: number } }[]>(lifeboat, 'listPolicies')).find(
      (p) => p.name === 'Office servers',
    )!;
    expect(saved).toMatchObject({ rpoMinutes: 60, retention: { keepLast: 30 } });
    await shot(page, 'protect-6-policy-facts');

    await page.getByRole('button', { name: 'Pause all' }).click();
    await page.getByText('Every schedule is paused', { exact: true }).waitFor();
    await page.getByText('Schedules paused', { exact: true }).waitFor();
    await shot(page, 'protect-7-paused');
    await page.getByRole('button', { name: 'Resume schedules' }).click();
    await page.getByText('Schedules paused', { exact: true }).waitFor({ state: 'hidden' });
  });
});
