import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { createDiskWriter, openDisk } from '../../core/disks/index';
import { openRawBackend } from '../../core/vault/backends/open';
import { ReadOnlyBackend } from '../../core/vault/backends/read-only';
import { Vault } from '../../core/vault/vault';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;

/** Every file under `root` with a hash of its bytes: what "nothing changed in the backend" compares. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(root, file)] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return files;
}

async function refusal(promise: Promise<unknown>): Promise<LifeboatError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LifeboatError);
  return error as LifeboatError;
}

/** A folder vault holding one recovery point of a 3 MiB disk. */
async function vaultWithOnePoint(): Promise<{ location: string; disk: string; pointId: string }> {
  const dir = tempDir('lifeboat-read-only-');
  const location = path.join(dir, 'vault');
  const disk = path.join(dir, 'disk.img');
  fs.writeFileSync(disk, crypto.randomBytes(3 * MiB));
  const vault = await Vault.init(location, PASSPHRASE, { packSize: MiB });
  const reader = await openDisk(disk);
  try {
    const point = await vault.backup({ vm: 'web01', disks: [{ name: 'disk0', reader }] });
    return { location, disk, pointId: point.id };
  } finally {
    await reader.close();
    await vault.close();
  }
}

describe('a read-only vault', () => {
  it('refuses every write of vault data, naming the operation, and leaves the backend exactly as it was', async () => {
    const { location, disk, pointId } = await vaultWithOnePoint();
    const before = snapshot(location);
    const vault = await Vault.open(location, PASSPHRASE, { readOnly: true, packSize: MiB });
    try {
      fs.appendFileSync(disk, crypto.randomBytes(MiB)); // new data, so the backup must upload a pack
      const reader = await openDisk(disk);
      const backup = await refusal(vault.backup({ vm: 'web01', disks: [{ name: 'disk0', reader }] }).finally(() => reader.close()));
      expect(backup.code).toBe('INTERNAL');
      expect(backup.message).toMatch(
        /^A read-only vault view was asked to write (packs|blocklists|points)\/\S+ in .*: this is a bug, report it\.$/,
      );

      const forget = await refusal(vault.forget([pointId]));
      expect(forget.message).toContain(`asked to delete points/${pointId}`);
      await expect(refusal(vault.changePassphrase('Another-Passphrase-77-Lantern'))).resolves.toMatchObject({
        message: expect.stringContaining('asked to write config'),
      });
      await expect(refusal(vault.prune({ keepLast: 1 }))).resolves.toMatchObject({ code: 'INTERNAL' });
    } finally {
      await vault.close();
    }
    expect(snapshot(location)).toEqual(before);
  });

  it('still restores and verifies: readers take their lock, and release it', async () => {
    const { location, disk, pointId } = await vaultWithOnePoint();
    const before = snapshot(location);
    const vault = await Vault.open(location, PASSPHRASE, { readOnly: true });
    try {
      const out = path.join(tempDir(), 'restored.img');
      await vault.restoreDisk(pointId, 'disk0', await createDiskWriter('raw', out, 3 * MiB));
      expect(fs.readFileSync(out).equals(fs.readFileSync(disk))).toBe(true);
      expect(await vault.verify({ readData: 'all' })).toMatchObject({ ok: true, points: 1 });
    } finally {
      await vault.close();
    }
    expect(snapshot(location)).toEqual(before);
  });

  it('passes reads and lock objects through, and refuses to create the folder or sweep it', async () => {
    const { location } = await vaultWithOnePoint();
    const backend = new ReadOnlyBackend(openRawBackend(location), ['locks/']);
    expect(backend.capabilities).toMatchObject({ localRoot: location, holder: 'folder', tornUntilSynced: true });
    expect((await backend.get('config')).length).toBeGreaterThan(0);
    await expect(refusal(backend.put('index/abc', Buffer.from('x')))).resolves.toMatchObject({
      message: expect.stringContaining('asked to write index/abc'),
    });
    await expect(refusal(backend.delete('config'))).resolves.toMatchObject({ message: expect.stringContaining('asked to delete config') });
    await expect(refusal(backend.capabilities.ensureHolder())).resolves.toMatchObject({ code: 'INTERNAL' });
    await expect(refusal(backend.capabilities.removeLeftovers(0))).resolves.toMatchObject({ code: 'INTERNAL' });
    await backend.put('locks/test', Buffer.from('{}'));
    expect(fs.existsSync(path.join(location, 'locks', 'test'))).toBe(true);
    await backend.delete('locks/test');
    expect(fs.existsSync(path.join(location, 'locks', 'test'))).toBe(false);
    expect(fs.existsSync(path.join(location, 'config'))).toBe(true);
  });
});
