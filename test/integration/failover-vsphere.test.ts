import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmFileName } from '../../core/drills/vm-file-name';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { datastoreOf } from '../../core/drills/vsphere-staging';
import { copyRecoveredVm, runFailback, runFailover, type FailoverDeps } from '../../core/failover/engine';
import { vsphereRecoverySite } from '../../core/failover/host-site';
import { VsphereHost } from '../../core/hypervisors/vsphere/provider';
import type { VaultPort } from '../../core/replication/vault-port';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { FailoverStateStore } from '../../core/store/failovers';
import { JobsStore } from '../../core/store/jobs';
import { PlansStore } from '../../core/store/plans';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { VmsStore } from '../../core/store/vms';
import { tempDir } from '../helpers/temp';
import { startVcsim, VCSIM_PASSWORD, VCSIM_USER, vcsimConnection, type Vcsim } from '../helpers/vcsim';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim();
});
afterAll(async () => {
  await sim?.stop();
});

describe('failover onto vSphere (govmomi simulator)', () => {
  it('registers the recovered VM with its NIC on the mapped network and powers it on; failback writes it over the original and removes it', async () => {
    const dir = tempDir();
    const connection = vcsimConnection(sim);
    const connect = () => new VsphereHost(connection, { taskPollMs: 20 });
    const host = connect();
    const production = await host.listVms();
    const db = openCatalog(dir);
    db.prepare("INSERT INTO hosts (id, name, kind, added_at) VALUES ('vc', 'vcsim', 'vsphere', '2026-01-01')").run();
    const vms = new VmsStore(db);
    vms.applyDiscovery('vc', production, new Date());
    const vm = vms.list().find((v) => v.name === production[0]!.name)!;
    const sourceNetwork = vm.nics[0]!.network!;
    const points = new RecoveryPointsStore(db);
    points.upsert({
      id: 'p1',
      vmId: vm.id,
      vmName: vm.name,
      targetId: 't',
      jobId: null,
      time: '2026-11-25T09:30:00.000Z',
      appConsistent: true,
      sizeBytes: 0,
      storedBytes: 0,
      details: {},
    });
    const plan = new PlansStore(db).create(
      {
        name: 'vSphere',
        groups: [{ name: 'All', vms: [{ vmId: vm.id, checks: [{ kind: 'boot' }] }], then: { kind: 'none' } }],
        points: { kind: 'latest' },
        networkMapping: [{ source: sourceNetwork, recovery: 'VM Network' }],
        drillNetwork: null,
        manualSteps: [],
        preScript: null,
        postScript: null,
        rpoTargetMinutes: 60,
        rtoTargetMinutes: 30,
        schedule: null,
        recoveryHostId: 'vc',
      },
      new Date(),
    );
    // The vault's side is a stand-in; what is checked is what the hosts see. The failback copy reads the
    // recovered VM's disk from the datastore (its first sector: the boot marker restored at failover).
    let copiedBootSector = '';
    const vault: VaultPort = {
      latest: async () => null,
      backup: async (input) => {
        copiedBootSector = (await input.disks[0]!.reader.read(0, 512)).toString('latin1');
        return { id: 'p2', time: new Date().toISOString(), sizeBytes: 0, storedBytes: 0, bytesRead: 512, uploadBytesPerSecond: 0 };
      },
      prune: async () => ['p1', 'p2'],
      pointDisks: async () => [{ name: 'disk1', size: 4 * 1024 * 1024 }],
      restoreDisk: async (pointId, _d, writer) =>
        writer.write(0, markerBootSector(pointId === 'p2' ? 'LIFEBOAT-BOOT-OK written while failed over' : `LIFEBOAT-BOOT-OK ${vm.name}`)),
      verifyPoint: async () => ({ ok: true, problem: null }),
      close: async () => undefined,
    };
    const site = vsphereRecoverySite({
      hostId: 'vc',
      hostName: 'vcsim',
      connect,
      datastore: datastoreOf(vm.disks[0]!.path)!,
      root: path.join(dir, 'failover'),
      pollSeconds: 0.05,
    });
    const states = new FailoverStateStore(db);
    const deps: FailoverDeps = {
      drills: new DrillsStore(db),
      jobs: new JobsStore(db),
      points,
      states,
      clock: { now: () => new Date() },
      vm: (id) => vms.get(id),
      policyOf: () => undefined,
      openVault: async () => vault,
      connect: () => connect(),
      localDisks: () => false,
      replicaFor: () => null,
      stopCopies: async () => [],
      evidenceDir: path.join(dir, 'evidence'),
      workRoot: path.join(dir, 'failover'),
    };
    const jobs = new JobsStore(db);
    for (const id of ['f1', 'b1'])
      jobs.insert(
        { id, kind: 'failover', title: id, trigger: 'manual', vmId: null, policyId: null, hostId: null, targetId: null },
        new Date(),
      );
    const run = (jobId: string) => ({ jobId, signal: new AbortController().signal, log: () => undefined, progress: () => undefined });
    const failover = await runFailover(
      plan,
      'unplanned',
      site,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 0 },
      run('f1'),
      deps,
    );
    // The simulator's VMs have no VMware Tools: the recovered VM runs, but nothing proves its guest came up.
    expect(failover, JSON.stringify(new DrillsStore(db).steps('f1'), null, 1)).toMatchObject({
      kind: 'unplanned',
      status: 'unverified',
      vms: [{ status: 'unverified', unverified: { fix: expect.stringContaining('VMware Tools') } }],
    });
    expect(failover.isolation).toContain(`networks ${sourceNetwork} → VM Network`);
    const recovered = (await host.listVms()).find((v) => v.name === `${vm.name}-recovered`)!;
    expect(recovered).toMatchObject({ powerState: 'running' });
    expect(recovered.nics.map((n) => `${n.network}:${n.connected}`)).toEqual(['VM Network:true']);
    expect(production.find((v) => v.name === vm.name)?.powerState).toBe('running'); // unplanned: the source is not touched
    const state = states.get(plan.id)!;
    expect(state.vms[0]).toMatchObject({ hostId: 'vc', site: 'vcsim', networks: ['VM Network'], replica: false });

    const datastoreGet = (file: string) =>
      fetch(
        `${sim.scheme}://${sim.host}:${sim.port}/folder/${file}?${new URLSearchParams({ dcPath: 'DC0', dsName: datastoreOf(vm.disks[0]!.path)! })}`,
        {
          headers: { authorization: `Basic ${Buffer.from(`${VCSIM_USER}:${VCSIM_PASSWORD}`).toString('base64')}` },
        },
      );
    expect((await datastoreGet(`lifeboat-failover/${vmFileName(vm.id, vm.name)}/0-disk1-flat.vmdk`)).status).toBe(200); // the recovered VM's disk, by its id

    // While failed over, the scheduler's copies read the running recovered VM through its own snapshot.
    const policy = {
      id: 'pol',
      name: 'vSphere',
      targetId: 't',
      consistency: 'prefer',
      rpoMinutes: 60,
      retention: { keepLast: 10, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    } as never;
    jobs.insert(
      { id: 'c1', kind: 'replication', title: 'c1', trigger: 'schedule', vmId: vm.id, policyId: 'pol', hostId: 'vc', targetId: 't' },
      new Date(),
    );
    await copyRecoveredVm(vm, state.vms[0]!, site, policy, true, run('c1'), deps);
    expect(copiedBootSector).toContain(`LIFEBOAT-BOOT-OK ${vm.name}`);
    expect((await host.listVms()).find((v) => v.name === `${vm.name}-recovered`)?.powerState).toBe('running');
    copiedBootSector = '';

    // Failback: copy the recovered VM into the vault, write it over the original's disk, start the original, remove the copy.
    const back = await runFailback(plan, state, site, { operator: 'alice', notes: null, shutdownTimeoutSeconds: 0 }, run('b1'), {
      ...deps,
      stopCopies: async (ids) => ids,
      policyOf: () => policy,
    });
    expect(back, JSON.stringify(new DrillsStore(db).steps('b1'), null, 1)).toMatchObject({ kind: 'failback', status: 'passed' });
    expect(copiedBootSector).toContain(`LIFEBOAT-BOOT-OK ${vm.name}`);
    // A copy of the original VM running when failback starts is stopped first: failback rewrites its disks.
    expect(new DrillsStore(db).steps('b1')[0]).toMatchObject({
      name: 'Stop copies already running',
      status: 'passed',
      detail: expect.stringContaining(`Cancelled the scheduled copy of ${vm.name}`),
    });
    const originalDisk = vm.disks[0]!.path.replace(/^\[[^\]]+\]\s*/, '').replace(/\.vmdk$/, '-flat.vmdk');
    expect(
      Buffer.from(await (await datastoreGet(originalDisk)).arrayBuffer())
        .subarray(0, 512)
        .toString('latin1'),
    ).toContain('written while failed over');
    const after = await host.listVms();
    expect(after.some((v) => v.name === `${vm.name}-recovered`)).toBe(false);
    expect(after.find((v) => v.name === vm.name)?.powerState).toBe('running');
    expect((await datastoreGet(`lifeboat-failover/${vmFileName(vm.id, vm.name)}/0-disk1-flat.vmdk`)).status).toBe(404);
    expect(states.get(plan.id)).toBeUndefined();
    await host.close();
    db.close();
  });
});
