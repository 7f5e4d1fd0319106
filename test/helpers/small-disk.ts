import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/** Mounting a file system needs Linux and root (CI and this project's machines run tests as root). */
export const canMountSmallDisk = process.platform === 'linux' && process.getuid?.() === 0;

export interface SmallDisk {
  dir: string;
  /** Bytes the file system reports free right now. */
  free(): number;
  /** Gives the file system a new size, as freeing space or growing a volume would. */
  resize(mib: number): void;
}

function mount(...args: string[]): void {
  const result = spawnSync('mount', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${result.stderr}`);
}

/**
 * A tmpfs of `mib` MiB, unmounted when the test finishes: a disk that really fills up, so writes fail with
 * the kernel's own ENOSPC rather than a simulated one.
 */
export function smallDisk(mib: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-small-disk-'));
  mount('-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, 'tmpfs', dir);
  onTestFinished(() => {
    spawnSync('umount', [dir]);
    fs.rmdirSync(dir);
  });
  return {
    dir,
    free: () => {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    resize: (size) => mount('-o', `remount,size=${size}m`, dir),
  };
}
