import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { createDiskWriter, openDisk } from '../../core/disks/index';
import type { DiskWriter } from '../../core/disks/types';
import { Vault } from '../../core/vault/index';
import { runCli } from '../helpers/cli';
import { canMountSmallDisk, smallDisk } from '../helpers/small-disk';
import { tempDir } from '../helpers/temp';
import { backupAgainAfterFailure } from '../helpers/vault-resume';

/**
 * A full disk, on either side of the vault: the vault's own storage filling up during a backup, and the
 * folder a disk is restored into being too small. Real ENOSPC from a small tmpfs, not a simulated error.
 */
const PASSPHRASE = 'Copper-Meadow-41-Anchor-Drift';
const MiB = 1024 * 1024;

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => path.basename(name).startsWith('.tmp-'));
}

async function failureOf(work: Promise<unknown>): Promise<LifeboatError> {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LifeboatError);
  return error as LifeboatError;
}

describe.skipIf(!canMountSmallDisk)('a full disk (tmpfs; needs root on Linux)', () => {
  it('fails a backup into a full vault with STORAGE_FULL, keeps the vault valid, and the next run after freeing space reuses what was written', async () => {
    const small = smallDisk(12);
    const location = path.join(small.dir, 'vault');
    const options = { packSize: MiB };
    await (await Vault.init(location, PASSPHRASE, options)).close();
    const file = path.join(tempDir(), 'disk.img');
    fs.writeFileSync(file, crypto.randomBytes(24 * MiB));

    const vault = await Vault.open(location, PASSPHRASE, options);
    const reader = await openDisk(file);
    const failure = await failureOf(vault.backup({ vm: 'fs01', disks: [{ name: 'd0', reader }] }));
    await reader.close();
    await vault.close();
    expect(failure.code).toBe('STORAGE_FULL');
    expect(failure.message).toMatch(/^The vault at .* is full: The vault's disk is full/);
    expect(failure.fix).toContain('lifeboat vault prune');
    expect(leftovers(location)).toEqual([]);

    small.resize(64);
    const stats = await backupAgainAfterFailure(location, PASSPHRASE, options, file, tempDir());
    // What was written before the disk filled up (indexed by the failed run on its way out) is not written again.
    expect(stats.blocksKnown).toBeGreaterThanOrEqual(4);
    expect(stats.bytesNew).toBeLessThanOrEqual(20 * MiB);
  });

  describe('restoring into a folder that is too small', () => {
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE };

    function backedUp(): { location: string; file: string; point: string } {
      const dir = tempDir();
      const location = path.join(dir, 'vault');
      const file = path.join(dir, 'disk.img');
      fs.writeFileSync(file, crypto.randomBytes(24 * MiB));
      expect(runCli(['vault', 'init', location], env).status).toBe(0);
      const backup = runCli(['vault', 'backup-disk', location, file, '--vm', 'fs01', '--disk', 'd0', '--json'], env);
      expect(backup.status, backup.stderr).toBe(0);
      return { location, file, point: (JSON.parse(backup.stdout) as { id: string }).id };
    }

    it('says how much room the disk needs before writing anything (lifeboat vault restore-disk)', () => {
      const { location, point } = backedUp();
      const small = smallDisk(8);
      const out = path.join(small.dir, 'restored.img');
      const restore = runCli(['vault', 'restore-disk', location, point, 'd0', out], env);
      expect(restore.status).toBe(1);
      expect(restore.stderr).toContain(`There is not enough room in ${small.dir} for the restored disk: it needs 25.2 MB, 8.4 MB is free.`);
      expect(restore.stderr).toContain('Free space there, or restore to a folder on a larger disk.');
      expect(fs.readdirSync(small.dir)).toEqual([]);
    });

    it('turns ENOSPC midway into STORAGE_FULL and removes the partial disk, whether worker threads or this thread write it', async () => {
      const { location, point } = backedUp();
      const small = smallDisk(8);
      const vault = await Vault.open(location, PASSPHRASE);
      try {
        for (const positional of [true, false]) {
          const out = path.join(small.dir, `restored-${positional}.img`);
          const real = await createDiskWriter('raw', out, 24 * MiB);
          expect(real.positional).toBeDefined();
          // No file list, so the up-front room check cannot run and the write itself must hit the full disk.
          const writer: DiskWriter = {
            format: real.format,
            files: [],
            write: (offset, data) => real.write(offset, data),
            ...(positional ? { positional: real.positional! } : {}),
            close: () => real.close(),
            abort: () => real.abort(),
          };
          const failure = await failureOf(vault.restoreDisk(point, 'd0', writer));
          expect(failure.code).toBe('STORAGE_FULL');
          const where = positional ? small.dir : 'the restore target';
          expect(failure.message).toBe(`There is not enough room in ${where} for the restored disk: it needs 25.2 MB.`);
          expect(fs.readdirSync(small.dir)).toEqual([]);
          expect(small.free()).toBe(8 * MiB);
        }
      } finally {
        await vault.close();
      }
    });
  });
});
