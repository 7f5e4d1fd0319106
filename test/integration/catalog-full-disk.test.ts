import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { LifeboatError } from '../../core/contract/errors';
import { createService } from '../../core/service';
import { runCli } from '../helpers/cli';
import { canMountSmallDisk, smallDisk } from '../helpers/small-disk';
import { tempDir } from '../helpers/temp';

/**
 * The data folder on a disk that really fills up (a small tmpfs; needs root on Linux): writing to the catalog
 * fails with "the disk is full, free space" — never the corrupt-catalog advice that would have the user move
 * the catalog (audit log, policies, hosts) aside — and once space is freed everything written before is there
 * and writes work again.
 */
const FULL = /The disk holding the data folder .* is full/;
const FIX = 'Free space on that disk, then try again: nothing was lost.';

/** Fills the file system holding `dir` to the last byte with one file, and returns how to free it again. */
function fillDisk(dir: string): { free(): void } {
  const filler = path.join(dir, 'filler.bin');
  const fd = fs.openSync(filler, 'w');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  expect(fs.statfsSync(dir).bavail).toBe(0);
  return { free: () => fs.rmSync(filler) };
}

describe.skipIf(!canMountSmallDisk)('the catalog on a full disk (tmpfs; needs root on Linux)', () => {
  it('fails a write in a running engine with DATA_FOLDER_FULL and the free-space fix; after freeing space nothing is lost and writes work', async () => {
    const small = smallDisk(8);
    const dataDir = path.join(small.dir, 'data');
    const service = createService({ dataDir, heartbeat: false });
    const client = createLocalClient(service.api);
    try {
      await client.addHost({ kind: 'workstation', folders: [tempDir()], name: 'Before', useInventory: false });
      const auditBefore = await client.listAuditEvents({});
      const disk = fillDisk(small.dir);

      const failure = (await client.addHost({ kind: 'workstation', folders: [tempDir()], name: 'During', useInventory: false }).then(
        () => null,
        (error: unknown) => error,
      )) as LifeboatError | null;
      expect(failure).toMatchObject({ code: 'DATA_FOLDER_FULL' });
      expect(failure!.message).toMatch(FULL);
      expect(failure!.message).toContain(dataDir);
      expect(failure!.fix).toContain(FIX);
      expect(failure!.fix).not.toContain('rebuild the catalog from the vault');
      expect(failure!.exitCode).toBe(1);

      disk.free();
      expect((await client.listHosts({})).map((host) => host.name)).toEqual(['Before']);
      expect(await client.listAuditEvents({})).toEqual(auditBefore);
      expect(await client.verifyAudit({})).toMatchObject({ ok: true });
      await client.addHost({ kind: 'workstation', folders: [tempDir()], name: 'After', useInventory: false });
      expect((await client.listHosts({})).map((host) => host.name).sort()).toEqual(['After', 'Before']);
    } finally {
      await service.close();
    }
    // And from a fresh start: everything is in the file, the integrity check passes.
    const reopened = createService({ dataDir, heartbeat: false });
    try {
      const names = (await createLocalClient(reopened.api).listHosts({})).map((host) => host.name);
      expect(names.sort()).toEqual(['After', 'Before']);
    } finally {
      await reopened.close();
    }
  });

  it('lifeboat hosts add / lifeboat call exit 1 with the disk-full message and fix on a full disk, and work again once space is freed', () => {
    const small = smallDisk(8);
    const data = ['--data', path.join(small.dir, 'data')];
    const first = runCli([...data, 'hosts', 'add', 'workstation', '--folder', tempDir(), '--name', 'Before', '--no-inventory']);
    expect(first.status, first.stderr).toBe(0);
    const disk = fillDisk(small.dir);

    const viaCommand = runCli([...data, 'hosts', 'add', 'workstation', '--folder', tempDir(), '--name', 'During', '--no-inventory']);
    const viaCall = runCli([...data, 'call', 'addHost', JSON.stringify({ kind: 'workstation', folders: [tempDir()], name: 'During' })]);
    for (const failed of [viaCommand, viaCall]) {
      expect(failed.status, failed.stderr).toBe(1);
      expect(failed.stderr).toMatch(FULL);
      expect(failed.stderr).toContain(`fix: ${FIX}`);
      expect(failed.stderr).not.toMatch(/corrupt|damaged|catalog rebuild|move it aside/);
    }

    disk.free();
    const listed = runCli([...data, 'hosts', 'list', '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((host) => host.name)).toEqual(['Before']);
    const again = runCli([...data, 'hosts', 'add', 'workstation', '--folder', tempDir(), '--name', 'After', '--no-inventory']);
    expect(again.status, again.stderr).toBe(0);
    const audit = runCli([...data, 'call', 'verifyAudit']);
    expect(audit.status, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true });
    const after = JSON.parse(runCli([...data, 'hosts', 'list', '--json']).stdout) as { name: string }[];
    expect(after.map((host) => host.name).sort()).toEqual(['After', 'Before']);
  });
});
