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
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: vaultPath },
    passphrase: PASSPHRASE,
  });
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
  it('runs two copies into one vault at once by default, applies every VM’s retention, and each point restores exactly', async () => {
    const { dir, service, client, vaultPath, targetId, vms } = await labWithVault();
    const policy = await client.createPolicy({
      name: 'Lab',
      vmIds: vms.map((vm) => vm.id),
      targetId,
      rpoMinutes: 60,
      retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    });
    expect((await client.getSettings()).concurrency).toEqual({ total: 4, perHost: 2, perTarget: 2 });

    const order = jobOrder(service);
    const round = async (): Promise<string[]> => {
      const finished = await (async () => {
        const done = nextFinishedJobs(service, 3);
        await client.runNow({ policyId: policy.id });
        return done;
      })();
      expect(finished.map((event) => event.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      return Promise.all(finished.map(async (event) => (await client.getJob({ id: event.jobId })).log));
    };
    await round();
    expect(order.slice(0, 3).map((step) => step.split(' ')[0])).toEqual(['start', 'start', 'end']);
    // Second round: each copy's retention waits for the copy still writing beside it, then runs; none is skipped.
    const logs = await round();
    expect(logs.join('\n')).not.toMatch(/postponed/);
    expect(logs.filter((log) => /Retention removed 1 older recovery point\./.test(log))).toHaveLength(3);
    for (const vm of vms) expect(await client.listPoints({ vmId: vm.id })).toHaveLength(1);

    // Each point, written while another copy wrote to the same vault, restores byte for byte.
    for (const vm of vms) {
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
    await round();
    expect(order.map((step) => step.split(' ')[0])).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
    await service.close();
  });

  it('refuses limits that make no sense, naming the field', async () => {
    const { service, client } = await labWithVault();
    await expect(client.updateSettings({ concurrency: { total: 2, perHost: 4, perTarget: 1 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/cannot exceed the total/),
    });
    await expect(client.updateSettings({ concurrency: { total: 0, perHost: 1, perTarget: 1 } })).rejects.toMatchObject({
      message: expect.stringMatching(/at least one/),
    });
    await service.close();
  });

  it('postpones retention while a restore reads the vault, and the next copy applies it', async () => {
    const { service, client, vaultPath, targetId, vms } = await labWithVault();
    const vm = vms.find((v) => v.name === 'lab-web01')!;
    const policy = await client.createPolicy({
      name: 'Web',
      vmIds: [vm.id],
      targetId,
      rpoMinutes: 60,
      retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    });
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
    expect(await copy()).toMatch(/Retention removed 2 older recovery points/);
    expect(await client.listPoints({ vmId: vm.id })).toHaveLength(1);

    // A lock nobody refreshes any more is not waited out: the copy says someone must unlock the vault.
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    await stack.backend.put(
      'locks/0badf00d',
      Buffer.from(
        JSON.stringify({
          id: '0badf00d',
          kind: 'read',
          host: 'old-console',
          pid: 4242,
          operation: 'verify',
          started: hourAgo,
          refreshed: hourAgo,
        }),
      ),
    );
    const done = nextFinishedJobs(service, 1);
    await client.runNow({ policyId: policy.id });
    const [failed] = await done;
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringMatching(/locked by verify on old-console.*looks stale/) });
    expect((await client.getJob({ id: failed!.jobId })).log).toMatch(/vault unlock/);
    await stack.backend.close();
    await service.close();
  });
});
