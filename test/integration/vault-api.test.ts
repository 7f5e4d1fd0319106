import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConsoleEvent } from '../../core/contract/events';
import { createLocalClient } from '../../core/contract/dispatch';
import { LifeboatError } from '../../core/contract/errors';
import { createService } from '../../core/service';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;

describe('vault through the ConsoleApi', () => {
  it('uses the wizard’s vault and stored passphrase: init, backup with progress events, list, restore, verify, kit', async () => {
    const dir = tempDir();
    const service = createService({ dataDir: path.join(dir, 'data') });
    const events: ConsoleEvent[] = [];
    service.subscribe((event) => events.push(event));
    const api = createLocalClient(service.api);
    try {
      await expect(api.vaultList({})).rejects.toMatchObject({ code: 'NOT_SET_UP' });
      const vaultPath = path.join(dir, 'vault');
      await api.completeFirstRun({ organisation: 'Acme', vault: { kind: 'folder', path: vaultPath }, passphrase: PASSPHRASE });
      const created = await api.vaultInit({});
      expect(created).toMatchObject({ location: vaultPath, created: true, blockSize: MiB });
      expect(await api.vaultInit({})).toMatchObject({ id: created.id, created: false });

      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, Buffer.concat([crypto.randomBytes(5 * MiB), Buffer.alloc(3 * MiB), crypto.randomBytes(1234)]));
      const point = await api.vaultBackupDisk({ diskFile: disk, vm: 'web01', disk: 'disk0', jobId: 'job-1' });
      expect(point).toMatchObject({ jobId: 'job-1', vm: 'web01', disks: [{ name: 'disk0', size: 8 * MiB + 1234 }] });
      expect(events.some((event) => event.type === 'job.progress' && event.jobId === 'job-1' && event.bytesTotal > 0)).toBe(true);
      expect(events.at(-1)).toEqual({ type: 'job.finished', jobId: 'job-1', status: 'succeeded' });

      expect((await api.vaultList({})).map((p) => p.id)).toEqual([point.id]);
      const out = path.join(dir, 'out.img');
      const restored = await api.vaultRestoreDisk({ pointId: point.id, disk: 'disk0', outFile: out });
      expect(restored).toMatchObject({ format: 'raw', size: 8 * MiB + 1234 });
      expect(fs.readFileSync(out).equals(fs.readFileSync(disk))).toBe(true);
      expect(await api.vaultVerify({ readData: 0.5 })).toMatchObject({ ok: true, points: 1 });
      expect((await api.vaultRecoveryKit({})).text).toContain('RECOVERY KEY');
      expect(await api.vaultUnlock({})).toEqual({ removed: [] });
      await expect(
        api.vaultRestoreDisk({ pointId: point.id, disk: 'disk0', outFile: out, format: 'qcow2' as 'raw' }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(api.vaultList({ passphrase: 'Not-The-Passphrase-99' })).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    } finally {
      await service.close();
    }
  });

  it('cancels a running backup by its job id, leaving the vault valid', async () => {
    const dir = tempDir();
    const service = createService({ dataDir: path.join(dir, 'data') });
    const api = createLocalClient(service.api);
    try {
      const location = path.join(dir, 'vault');
      await api.vaultInit({ location, passphrase: PASSPHRASE });
      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, crypto.randomBytes(48 * MiB));
      let cancelled: Promise<{ cancelled: boolean }> | null = null;
      service.subscribe((event) => {
        if (event.type === 'job.progress' && event.jobId === 'long' && !cancelled) cancelled = api.vaultCancel({ jobId: 'long' });
      });
      const failure = await api
        .vaultBackupDisk({ location, passphrase: PASSPHRASE, diskFile: disk, vm: 'big', disk: 'd', jobId: 'long' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LifeboatError);
      expect((failure as LifeboatError).code).toBe('CANCELLED');
      expect(await cancelled).toEqual({ cancelled: true });
      expect(await api.vaultList({ location, passphrase: PASSPHRASE })).toEqual([]);
      expect(await api.vaultVerify({ location, passphrase: PASSPHRASE, readData: 'all' })).toMatchObject({ ok: true });
      expect(await api.vaultCancel({ jobId: 'long' })).toEqual({ cancelled: false });
    } finally {
      await service.close();
    }
  });
});
