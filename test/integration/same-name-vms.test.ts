import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { Extent } from '../../core/disks/types';
import { defaultProviders } from '../../core/hypervisors/registry';
import { createService } from '../../core/service';
import { Vault } from '../../core/vault';
import { nextFinishedJobs } from '../helpers/engine';
import { trackingWorkstation } from '../helpers/tracking-workstation';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

function qemu(tool: string, ...args: string[]): void {
  const run = spawnSync(tool, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${run.stderr}${run.stdout}`);
}

// Names repeat across hosts: two Workstation hosts each with a VM called lab-dc01, one vault. Retention and the
// incremental parent must pick each VM's own points, by the VM id the manifests record.
describe('two VMs with the same name on two hosts, one vault', () => {
  it('keeps each VM its own points under its own retention, builds each increment on its own parent, restores each byte for byte', async () => {
    const dir = tempDir();
    const changes = new Map<string, Extent[]>();
    const service = createService({
      dataDir: dir,
      heartbeat: false,
      providers: { ...defaultProviders(), workstation: trackingWorkstation(changes) },
    });
    const client = createLocalClient(service.api);
    const vaultDir = path.join(dir, 'vault');
    const settings = await client.completeFirstRun({
      organisation: 'Acme',
      vault: { kind: 'folder', path: vaultDir },
      passphrase: PASSPHRASE,
    });
    const labs = [
      await client.createSampleLab({ folder: path.join(dir, 'site-a') }),
      await client.createSampleLab({ folder: path.join(dir, 'site-b') }),
    ];
    const vms = await client.listVms();
    const [a, b] = labs.map((lab) => vms.find((vm) => vm.hostId === lab.hostId && vm.name === 'lab-dc01')!);
    expect(a!.id).not.toBe(b!.id);
    const diskOf = (vm: typeof a) => path.join(path.dirname(vm!.configPath!), vm!.disks[0]!.path);
    // The two labs are made alike; their own data tells them apart.
    qemu('qemu-io', '-f', 'vmdk', '-c', 'write -P 0xa1 5M 1M', diskOf(a));
    qemu('qemu-io', '-f', 'vmdk', '-c', 'write -P 0xb2 5M 1M', diskOf(b));

    const retention = (keepLast: number) => ({ keepLast, daily: 0, weekly: 0, monthly: 0, yearly: 0 });
    const policyA = await client.createPolicy({
      name: 'Site A',
      vmIds: [a!.id],
      targetId: settings.vault!.id,
      rpoMinutes: 60,
      retention: retention(1),
    });
    const policyB = await client.createPolicy({
      name: 'Site B',
      vmIds: [b!.id],
      targetId: settings.vault!.id,
      rpoMinutes: 60,
      retention: retention(3),
    });
    const copy = async (policyId: string): Promise<void> => {
      const done = nextFinishedJobs(service, 1);
      await client.runNow({ policyId });
      const [finished] = await done;
      expect(finished!.status, finished!.message ?? '').toBe('succeeded');
    };

    await copy(policyB.id);
    await copy(policyA.id);
    // Both change the same range (the tracking provider reports it for every disk); each writes its own bytes.
    changes.set(a!.disks[0]!.key, [{ offset: 9 << 20, length: 64 << 10 }]);
    qemu('qemu-io', '-f', 'vmdk', '-c', 'write -P 0xa3 9M 64k', diskOf(a));
    qemu('qemu-io', '-f', 'vmdk', '-c', 'write -P 0xb4 9M 64k', diskOf(b));
    await copy(policyB.id);
    await copy(policyA.id); // keep 1: must forget A's first point only

    const pointsA = await client.listPoints({ vmId: a!.id });
    const pointsB = await client.listPoints({ vmId: b!.id });
    expect(pointsA).toHaveLength(1);
    expect(pointsB).toHaveLength(2);

    const vault = await Vault.open(vaultDir, PASSPHRASE);
    const manifests = await vault.manifests();
    await vault.close();
    const byVm = (vmId: string) =>
      manifests
        .filter((m) => m.metadata.vmId === vmId)
        .map((m) => m.id)
        .sort();
    expect(byVm(a!.id)).toEqual(pointsA.map((p) => p.id).sort());
    expect(byVm(b!.id)).toEqual(pointsB.map((p) => p.id).sort());
    // Each increment's parent is the same VM's previous point.
    const newestB = manifests.find((m) => m.id === pointsB[0]!.id)!;
    expect(newestB.disks[0]!.parent).toBe(pointsB[1]!.id);
    const newestA = manifests.find((m) => m.id === pointsA[0]!.id)!;
    expect(newestA.disks[0]!.parent).toBeDefined();
    expect(newestA.disks[0]!.parent).not.toBe(pointsB[1]!.id);
    expect(newestA.disks[0]!.parent).not.toBe(pointsB[0]!.id);

    for (const [vm, point] of [
      [a, pointsA[0]!],
      [b, pointsB[0]!],
    ] as const) {
      const restored = path.join(dir, `restored-${point.id}.img`);
      await client.vaultRestoreDisk({ location: vaultDir, pointId: point.id, disk: vm!.disks[0]!.key, outFile: restored, format: 'raw' });
      const compare = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', restored, diskOf(vm)], { encoding: 'utf8' });
      expect(compare.status, compare.stdout + compare.stderr).toBe(0);
    }
    await service.close();
  });
});
