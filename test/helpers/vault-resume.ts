import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { createDiskWriter, openDisk } from '../../core/disks/index';
import type { BackupStats } from '../../core/vault/backup';
import { Vault, type VaultOptions } from '../../core/vault/index';

/** Byte-for-byte equality of two files (cmp). */
export function sameFiles(a: string, b: string): boolean {
  return spawnSync('cmp', ['-s', a, b]).status === 0;
}

/**
 * What every fault test checks after a backup that failed midway: the vault opens, verifies with all data
 * read, holds no recovery point from the failed run, and the next backup of `file` completes, restores
 * byte for byte and verifies. Returns that backup's stats, so the caller can check what was reused.
 */
export async function backupAgainAfterFailure(
  location: string,
  passphrase: string,
  options: VaultOptions,
  file: string,
  outDir: string,
): Promise<BackupStats> {
  const vault = await Vault.open(location, passphrase, options);
  try {
    expect((await vault.verify({ readData: 'all' })).ok).toBe(true);
    expect(await vault.list()).toEqual([]);
    const reader = await openDisk(file);
    const point = await vault.backup({ vm: 'fs01', disks: [{ name: 'd0', reader }] }).finally(() => reader.close());
    const out = path.join(outDir, 'restored.img');
    await vault.restoreDisk(point.id, 'd0', await createDiskWriter('raw', out, fs.statSync(file).size));
    expect(sameFiles(file, out)).toBe(true);
    expect((await vault.verify({ readData: 'all' })).ok).toBe(true);
    return point.stats;
  } finally {
    await vault.close();
  }
}
