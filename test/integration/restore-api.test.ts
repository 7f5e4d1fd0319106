import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { ConsoleClient } from '../../core/contract/api';
import type { Vm } from '../../core/contract/hosts';
import { createService, type LifeboatService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { JobsStore } from '../../core/store/jobs';
import { nextFinishedJobs } from '../helpers/engine';
import { tempDirManual } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let dir: ReturnType<typeof tempDirManual>;
let service: LifeboatService;
let client: ConsoleClient;
let web: Vm;
let pointId: string;

const compare = (a: string, b: string): number | null => spawnSync('qemu-img', ['compare', a, b]).status;
const source = (vm: Vm, index = 0): string => path.resolve(path.dirname(vm.externalId), vm.disks[index]!.path);

/** Starts a restore and waits for its job to end; the outcome comes from getRestore, as the VM page reads it. */
async function finished(start: () => Promise<{ jobId: string }>) {
  const done = nextFinishedJobs(service, 1);
  const { jobId } = await start();
  await done;
  return client.getRestore({ jobId });
}

beforeAll(async () => {
  dir = tempDirManual();
  service = createService({ dataDir: dir.dir, heartbeat: false, operator: 'alice' });
  client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: path.join(dir.dir, 'vault') },
    passphrase: PASSPHRASE,
  });
  await client.createSampleLab({});
  web = (await client.listVms()).find((vm) => vm.name === 'lab-web01')!;
  await client.createPolicy({ name: 'Web', vmIds: [web.id], targetId: settings.vault!.id, rpoMinutes: 60 });
  const copied = nextFinishedJobs(service, 1);
  await client.runNow({ vmId: web.id });
  expect((await copied)[0]!.status).toBe('succeeded');
  pointId = (await client.listPoints({ vmId: web.id }))[0]!.id;
});

afterAll(async () => {
  await service?.close();
  dir?.remove();
});

describe('restore API', () => {
  it("lists the VM's points with how each was taken and its disks, and says what can be restored where", async () => {
    const recovery = await client.getVmRecovery({ vmId: web.id });
    expect(
      recovery.points.map((p) => ({ id: p.id, consistency: p.consistency, disks: p.disks.map((d) => d.name), drills: p.drills })),
    ).toEqual([{ id: pointId, consistency: 'powered-off', disks: [web.disks[0]!.key], drills: [] }]);
    expect(recovery.diskFormat).toBe('vmdk');
    expect(recovery.newVmHosts).toEqual([
      { hostId: web.hostId, name: 'Sample lab', kind: 'workstation', possible: { ok: true, reason: null } },
    ]);
    expect(recovery.overOriginal).toEqual({ ok: true, reason: null });
    await expect(client.getVmRecovery({ vmId: 'no-such-vm' })).rejects.toMatchObject({
      code: 'VM_NOT_FOUND',
      fix: expect.stringContaining('Refresh'),
    });
  });

  it('restores a disk twice into two files, never over the first, both equal to the source', async () => {
    const disk = web.disks[0]!.key;
    const progress: { jobId: string; phase: string; bytesDone: number; bytesTotal: number }[] = [];
    const stop = service.subscribe((event) => {
      if (event.type === 'job.progress') progress.push(event);
    });
    const first = await finished(() => client.restoreDiskToFile({ vmId: web.id, pointId, disk }));
    stop();
    // The VM page's progress bar and time left come from these events, under the restore's job id.
    const mine = progress.filter((p) => p.jobId === first.jobId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.at(-1)!.phase).toBe(`Restoring ${disk}`);
    expect(mine.at(-1)!.bytesTotal).toBeGreaterThan(0); // the data to fetch (all-zero blocks are not)
    expect(mine.at(-1)!.bytesDone).toBe(mine.at(-1)!.bytesTotal);
    const second = await finished(() => client.restoreDiskToFile({ vmId: web.id, pointId, disk }));
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    expect(second.file).not.toBe(first.file);
    expect(path.basename(second.file!)).toMatch(new RegExp(`^lab-web01-${web.id.slice(0, 8)}-point-${pointId.slice(0, 8)}-.*-2\\.vmdk$`));
    for (const file of [first.file!, second.file!]) expect(compare(file, source(web))).toBe(0);
    // A disk the point does not have: the job fails with the disks it does have, and its reserved file is gone.
    const wrong = await finished(() => client.restoreDiskToFile({ vmId: web.id, pointId, disk: 'scsi9:9' }));
    expect(wrong).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND', fix: expect.stringContaining(disk) } });
    expect(fs.existsSync(wrong.file!)).toBe(false);
  });

  it('refuses a new VM whose folder is taken, and leaves that folder alone', async () => {
    const taken = path.join(path.dirname(path.dirname(web.externalId)), 'web-copy');
    fs.mkdirSync(taken);
    fs.writeFileSync(path.join(taken, 'notes.txt'), 'not Lifeboat’s');
    await expect(client.restoreVmAsNew({ vmId: web.id, pointId, name: 'web-copy' })).rejects.toMatchObject({
      code: 'CONFLICT',
      field: 'name',
      fix: 'Choose another name for the new VM.',
    });
    expect(fs.readFileSync(path.join(taken, 'notes.txt'), 'utf8')).toBe('not Lifeboat’s');
    await expect(client.restoreVmAsNew({ vmId: web.id, pointId, name: 'lab-dc01' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('already has a VM named lab-dc01'),
    });
  });

  it('refuses to restore over a VM that is running or without its name as confirmation', async () => {
    await expect(client.restoreVmOverOriginal({ vmId: web.id, pointId, confirm: 'lab-web' })).rejects.toMatchObject({
      code: 'CONFIRMATION_MISMATCH',
      field: 'confirm',
    });
    const lock = `${web.externalId}.lck`; // what Workstation holds while the VM is open
    fs.mkdirSync(lock);
    try {
      await client.discover({ hostId: web.hostId });
      await expect(client.restoreVmOverOriginal({ vmId: web.id, pointId, confirm: 'lab-web01' })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining('Shut it down first'),
      });
      expect((await client.getVmRecovery({ vmId: web.id })).overOriginal.ok).toBe(false);
    } finally {
      fs.rmSync(lock, { recursive: true });
      await client.discover({ hostId: web.hostId });
    }
  });

  it('a new VM that cannot be restored (the vault lost its data) fails with the fix and leaves nothing behind', async () => {
    const lab = path.dirname(path.dirname(web.externalId));
    const before = fs.readdirSync(lab).sort();
    fs.rmSync(path.join(dir.dir, 'vault', 'packs'), { recursive: true, force: true });
    const outcome = await finished(() => client.restoreVmAsNew({ vmId: web.id, pointId, name: 'web-lost' }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({
      code: 'VAULT_CORRUPT',
      message: expect.stringContaining('missing data'),
      fix: expect.stringContaining('vault verify'),
    });
    expect(fs.readdirSync(lab).sort()).toEqual(before);
    expect((await client.listVms()).map((vm) => vm.name)).not.toContain('web-lost');
    // Every restore gave back what it held: nothing is left for the next engine start to clean up.
    const db = openCatalog(dir.dir);
    try {
      expect(new JobsStore(db).heldResources()).toEqual([]);
    } finally {
      db.close();
    }
  });
});
