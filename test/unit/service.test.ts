import fs from 'node:fs';
import path from 'node:path';
import { LATEST_SCHEMA_VERSION } from '../../core/store/migrations';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { ConsoleEvent } from '../../core/contract/events';
import { createService } from '../../core/service';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const fixedClock = { now: () => new Date('2026-11-25T10:00:00Z') };

function open(dir: string) {
  const service = createService({ dataDir: dir, clock: fixedClock });
  return { service, client: createLocalClient(service.api) };
}

describe('service: settings and first run', () => {
  it('starts not set up, with a suggested vault folder', async () => {
    const { service, client } = open(tempDir());
    const settings = await client.getSettings();
    expect(settings).toMatchObject({ organisation: null, vault: null, passphraseStored: false, firstRunComplete: false });
    expect(settings.suggestedVaultPath).toMatch(/LifeboatVault$/);
    await service.close();
  });

  it('persists the first-run answers across restarts and announces the change', async () => {
    const dir = tempDir();
    const first = open(dir);
    const events: ConsoleEvent[] = [];
    first.service.subscribe((event) => events.push(event));
    await first.client.completeFirstRun({
      organisation: 'Acme Dental',
      vault: { kind: 'folder', path: '/srv/vault' },
      passphrase: PASSPHRASE,
    });
    expect(events.map((e) => e.type)).toEqual(['settings.changed', 'catalog.changed']);
    await first.service.close();

    const second = open(dir);
    const settings = await second.client.getSettings();
    expect(settings).toMatchObject({
      organisation: 'Acme Dental',
      vault: { name: 'Primary vault', location: { kind: 'folder', path: '/srv/vault' } },
      passphraseStored: true,
      firstRunComplete: true,
    });
    const status = await second.client.getStatus();
    expect(status).toMatchObject({ firstRunComplete: true, organisation: 'Acme Dental', schemaVersion: LATEST_SCHEMA_VERSION });
    await second.service.close();
  });

  it('never writes the passphrase in plain text to the data folder', async () => {
    const dir = tempDir();
    const { service, client } = open(dir);
    await client.completeFirstRun({ organisation: 'Acme', vault: { kind: 'folder', path: '/srv/vault' }, passphrase: PASSPHRASE });
    await service.close();
    const needle = Buffer.from(PASSPHRASE);
    for (const file of fs.readdirSync(dir)) {
      expect(fs.readFileSync(path.join(dir, file)).includes(needle), file).toBe(false);
    }
  });

  it('keeps the vault target when the wizard is completed again, and refuses edits before setup', async () => {
    const { service, client } = open(tempDir());
    await expect(client.updateSettings({ organisation: 'Acme' })).rejects.toMatchObject({ code: 'NOT_SET_UP' });
    const first = await client.completeFirstRun({ organisation: 'A', vault: { kind: 'folder', path: '/a' }, passphrase: PASSPHRASE });
    const again = await client.completeFirstRun({ organisation: 'B', vault: { kind: 'folder', path: '/b' }, passphrase: PASSPHRASE });
    expect(again.vault?.id).toBe(first.vault?.id);
    expect(again.vault?.location.path).toBe('/b');
    expect((await client.updateSettings({ organisation: 'Acme Ltd' })).organisation).toBe('Acme Ltd');
    expect(again.desktop).toEqual({ startAtLogin: true, autoUpdate: false });
    expect((await client.updateSettings({ autoUpdate: true })).desktop).toEqual({ startAtLogin: true, autoUpdate: true });
    const actions = (await client.listAuditEvents()).map((e) => `${e.action}:${e.subject}`);
    expect(actions.slice(0, 2)).toEqual(['settings.changed:autoUpdate', 'settings.changed:organisation']);
    await service.close();
  });
});
