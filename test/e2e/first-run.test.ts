import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';
import { serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';
import { startAzurite } from '../helpers/azurite';
import { ActionCounter, callApi, shot } from '../helpers/ui';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
/** The budget: launch to "protected" on the sample lab in at most this many clicks or fields. */
const ACTION_BUDGET = 15;

let browser: Browser;
const cleanups: (() => Promise<unknown> | void)[] = [];

async function freshConsole(): Promise<{ data: string; lifeboat: ServingConsole; page: Page }> {
  const data = tempDirManual();
  const lifeboat = await serveConsole(['--data', data.dir]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light', acceptDownloads: true });
  page.setDefaultTimeout(15_000);
  cleanups.push(
    () => lifeboat.stop(),
    () => data.remove(),
  );
  return { data: data.dir, lifeboat, page };
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  // The browser first: an open event stream would keep `lifeboat serve` from stopping.
  await browser?.close();
  for (const cleanup of cleanups) await cleanup();
});

describe('first run in the browser console', () => {
  it(`takes a new user from launch to a protected VM on the sample lab in at most ${ACTION_BUDGET} actions`, async () => {
    const { data, lifeboat, page } = await freshConsole();
    const user = new ActionCounter();
    await page.goto(lifeboat.url);
    expect(page.url()).not.toContain('token=');

    await page.getByRole('heading', { name: 'Welcome to Lifeboat' }).waitFor();
    await shot(page, 'first-run-1-organisation');
    await user.fill(page.getByLabel('Organisation name'), 'Acme Dental Group', 'organisation');
    await user.click(page.getByRole('button', { name: 'Next' }), 'Next');

    const vault = page.getByLabel('Vault folder');
    await vault.waitFor();
    expect(await vault.inputValue()).toMatch(/LifeboatVault$/);
    await user.fill(vault, path.join(data, 'vault'), 'vault folder');
    await user.click(page.getByRole('button', { name: 'Test connection' }), 'Test connection');
    await page.getByTestId('vault-test-result').filter({ hasText: 'wrote, read back and deleted' }).waitFor();
    await shot(page, 'first-run-2-vault');
    await user.click(page.getByRole('button', { name: 'Next' }), 'Next');

    await user.fill(page.getByLabel('Vault passphrase'), PASSPHRASE, 'passphrase');
    await user.fill(page.getByLabel('Type it again'), PASSPHRASE, 'passphrase again');
    await shot(page, 'first-run-3-passphrase');
    await user.click(page.getByRole('button', { name: 'Create the vault' }), 'Create the vault');

    await page.getByRole('heading', { name: 'The vault is ready' }).waitFor();
    const kit = page.getByTestId('recovery-kit');
    await kit.waitFor();
    expect(await kit.textContent()).toContain('RECOVERY KEY');
    const download = page.waitForEvent('download');
    await user.click(page.getByRole('button', { name: 'Download the recovery kit' }), 'Download the recovery kit');
    const saved = await download;
    expect(saved.suggestedFilename()).toBe('lifeboat-recovery-kit.txt');
    expect(fs.readFileSync(await saved.path(), 'utf8')).toContain(path.join(data, 'vault'));
    await user.check(page.getByLabel(/I have stored/), 'I stored it');
    await shot(page, 'first-run-4-recovery-kit');
    await user.click(page.getByRole('button', { name: 'Next' }), 'Next');

    await page.getByRole('button', { name: 'Try the sample lab' }).waitFor();
    await shot(page, 'first-run-5-hosts');
    await user.click(page.getByRole('button', { name: 'Try the sample lab' }), 'Try the sample lab');

    const protect = page.getByRole('button', { name: 'Protect 3 VMs and copy now' });
    await protect.waitFor();
    expect(await page.getByTestId('vm-picker-count').textContent()).toBe('3 of 3 selected');
    await shot(page, 'first-run-6-protect');
    await user.click(protect, 'Protect and copy now');

    await page.getByRole('heading', { name: 'Your VMs are protected' }).waitFor();
    expect(await page.getByTestId('first-copy').count()).toBe(3);
    await shot(page, 'first-run-7-done');
    console.log(`first-run actions: ${user.count}\n  ${user.log.join('\n  ')}`);
    expect(user.count).toBeLessThanOrEqual(ACTION_BUDGET);

    // The first copies of the lab's small disks finish in seconds: the user sees them through.
    await page.getByTestId('first-copy').filter({ hasText: 'Copied' }).nth(2).waitFor({ timeout: 60_000 });
    await shot(page, 'first-run-8-copied');
    await page.getByRole('button', { name: 'Go to the dashboard' }).click();
    await page.getByTestId('status-sentence').filter({ hasText: 'All 3 VMs within their RPO.' }).waitFor();
    await shot(page, 'first-run-9-dashboard');
    await page.reload();
    await page.getByTestId('status-sentence').waitFor();
    expect(await page.getByRole('heading', { name: 'Welcome to Lifeboat' }).count()).toBe(0);
  });

  it('says "not protected" on the Done page and the Dashboard when the first copies fail', async () => {
    const { data, lifeboat, page } = await freshConsole();
    await page.goto(lifeboat.url);
    await page.getByLabel('Organisation name').fill('Acme Dental Group');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Vault folder').fill(path.join(data, 'vault'));
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Vault passphrase').fill(PASSPHRASE);
    await page.getByLabel('Type it again').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Create the vault' }).click();
    await page.getByLabel(/I have stored/).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Try the sample lab' }).click();
    const protect = page.getByRole('button', { name: 'Protect 3 VMs and copy now' });
    await protect.waitFor();
    // The lab's disks vanish between discovery and the first copy: every copy fails.
    const lab = path.join(data, 'sample-lab');
    for (const vm of fs.readdirSync(lab))
      for (const file of fs.readdirSync(path.join(lab, vm))) if (file.endsWith('.vmdk')) fs.rmSync(path.join(lab, vm, file));
    await protect.click();

    await page.getByRole('heading', { name: 'Not protected yet: the first copies failed' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('first-copy').filter({ hasText: 'Failed: see Activity' }).count()).toBe(3);
    expect(await page.getByRole('heading', { name: /are protected/ }).count()).toBe(0);
    await shot(page, 'first-run-failed-copies');
    await page.getByRole('button', { name: 'Go to the dashboard' }).click();
    const sentence = page.getByTestId('status-sentence');
    await sentence.filter({ hasText: 'not protected yet' }).waitFor();
    expect(await sentence.textContent()).toMatch(/^3 VMs are not protected yet: their first copies? failed/);
    const rows = page.getByTestId('rpo-table').getByRole('row');
    expect(
      await rows.filter({ hasText: 'Not protected' }).filter({ hasText: 'the file is not there (moved, renamed or deleted)' }).count(),
    ).toBe(3);
    await shot(page, 'first-run-failed-dashboard');
  });

  it('explains each mistake, keeps the settings, and never shows the passphrase again', async () => {
    const { data, lifeboat, page } = await freshConsole();
    const vaultPath = path.join(data, 'vault');
    await page.goto(lifeboat.url);
    await page.getByRole('heading', { name: 'Welcome to Lifeboat' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Enter your organisation name').waitFor();
    await page.getByLabel('Organisation name').fill('Acme Dental Group');
    await page.getByRole('button', { name: 'Next' }).click();

    const vault = page.getByLabel('Vault folder');
    await vault.fill('relative\\folder');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Use a full path').waitFor();
    await vault.fill(vaultPath);
    await page.getByRole('button', { name: 'Next' }).click();

    const passphrase = page.getByLabel('Vault passphrase');
    await passphrase.fill('password1234');
    expect(await page.getByTestId('passphrase-strength').textContent()).toBe('Weak');
    await page.getByRole('button', { name: 'Create the vault' }).click();
    await page.getByText('Weak.', { exact: false }).first().waitFor();
    await passphrase.fill(PASSPHRASE);
    expect(['Good', 'Strong']).toContain(await page.getByTestId('passphrase-strength').textContent());
    await page.getByLabel('Type it again').fill(PASSPHRASE + 'x');
    await page.getByRole('button', { name: 'Create the vault' }).click();
    await page.getByText('The two passphrases are different').waitFor();
    await shot(page, 'first-run-mistake-passphrase');
    await page.getByLabel('Type it again').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Create the vault' }).click();

    await page.getByRole('heading', { name: 'The vault is ready' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Tick the box once').waitFor();
    // A reload keeps the user where they were: setup is saved, the wizard goes on.
    await page.reload();
    await page.getByRole('heading', { name: 'The vault is ready' }).waitFor();
    await page.getByLabel(/I have stored/).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page
      .getByRole('button', { name: 'I’ll do this later' })
      .or(page.getByRole('button', { name: "I'll do this later" }))
      .click();
    await page.getByRole('heading', { name: 'No virtual machines found yet' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'No virtual machines found yet' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Welcome to Lifeboat' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
    expect(await page.getByLabel('Organisation name').inputValue()).toBe('Acme Dental Group');
    expect(await page.getByTestId('vault-location').textContent()).toBe(vaultPath);
    await page.getByText('Stored encrypted').waitFor();
    expect(await page.content()).not.toContain(PASSPHRASE);
    await shot(page, 'settings');

    // Jobs at the same time: a limit above the total is refused in words; a sensible one is saved.
    const perVault = page.getByLabel('Per vault');
    expect(await perVault.inputValue()).toBe('2');
    await page.getByLabel('In all').fill('1');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('alert').filter({ hasText: 'Per host and per vault cannot exceed the total.' }).waitFor();
    await page.getByLabel('In all').fill('3');
    await perVault.fill('1');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Waiting jobs start as soon as the new limits allow.').waitFor();
    await page.locator('#settings-jobs').scrollIntoViewIfNeeded();
    await shot(page, 'settings-jobs');

    const pages: [string, string][] = [
      ['Virtual machines', 'No virtual machines found yet'],
      ['Protection', 'No protection policies yet'],
      ['Drills', 'No drills yet'],
      ['Reports', 'Nothing to report yet'],
      ['Activity', 'No activity yet'],
      ['Dashboard', 'Nothing is protected yet'],
    ];
    for (const [link, emptyTitle] of pages) {
      await page.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { name: emptyTitle }).waitFor();
      await shot(page, `empty-${link.toLowerCase().replace(/\s+/g, '-')}`);
    }
    await page.getByRole('link', { name: 'Drills' }).click();
    await page.getByRole('button', { name: 'Protect VMs' }).click();
    await page.getByRole('heading', { name: 'No protection policies yet' }).waitFor();
    expect(page.url()).toMatch(/#\/protection$/);
  });

  it('sets up an Azure Blob vault: tests the connection, keeps the connection string sealed, and prints its recovery kit', async () => {
    const azurite = await startAzurite();
    cleanups.push(() => azurite.dispose());
    const { page, lifeboat } = await freshConsole();
    await page.goto(lifeboat.url);
    await page.getByLabel('Organisation name').fill('Acme Dental Group');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Azure Blob Storage').click();
    await page.getByRole('textbox', { name: /^Container/ }).fill('lifeboat');
    await page.getByLabel('Folder in the container (optional)').fill('office');
    await page.getByLabel('Connection string').fill(azurite.connectionString.replace(/AccountKey=[^;]+/, 'AccountKey=d3Jvbmcta2V5'));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Lifeboat cannot use this vault location').first().waitFor();
    // Next checks the location too: a vault Lifeboat cannot reach is never saved.
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByText('Lifeboat cannot use this vault location').count()).toBe(2);
    expect(await page.getByLabel('Vault passphrase').count()).toBe(0);
    await shot(page, 'first-run-azure-1-wrong-key');
    await page.getByLabel('Connection string').fill(azurite.connectionString);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByTestId('vault-test-result').filter({ hasText: 'wrote, read back and deleted' }).waitFor();
    await shot(page, 'first-run-azure-2-reached');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Vault passphrase').fill(PASSPHRASE);
    await page.getByLabel('Type it again').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Create the vault' }).click();
    const kit = page.getByTestId('recovery-kit');
    await kit.waitFor({ timeout: 30_000 });
    expect(await kit.textContent()).toContain('azblob://lifeboat/office');
    expect(await page.content()).not.toContain(azurite.connectionString.match(/AccountKey=([^;]+)/)![1]);
    await shot(page, 'first-run-azure-3-kit');
    const targets = await callApi<{ location: { kind: string; path: string }; hasCredentials: boolean }[]>(lifeboat, 'listTargets');
    expect(targets).toEqual([
      expect.objectContaining({ location: { kind: 'azure', path: 'azblob://lifeboat/office' }, hasCredentials: true }),
    ]);
  });
});
