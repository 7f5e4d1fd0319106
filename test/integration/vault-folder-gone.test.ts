import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { openDisk } from '../../core/disks/index';
import { openRawBackend } from '../../core/vault/backends/open';
import type { Backend } from '../../core/vault/backends/types';
import { backup } from '../../core/vault/backup';
import { Vault } from '../../core/vault/index';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;

function randomDisk(dir: string, mib: number): string {
  const file = path.join(dir, 'disk.img');
  fs.writeFileSync(file, crypto.randomBytes(mib * MiB));
  return file;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof LifeboatError ? error.code : `not a LifeboatError: ${String(error)}`),
  );
}

describe('a vault folder that disappears', () => {
  it('is never recreated by a write: the put fails as VAULT_NOT_FOUND and leaves nothing behind', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'vault');
    const backend = openRawBackend(root);
    expect(await codeOf(backend.put('packs/ab/abcdef', Buffer.from('data')))).toBe('VAULT_NOT_FOUND');
    expect(fs.existsSync(root)).toBe(false);
    // The folder above it is untouched too: only what the failed call made was removed.
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('fails a backup at once when it vanishes mid-copy, writing no orphan data into a new folder', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'vault');
    const disk = randomDisk(dir, 24);
    await (await Vault.init(root, PASSPHRASE)).close();
    let puts = 0;
    // The folder is deleted by someone else after the copy's third upload.
    const deletingAfterThreePuts = (raw: Backend): Backend =>
      new Proxy(raw, {
        get(target, name, receiver) {
          if (name !== 'put') return Reflect.get(target, name, receiver) as unknown;
          return async (...args: Parameters<Backend['put']>) => {
            if (puts++ === 3) fs.rmSync(root, { recursive: true, force: true });
            return target.put(...args);
          };
        },
      });
    const vault = await Vault.open(root, PASSPHRASE, { packSize: 1 * MiB, wrapRaw: deletingAfterThreePuts });
    const reader = await openDisk(disk);
    try {
      expect(await codeOf(backup(vault, { vm: 'web01', disks: [{ name: 'disk0', reader }] }))).toBe('VAULT_NOT_FOUND');
    } finally {
      await reader.close();
      await vault.close().catch(() => undefined);
    }
    expect(puts).toBeGreaterThan(3);
    expect(fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }) : 'gone').toBe('gone');
    // And the next copy is refused before it starts.
    expect(await codeOf(Vault.open(root, PASSPHRASE))).toBe('VAULT_NOT_FOUND');
    expect(fs.existsSync(root)).toBe(false);
  });
});
