import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser';
import { serveConsole, type ServingConsole } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let lifeboat: ServingConsole;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  data = tempDirManual();
  lifeboat = await serveConsole(['--data', data.dir]);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
  data?.remove();
});

describe('first run in the browser console', () => {
  it('walks the wizard, persists the settings, and shows them after a reload', async () => {
    const vaultPath = path.join(data.dir, 'vault');
    await page.goto(lifeboat.url);
    expect(page.url()).not.toContain('token=');

    await page.getByRole('heading', { name: 'Welcome to Lifeboat' }).waitFor();
    await screenshot(page, 'first-run-1-organisation');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Enter your organisation name').waitFor();
    await page.getByLabel('Organisation name').fill('Acme Dental Group');
    await page.getByRole('button', { name: 'Next' }).click();

    const vault = page.getByLabel('Vault folder');
    await vault.waitFor();
    expect(await vault.inputValue()).toMatch(/LifeboatVault$/);
    await vault.fill('relative\\folder');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Use a full path').waitFor();
    await vault.fill(vaultPath);
    await screenshot(page, 'first-run-2-vault');
    await page.getByRole('button', { name: 'Next' }).click();

    const passphrase = page.getByLabel('Vault passphrase');
    await passphrase.waitFor();
    await passphrase.fill('password1234');
    expect(await page.getByTestId('passphrase-strength').textContent()).toBe('Weak');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Weak.', { exact: false }).first().waitFor();
    await passphrase.fill(PASSPHRASE);
    expect(['Good', 'Strong']).toContain(await page.getByTestId('passphrase-strength').textContent());
    await page.getByLabel('Type it again').fill(PASSPHRASE + 'x');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('The two passphrases are different').waitFor();
    await page.getByLabel('Type it again').fill(PASSPHRASE);
    await screenshot(page, 'first-run-3-passphrase');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByText('Ready to save').waitFor();
    await screenshot(page, 'first-run-4-review');
    await page.getByRole('button', { name: 'Finish setup' }).click();

    await page.getByRole('heading', { name: 'Nothing is protected yet' }).waitFor();
    await screenshot(page, 'dashboard-empty');

    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Welcome to Lifeboat' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByLabel('Organisation name').inputValue()).toBe('Acme Dental Group');
    expect(await page.getByTestId('vault-location').textContent()).toBe(vaultPath);
    await page.getByText('Stored encrypted').waitFor();
    expect(await page.content()).not.toContain(PASSPHRASE);
    await screenshot(page, 'settings');
  });

  it('gives every page an empty state that says what to do next', async () => {
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
      await screenshot(page, `empty-${link.toLowerCase().replace(/\s+/g, '-')}`);
    }
    await page.getByRole('link', { name: 'Drills' }).click();
    await page.getByRole('button', { name: 'Protect VMs' }).click();
    await page.getByRole('heading', { name: 'No protection policies yet' }).waitFor();
    expect(page.url()).toMatch(/#\/protection$/);
  });
});
