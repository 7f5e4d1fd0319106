import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { ConsoleEvent } from '../../core/contract/events';
import { createService, type LifeboatService } from '../../core/service';
import { openBackendStack } from '../../core/vault/backends/open';
import { VaultLock } from '../../core/vault/lock';
import { nextFinishedJobs } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

async function labWithVault() {
  const dir = tempDir();
  const service = createService({ dataDir: dir, heartbeat: false });
  const client = createLocalClient(service.api);
  const vaultPath = path.join(dir, 'vault');
  const settings = await client.completeFirstRun({ organisation: 'Acme', vault: { kind: 'folder', path: vaultPath }, passphrase: PASSPHRASE });
  await client.createSampleLab({});
  const vms = await client.listVms();
  return { dir, service, client, vaultPath, targetId: settings.vault!.id, vms };
}

/** The order jobs start and finish in, as the engine announces it. */
function jobOrder(service: LifeboatService): string[] {
  const order: string[] = [];
  service.subscribe((event: ConsoleEvent) => {
    if (event.type === 'job.started') order.push(`start ${event.title}`);
    if (event.type === 'job.finished') order.push(`end ${event.status}`);
  });
  return order;
}

describe('copies side by side', () => {
  it('runs two copies into one vault at once by default, one at a time when limited to one per vault, and both points restore exactly', async () => {
    const { dir, service, client, vaultPath, targetId, vms } = await labWithVault();
    const chosen = vms.filter((vm) => vm.name === 'lab-dc01' || vm.name === 'lab-web01');
    const policy = await client.createPolicy({ name: 'Servers', vmIds: chosen.map((vm) => vm.id), targetId, rpoMinutes: 60 });
    expect((await client.getSettings()).concurrency).toEqual({ total: 4, perHost: 2, perTarget: 2 });

    const order = jobOrder(service);
    let done = nextFinishedJobs(service, 2);
    await client.runNow({ policyId: policy.id });
    await done;
    expect(order.slice(0, 2).every((step) => step.startsWith('start'))).toBe(true);
    expect(order.slice(2)).toEqual(['end succeeded', 'end succeeded']);

    // Each point, written while the other copy wrote to the same vault, restores byte for byte.
    for (const vm of chosen) {
      const [point] = await client.listPoints({ vmId: vm.id });
      const restored = path.join(dir, `${vm.name}.img`);
      await client.vaultRestoreDisk({ location: vaultPath, pointId: point!.id, disk: vm.disks[0]!.key, outFile: restored, format: 'raw' });
      const source = path.join(path.dirname(vm.configPath!), vm.disks[0]!.path);
      const compare = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', restored, source], { encoding: 'utf8' });
      expect(compare.status, compare.stdout + compare.stderr).toBe(0);
    }
    const verified = await client.vaultVerify({ location: vaultPath, readData: 'all' });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.unreferencedPacks).toBe(0);

    const saved = await client.updateSettings({ concurrency: { total: 4, perHost: 2, perTarget: 1 } });
    expect(saved.concurrency.perTarget).toBe(1);
    order.length = 0;
    done = nextFinishedJobs(service, 2);
    await client.runNow({ policyId: policy.id });
    await done;
    expect(order.map((step) => step.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);
    await service.close();
  });

  it('refuses limits that make no sense, naming the field', async () => {
    const { service, client } = await labWithVault();
    await expect(client.updateSettings({ concurrency: { total: 2, perHost: 4, perTarget: 1 } })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/cannot exceed the total/) });
    await expect(client.updateSettings({ concurrency: { total: 0, perHost: 1, perTarget: 1 } })).rejects.toMatchObject({ message: expect.stringMatching(/at least one/) });
    await service.close();
  });

  it('postpones retention while a restore reads the vault, and the next copy applies it', async () => {
    const { service, client, vaultPath, targetId, vms } = await labWithVault();
    const vm = vms.find((v) => v.name === 'lab-web01')!;
    const policy = await client.createPolicy({ name: 'Web', vmIds: [vm.id], targetId, rpoMinutes: 60, retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 } });
    const copy = async () => {
      const done = nextFinishedJobs(service, 1);
      await client.runNow({ policyId: policy.id });
      const [finished] = await done;
      expect(finished!.status).toBe('succeeded');
      return (await client.getJob({ id: finished!.jobId })).log;
    };
    await copy();

    // A drill restoring from the vault holds a read lock, which prune (exclusive) must not break.
    const stack = openBackendStack(vaultPath);
    const drillLock = await VaultLock.acquire(stack.backend, 'read', 'restore for a drill');
    const log = await copy();
    expect(log).toMatch(/Retention postponed to the next copy: The vault is in use by restore for a drill/);
    expect(await client.listPoints({ vmId: vm.id })).toHaveLength(2);

    await drillLock.release();
    await stack.backend.close();
    expect(await copy()).toMatch(/Retention removed 2 older recovery points/);
    expect(await client.listPoints({ vmId: vm.id })).toHaveLength(1);
    await service.close();
  });
});
