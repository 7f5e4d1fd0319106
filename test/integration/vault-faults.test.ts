import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { createDiskWriter, openDisk } from '../../core/disks/index';
import type { Backend, PutData, PutOptions } from '../../core/vault/backends/types';
import { Vault } from '../../core/vault/index';
import { Prng, textBytes } from '../bench/vault-disk';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { runCli } from '../helpers/cli';
import { startS3 } from '../helpers/s3';
import { repoRoot, tempDir } from '../helpers/temp';
import { backupAgainAfterFailure, sameFiles } from '../helpers/vault-resume';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;
const BIN = path.join(repoRoot, 'bin', 'lifeboat.js');

/** Rewrites a few regions so every backup has new blocks to upload. */
function mutate(file: string, prng: Prng, regions: number): void {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r+');
  for (let i = 0; i < regions; i++) {
    const length = prng.int(1, 64) * 16 * 1024;
    const offset = Math.floor(prng.next() * (size - length));
    const data = prng.next() < 0.5 ? crypto.randomBytes(length) : textBytes(prng.int(1, 1e6), i, length);
    fs.writeSync(fd, data, 0, length, offset);
  }
  fs.closeSync(fd);
}

describe('vault crash safety', () => {
  it('stays valid when a backup is SIGKILLed at random points, and the next backup completes (20 trials)', async () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    const env = { ...process.env, LIFEBOAT_DATA: '', LIFEBOAT_PASSPHRASE: PASSPHRASE };
    expect(runCli(['vault', 'init', location], env).status).toBe(0);
    const disk = path.join(dir, 'disk.img');
    fs.writeFileSync(disk, Buffer.concat([crypto.randomBytes(16 * MiB), textBytes(9, 9, 8 * MiB)]));
    const backupArgs = ['vault', 'backup-disk', location, disk, '--vm', 'crashy', '--disk', 'd0', '--pack-size', '1MiB', '--json'];

    // How long a run takes here sets the range the kills are spread over: the quicker of two, since runs
    // that only add a few changed blocks are faster than the first.
    const timed = (): number => {
      const started = performance.now();
      expect(runCli(backupArgs, env).status).toBe(0);
      return performance.now() - started;
    };
    timed();
    mutate(disk, new Prng(1), 6);
    const fullMs = timed();

    const seed = Number(process.env.LIFEBOAT_KILL_SEED ?? Date.now() % 100_000);
    const prng = new Prng(seed);
    const kills: number[] = [];
    // Until 20 kills have landed mid-run (a kill after the run ended is no trial): each is followed by a
    // full verify and a backup that must complete.
    for (let attempt = 0; kills.length < 20 && attempt < 40; attempt++) {
      mutate(disk, prng, 6);
      const delay = Math.round(100 + prng.next() * (fullMs - 100));
      const child = spawn(process.execPath, [BIN, ...backupArgs], { env, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const signal = await new Promise<string | null>((resolve) => child.once('exit', (_code, s) => resolve(s)));
      clearTimeout(timer);
      if (signal !== 'SIGKILL') continue;
      kills.push(delay);
      const trial = `seed ${seed}, kill ${kills.length} after ${delay} ms`;

      const verify = runCli(['vault', 'verify', location, '--read-data'], env);
      expect(verify.status, `${trial}\n${verify.stdout}${verify.stderr}`).toBe(0);
      const next = runCli(backupArgs, env);
      expect(next.status, `${trial}: ${next.stderr}`).toBe(0);
      if (kills.length % 5 === 0) {
        const point = JSON.parse(next.stdout) as { id: string };
        const out = path.join(dir, 'restored.img');
        expect(runCli(['vault', 'restore-disk', location, point.id, 'd0', out], env).status).toBe(0);
        expect(sameFiles(disk, out), trial).toBe(true);
      }
    }
    expect(kills).toHaveLength(20);
    // Prune sweeps whatever the killed runs left behind; everything still verifies.
    expect(runCli(['vault', 'prune', location, '--keep-last', '3'], { ...env, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '0' }).status).toBe(0);
    const report = JSON.parse(runCli(['vault', 'verify', location, '--read-data', '--json'], env).stdout) as {
      ok: boolean;
      unreferencedPacks: number;
    };
    expect(report).toMatchObject({ ok: true, unreferencedPacks: 0 });
    // No lock is left. A run killed while writing its lock may leave a `.tmp-*` file, which no reader lists
    // and prune sweeps once it is ten minutes old (the folder backend's documented crash residue).
    expect(fs.readdirSync(path.join(location, 'locks')).filter((name) => !name.startsWith('.tmp-'))).toEqual([]);
  }, 300_000);
});

describe('cancelling a restore', () => {
  it('stops a restore into a raw image (written by the worker threads) and into a VHDX, leaving no file and the vault readable', async () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    await (await Vault.init(location, PASSPHRASE)).close();
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, crypto.randomBytes(48 * MiB));
    const vault = await Vault.open(location, PASSPHRASE);
    try {
      const reader = await openDisk(file);
      const point = await vault.backup({ vm: 'fs01', disks: [{ name: 'd0', reader }] });
      await reader.close();
      for (const format of ['raw', 'vhdx'] as const) {
        const out = path.join(dir, `cancelled.${format}`);
        const controller = new AbortController();
        let seen = 0;
        const failure = await vault
          .restoreDisk(point.id, 'd0', await createDiskWriter(format, out, 48 * MiB), {
            signal: controller.signal,
            // Cancelled by the operator once the first data is written.
            onProgress: (progress) => {
              seen = progress.bytesDone;
              if (progress.bytesDone > 0) controller.abort();
            },
          })
          .then(
            () => null,
            (error: unknown) => error,
          );
        expect(failure, format).toBeInstanceOf(LifeboatError);
        expect((failure as LifeboatError).code).toBe('CANCELLED');
        expect(seen).toBeGreaterThan(0);
        expect(seen).toBeLessThan(48 * MiB);
        expect(fs.existsSync(out)).toBe(false);
      }
      // Nothing was left locked or damaged: the next restore completes.
      const out = path.join(dir, 'restored.img');
      await vault.restoreDisk(point.id, 'd0', await createDiskWriter('raw', out, 48 * MiB));
      expect(sameFiles(file, out)).toBe(true);
    } finally {
      await vault.close();
    }
  });
});

describe('vault on Azure Blob (Azurite)', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => azurite?.dispose());

  /** The real backend, but the emulator is stopped right after the `after`-th pack has been stored. */
  function stopAfterPacks(after: number): (backend: Backend) => Backend {
    return (backend) => {
      let packs = 0;
      return new Proxy(backend, {
        get(target, property, receiver) {
          if (property !== 'put') return Reflect.get(target, property, receiver) as unknown;
          return async (key: string, data: PutData, options?: PutOptions) => {
            await target.put(key, data, options);
            if (key.startsWith('packs/') && ++packs === after) await azurite.stop();
          };
        },
      });
    };
  }

  it('fails with a clear error after retries when the backend goes down mid-run, stays valid, and the next run reuses the upload', async () => {
    const dir = tempDir();
    const options = {
      credentials: { connectionString: azurite.connectionString },
      packSize: MiB,
      retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
    };
    const location = 'azblob://vault-down/lab';
    await (await Vault.init(location, PASSPHRASE, options)).close();
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, crypto.randomBytes(24 * MiB));

    const vault = await Vault.open(location, PASSPHRASE, { ...options, wrapRaw: stopAfterPacks(4) });
    const reader = await openDisk(file);
    const failure = await vault.backup({ vm: 'fs01', disks: [{ name: 'd0', reader }] }).then(
      () => null,
      (error: unknown) => error,
    );
    await reader.close();
    await vault.close();
    expect(failure).toBeInstanceOf(LifeboatError);
    expect((failure as LifeboatError).code).toBe('BACKEND_UNAVAILABLE');
    expect((failure as LifeboatError).message).toMatch(/Cannot reach the vault at azblob:\/\/vault-down\/lab: .*gave up after 3 tries/);
    expect((failure as LifeboatError).fix).toContain('reuses everything already uploaded');

    await azurite.start();
    const stats = await backupAgainAfterFailure(location, PASSPHRASE, options, file, dir);
    // The packs uploaded before the outage were adopted; only the rest was uploaded again.
    expect(stats.packsAdopted).toBeGreaterThanOrEqual(4);
    expect(stats.blocksKnown).toBeGreaterThan(0);
    expect(stats.bytesNew).toBeLessThan(24 * MiB);
  });

  it('backs up, lists and restores through the CLI with azblob:// and a prefix', () => {
    const dir = tempDir();
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const location = 'azblob://cli-vault/site-a/vms';
    expect(runCli(['vault', 'init', location], env).status).toBe(0);
    const disk = path.join(dir, 'd.img');
    fs.writeFileSync(disk, Buffer.concat([crypto.randomBytes(3 * MiB), Buffer.alloc(2 * MiB), textBytes(3, 3, MiB + 7)]));
    const backup = runCli(['vault', 'backup-disk', location, disk, '--vm', 'web', '--disk', 'disk0', '--json'], env);
    expect(backup.status, backup.stderr).toBe(0);
    const points = JSON.parse(runCli(['vault', 'list', location, '--json'], env).stdout) as { id: string }[];
    expect(points).toHaveLength(1);
    const out = path.join(dir, 'out.img');
    expect(runCli(['vault', 'restore-disk', location, points[0]!.id, 'disk0', out], env).status).toBe(0);
    expect(sameFiles(disk, out)).toBe(true);
    expect(runCli(['vault', 'verify', location, '--read-data'], env).status).toBe(0);
  });
});

describe('vault on S3 (s3rver)', () => {
  it('initialises a bucket, backs up, restores and verifies through the CLI with s3:// and a prefix', async () => {
    const s3 = await startS3();
    try {
      const dir = tempDir();
      const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE, ...s3.env };
      const location = 's3://lifeboat-vault/branch-office';
      expect(runCli(['vault', 'init', location], env).status).toBe(0);
      const disk = path.join(dir, 'd.img');
      fs.writeFileSync(disk, Buffer.concat([textBytes(4, 4, 2 * MiB), crypto.randomBytes(3 * MiB + 5)]));
      const backup = runCli(
        ['vault', 'backup-disk', location, disk, '--vm', 'sql', '--disk', 'data', '--pack-size', '1MiB', '--json'],
        env,
      );
      expect(backup.status, backup.stderr).toBe(0);
      const id = (JSON.parse(backup.stdout) as { id: string }).id;
      const out = path.join(dir, 'out.img');
      expect(runCli(['vault', 'restore-disk', location, id, 'data', out], env).status).toBe(0);
      expect(sameFiles(disk, out)).toBe(true);
      expect(runCli(['vault', 'verify', location, '--read-data'], env).status).toBe(0);
    } finally {
      await s3.close();
    }
  });
});
