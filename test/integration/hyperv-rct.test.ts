import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { hypervProvider } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner, type Recording } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts, type ScriptName } from '../../core/hypervisors/hyperv/runner';
import { defaultProviders } from '../../core/hypervisors/registry';
import { createService } from '../../core/service';
import { DEFAULT_BLOCK_SIZE } from '../../core/vault/vault';
import { runsOf } from '../../core/vault/backup';
import { nextFinishedJobs } from '../helpers/engine';
import { repoRoot, tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;
const DISK_SIZE = 64 * MiB;
const DISK_IDENTIFIER = '6A1D7C3E-2B4F-4E8A-9C0D-1F2E3D4C5B6A';

/** The envelope every Lifeboat script prints (_Lifeboat.ps1). */
const ok = (data: unknown) => ({ stdout: JSON.stringify({ ok: true, data }), stderr: '' });

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}

/**
 * A Hyper-V host that cannot run here, answered by the real provider's runner with outputs shaped as the scripts
 * print them (written by hand from the WMI pages named in the scripts). The checkpoint's frozen disk is a real
 * VHDX made by qemu-img, so what is read, stored and restored is real; what the changes script reports is what
 * the test wrote with qemu-io — as RCT would report it.
 */
function rctHost(disk: string, changes: (params: Record<string, unknown>) => unknown) {
  const inventory = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'test/fixtures/hyperv/ps51-inventory.json'), 'utf8').replace(/^\uFEFF/, ''),
  );
  const vm = inventory.data.vms[0];
  vm.hardDrives = [{ ...vm.hardDrives[0], path: disk, size: DISK_SIZE }];
  let checkpoints = 0;
  let referencePoints = 0;
  const recordings: Partial<Record<ScriptName, Recording>> = {
    [scripts.host]: ok({ name: 'HV01', product: 'Microsoft Windows Server 2022 Datacenter', version: '10.0.20348' }),
    [scripts.listVms]: ok(inventory.data),
    [scripts.checkpoint]: () =>
      ok({
        id: `0000000${++checkpoints}-aaaa-4bbb-8ccc-dddddddddddd`,
        name: 'Lifeboat',
        kind: 'app-consistent',
        note: null,
        recovery: true,
        noChangeTracking: null,
        createdAt: new Date().toISOString(),
        disks: [
          {
            controllerType: 'SCSI',
            controllerNumber: 0,
            controllerLocation: 0,
            path: disk,
            size: DISK_SIZE,
            diskIdentifier: DISK_IDENTIFIER,
          },
        ],
      }),
    [scripts.saveReferencePoint]: () =>
      ok({
        referencePointId: `Microsoft:rp-${++referencePoints}`,
        disks: [{ diskIdentifier: DISK_IDENTIFIER, rctId: `rctid-${referencePoints}` }],
        notRemoved: [],
      }),
    [scripts.diskChanges]: (params) => ok(changes(params)),
    [scripts.removeCheckpoint]: ok({ removed: 1 }),
  };
  return new ReplayPowerShellRunner(recordings);
}

async function protectedVm(runner: ReplayPowerShellRunner) {
  const dir = tempDir();
  const service = createService({
    dataDir: dir,
    heartbeat: false,
    providers: { ...defaultProviders(), hyperv: hypervProvider({ runner: () => runner }) },
  });
  const client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: path.join(dir, 'vault') },
    passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
  });
  await client.addHost({ kind: 'hyperv', name: 'HV01' });
  await client.discover({});
  const vm = (await client.listVms()).find((v) => v.name === 'DC01')!;
  const policy = await client.createPolicy({ name: 'DC', vmIds: [vm.id], targetId: settings.vault!.id, rpoMinutes: 15 });
  const copy = async () => {
    const done = nextFinishedJobs(service, 1);
    await client.runNow({ policyId: policy.id });
    await done;
    const job = (await client.listJobs({ limit: 1 }))[0]!;
    expect(job.status, (await client.getJob({ id: job.id })).log).toBe('succeeded');
    return { job, log: (await client.getJob({ id: job.id })).log };
  };
  return { dir, service, client, vm, copy };
}

describe('Hyper-V incremental copies through Resilient Change Tracking (runner answers written from the WMI docs)', () => {
  it('reads only the ranges GetVirtualDiskChanges reports and restores byte-identical', async () => {
    const work = tempDir();
    const disk = path.join(work, 'DC01.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', disk, String(DISK_SIZE)]); // allocation = what is written
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x11 0 6M', '-c', 'write -P 0x22 40M 2M', disk]);
    const ranges: [number, number][] = [
      [9 * MiB + 4096, 64 * 1024], // inside one block
      [20 * MiB - 4096, 8192], // across a block boundary
    ];
    const asked: Record<string, unknown>[] = [];
    const runner = rctHost(disk, (params) => {
      asked.push(params);
      return { unavailable: null, ranges };
    });
    const { dir, service, client, vm, copy } = await protectedVm(runner);

    const first = await copy();
    expect(first.log).toMatch(/Disk SCSI:0:0: read in full — the first copy of this VM to this vault/);
    expect(first.log).toMatch(/a reference point is kept for the next copy \(1 disks\)/);
    expect(first.job.bytesRead).toBe(8 * MiB); // the allocated blocks: 6 MiB at 0, 2 MiB at 40 MiB

    for (const [offset, length] of ranges) run('qemu-io', ['-f', 'vhdx', '-c', `write -P 0x5a ${offset} ${length}`, disk]);
    const second = await copy();
    const blocks = runsOf(
      ranges.map(([offset, length]) => ({ offset, length })),
      DEFAULT_BLOCK_SIZE,
      DISK_SIZE / DEFAULT_BLOCK_SIZE,
    ).reduce((sum, [a, b]) => sum + b - a, 0);
    expect(blocks).toBe(3);
    expect(second.job.bytesRead).toBe(blocks * DEFAULT_BLOCK_SIZE);
    expect(second.log).toMatch(/Disk SCSI:0:0: 2 changed areas since the last copy \(change tracking\)/);

    // The changes were asked for against the frozen disk, since the RCT id the first copy kept.
    expect(asked).toEqual([expect.objectContaining({ path: disk, limitId: 'rctid-1', size: DISK_SIZE })]);
    // Each copy's recovery checkpoint became a reference point (never "removed" as a checkpoint); the second
    // removed the first's reference point, and only that one.
    const saved = runner.calls.filter((c) => c.script === scripts.saveReferencePoint).map((c) => c.params.superseded);
    expect(saved).toEqual([[], ['Microsoft:rp-1']]);
    expect(runner.calls.filter((c) => c.script === scripts.removeCheckpoint)).toEqual([]);

    const points = await client.listPoints({ vmId: vm.id });
    expect(points).toHaveLength(2);
    const restored = path.join(dir, 'restored.img');
    await client.vaultRestoreDisk({
      location: path.join(dir, 'vault'),
      pointId: points[0]!.id,
      disk: 'SCSI:0:0',
      outFile: restored,
      format: 'raw',
    });
    const compare = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vhdx', restored, disk], { encoding: 'utf8' });
    expect(compare.status, compare.stdout + compare.stderr).toBe(0);
    await service.close();
  });

  it('reads in full, saying why, when Hyper-V no longer has the reference point', async () => {
    const work = tempDir();
    const disk = path.join(work, 'DC01.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', disk, String(DISK_SIZE)]); // allocation = what is written
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x11 0 4M', disk]);
    const runner = rctHost(disk, () => ({ unavailable: { code: 32779, meaning: 'File not found' }, ranges: [] }));
    const { dir, service, client, vm, copy } = await protectedVm(runner);

    await copy();
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x5a 30M 1M', disk]);
    const second = await copy();
    expect(second.log).toMatch(
      /Disk SCSI:0:0: read in full — Hyper-V has no change record since the reference point kept after the last copy \(GetVirtualDiskChanges: File not found, code 32779\)/,
    );
    expect(second.job.bytesRead).toBe(5 * MiB); // everything allocated, not just the new megabyte

    const points = await client.listPoints({ vmId: vm.id });
    const restored = path.join(dir, 'restored.img');
    await client.vaultRestoreDisk({
      location: path.join(dir, 'vault'),
      pointId: points[0]!.id,
      disk: 'SCSI:0:0',
      outFile: restored,
      format: 'raw',
    });
    const compare = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vhdx', restored, disk], { encoding: 'utf8' });
    expect(compare.status, compare.stdout + compare.stderr).toBe(0);
    await service.close();
  });
});
