import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryPlan } from '../../core/contract/drills';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { runDrill } from '../../core/drills/engine';
import { hypervisorDrillSandbox } from '../../core/drills/hypervisor-sandbox';
import { datastoreOf, vsphereStaging } from '../../core/drills/vsphere-staging';
import { VsphereHost } from '../../core/hypervisors/vsphere/provider';
import type { VaultPort } from '../../core/replication/vault-port';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
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

describe('drill on vSphere (govmomi simulator)', () => {
  it('uploads the restored disk, registers the VM with no NIC, powers it on, then removes VM and files', async () => {
    const dir = tempDir();
    const connection = vcsimConnection(sim);
    const host = new VsphereHost(connection, { taskPollMs: 20 });
    const production = await host.listVms();
    const db = openCatalog(dir);
    db.prepare("INSERT INTO hosts (id, name, kind, added_at) VALUES ('vc', 'vcsim', 'vsphere', '2026-01-01')").run();
    const vms = new VmsStore(db);
    vms.applyDiscovery('vc', production, new Date());
    const vm = vms.list().find((v) => v.name === production[0]!.name)!;
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
    const plan: RecoveryPlan = new PlansStore(db).create(
      {
        name: 'vSphere',
        groups: [{ name: 'All', vms: [{ vmId: vm.id, checks: [{ kind: 'boot' }] }], then: { kind: 'none' } }],
        points: { kind: 'latest' },
        networkMapping: [],
        drillNetwork: null,
        manualSteps: [],
        preScript: null,
        postScript: null,
        rpoTargetMinutes: 60,
        rtoTargetMinutes: 30,
        schedule: null,
      },
      new Date(),
    );
    const jobs = new JobsStore(db);
    jobs.insert(
      { id: 'd1', kind: 'drill', title: 'Drill', trigger: 'manual', vmId: null, policyId: null, hostId: null, targetId: null },
      new Date(),
    );
    const vault: VaultPort = {
      latest: async () => null,
      backup: async () => {
        throw new Error('not used');
      },
      prune: async () => [],
      pointDisks: async () => [{ name: 'disk1', size: 4 * 1024 * 1024 }],
      restoreDisk: async (_p, _d, writer) => writer.write(0, markerBootSector(`LIFEBOAT-BOOT-OK ${vm.name}`)),
      verifyPoint: async () => ({ ok: true, problem: null }),
      close: async () => undefined,
    };
    const datastore = datastoreOf(vm.disks[0]?.path)!;
    const datastoreGet = (file: string) =>
      fetch(`${sim.scheme}://${sim.host}:${sim.port}/folder/${file}?${new URLSearchParams({ dcPath: 'DC0', dsName: datastore })}`, {
        headers: { authorization: `Basic ${Buffer.from(`${VCSIM_USER}:${VCSIM_PASSWORD}`).toString('base64')}` },
      });
    let stagedStatus = 0;
    let flatPath = '';
    const drill = await runDrill(
      plan,
      { operator: 'alice' },
      { jobId: 'd1', signal: new AbortController().signal, log: () => undefined, progress: () => undefined },
      {
        drills: new DrillsStore(db),
        jobs,
        points,
        clock: { now: () => new Date() },
        vm: (id) => vms.get(id),
        openVault: async () => vault,
        sandboxFor: () => {
          const stage = vsphereStaging(host, datastore);
          const checkedStage: typeof stage = async (files, name) => {
            const staged = await stage(files, name);
            // The restored descriptor's -flat extent, as the engine named it (…disk1.vmdk).
            flatPath = `lifeboat-drills/${name}/${path.basename(files[0]!).replace(/\.vmdk$/, '-flat.vmdk')}`;
            stagedStatus = (await datastoreGet(flatPath)).status;
            return staged;
          };
          const sandbox = hypervisorDrillSandbox({
            hypervisor: host,
            hostId: 'vc',
            diskFormat: 'vmdk-esxi',
            isolatedNetwork: null,
            stage: checkedStage,
            pollSeconds: 0.05,
          });
          return { ...sandbox, close: async () => undefined };
        },
        evidenceDir: path.join(dir, 'evidence'),
        workRoot: path.join(dir, 'drills'),
      },
    );
    const steps = new DrillsStore(db).steps('d1');
    expect(steps.find((s) => s.name === 'Start in isolation')?.status).toBe('passed');
    // The simulator's VMs have no VMware Tools (toolsNotInstalled): the VM ran, but nothing proved the guest
    // came up, so the drill is unverified, never passed.
    expect(drill).toMatchObject({ status: 'unverified', cleanupConfirmed: true, isolation: 'no network adapter' });
    expect(drill.vms[0]!.checks[0]).toMatchObject({
      kind: 'boot',
      status: 'unverified',
      detail: 'The VM is running but has no VMware Tools, so nothing proves the guest came up.',
      fix: expect.stringMatching(/^Install VMware Tools in the guest/),
      evidence: [
        {
          kind: 'heartbeat',
          text: expect.stringMatching(
            /^not-installed: .*guestHeartbeatStatus \w+, VMware Tools toolsNotInstalled \(guestToolsNotRunning\)/,
          ),
        },
      ],
    });
    expect(drill.vms[0]!.status).toBe('unverified');
    const after = await host.listVms();
    expect(after.map((v) => v.name).sort()).toEqual(production.map((v) => v.name).sort()); // the drill VM is gone, production untouched
    expect(after.every((v) => v.powerState === 'running')).toBe(true);
    expect(steps.filter((s) => s.status !== 'passed').map((s) => s.name)).toEqual(['Boot']); // the unverified boot, nothing else
    expect(steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Restore disk disk1', 'Start in isolation', 'Boot', 'Power off and remove the VM', 'Verify nothing is left']),
    );
    // The restored disk was on the datastore during the drill, and is gone after it.
    expect(stagedStatus).toBe(200);
    expect(flatPath).toMatch(/disk1-flat\.vmdk$/);
    expect((await datastoreGet(flatPath)).status).toBe(404);
    await host.close();
    db.close();
  });
});
