import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { Extent } from '../../core/disks/types';
import { defaultProviders } from '../../core/hypervisors/registry';
import { createService } from '../../core/service';
import { nextFinishedJobs } from '../helpers/engine';
import { trackingWorkstation } from '../helpers/tracking-workstation';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;

describe('incremental runs with changed areas', () => {
  it('read only the blocks the host says changed', async () => {
    const dir = tempDir();
    const changes = new Map<string, Extent[]>();
    const service = createService({
      dataDir: dir,
      heartbeat: false,
      providers: { ...defaultProviders(), workstation: trackingWorkstation(changes) },
    });
    const client = createLocalClient(service.api);
    const settings = await client.completeFirstRun({
      organisation: 'Acme',
      vault: { kind: 'folder', path: path.join(dir, 'vault') },
      passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
    });
    await client.createSampleLab({});
    const vm = (await client.listVms()).find((v) => v.name === 'lab-files01')!; // two disks
    const policy = await client.createPolicy({ name: 'Files', vmIds: [vm.id], targetId: settings.vault!.id, rpoMinutes: 60 });

    let done = nextFinishedJobs(service, 1);
    await client.runNow({ policyId: policy.id });
    await done;
    const first = (await client.listJobs({ limit: 1 }))[0]!;
    expect(first.status).toBe('succeeded');

    // 64 KiB written at 9 MiB of the first disk; nothing on the second.
    const disk0 = path.join(path.dirname(vm.configPath!), vm.disks[0]!.path);
    const write = spawnSync('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x5a 9M 64k', disk0], { encoding: 'utf8' });
    expect(write.status, write.stderr).toBe(0);
    changes.set(vm.disks[0]!.key, [{ offset: 9 * MiB, length: 64 * 1024 }]);
    changes.set(vm.disks[1]!.key, []);

    done = nextFinishedJobs(service, 1);
    await client.runNow({ policyId: policy.id });
    await done;
    const second = (await client.listJobs({ limit: 1 }))[0]!;
    expect(second.status).toBe('succeeded');
    console.log(`incremental: first run read ${first.bytesRead} bytes, second read ${second.bytesRead} bytes`);
    expect(first.bytesRead).toBeGreaterThan(3 * MiB);
    expect(second.bytesRead).toBeLessThanOrEqual(1 * MiB); // one vault block holds the change
    expect(second.bytesRead).toBeGreaterThan(0);
    const log = (await client.getJob({ id: second.id })).log;
    expect(log).toMatch(/1 changed areas since the last copy/);

    // The incremental point restores to the changed disk, byte for byte.
    const points = await client.listPoints({ vmId: vm.id });
    const restored = path.join(dir, 'restored.img');
    const restore = await client.vaultRestoreDisk({
      location: path.join(dir, 'vault'),
      pointId: points[0]!.id,
      disk: vm.disks[0]!.key,
      outFile: restored,
      format: 'raw',
    });
    expect(restore).toBeTruthy();
    const compare = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', restored, disk0], { encoding: 'utf8' });
    expect(compare.status, compare.stdout + compare.stderr).toBe(0);
    await service.close();
  });
});
