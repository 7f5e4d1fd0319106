import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecoveryPlan } from '../../core/contract/drills';
import { runFailback, runFailover, type FailoverDeps } from '../../core/failover/engine';
import { hypervProvider } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner, type Recording } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts, type ScriptName } from '../../core/hypervisors/hyperv/runner';
import type { Hypervisor } from '../../core/hypervisors/types';
import { openCatalog, type Db } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { FailoverStateStore } from '../../core/store/failovers';
import { JobsStore } from '../../core/store/jobs';
import { PlansStore } from '../../core/store/plans';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { VmsStore } from '../../core/store/vms';
import { repoRoot, tempDir } from '../helpers/temp';

const RECORDED = path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'failover');
const FS01 = '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11';

const recorded = (file: string): Recording => ({ stdout: fs.readFileSync(path.join(RECORDED, file), 'utf8'), stderr: '' });

function setUp(): {
  db: Db;
  plan: RecoveryPlan;
  deps: (primary: ReplayPowerShellRunner, replica: ReplayPowerShellRunner) => FailoverDeps;
  dir: string;
} {
  const dir = tempDir();
  const db = openCatalog(dir);
  db.prepare(
    "INSERT INTO hosts (id, name, kind, address, added_at) VALUES ('hv01', 'HV01', 'hyperv', 'hv01.acme.local', '2026-01-01'), ('hv02', 'HV02', 'hyperv', 'hv02.acme.local', '2026-01-01')",
  ).run();
  const vms = new VmsStore(db);
  vms.applyDiscovery(
    'hv01',
    [
      {
        externalId: FS01,
        name: 'FS01',
        powerState: 'running',
        cpus: 2,
        memoryMiB: 4096,
        firmware: 'uefi',
        generation: 2,
        guestOs: 'Windows Server 2022',
        disks: [],
        nics: [],
        heartbeat: 'ok',
        replication: { mode: 'Primary', state: 'Replicating', health: 'normal', partner: 'hv02.acme.local' },
        configPath: null,
      },
    ],
    new Date(),
  );
  const vm = vms.list()[0]!;
  const plan = new PlansStore(db).create(
    {
      name: 'Files',
      groups: [{ name: 'All', vms: [{ vmId: vm.id, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] }], then: { kind: 'none' } }],
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
  let now = Date.parse('2026-11-25T10:00:00Z');
  const deps = (primary: ReplayPowerShellRunner, replica: ReplayPowerShellRunner): FailoverDeps => {
    const connect = (hostId: string) =>
      hypervProvider({ runner: () => (hostId === 'hv01' ? primary : replica) }).connect({
        id: hostId,
        name: hostId.toUpperCase(),
        kind: 'hyperv',
        address: `${hostId}.acme.local`,
        settings: {},
        credentials: null,
      });
    return {
      drills: new DrillsStore(db),
      jobs: new JobsStore(db),
      points: new RecoveryPointsStore(db),
      states: new FailoverStateStore(db),
      clock: { now: () => new Date((now += 2000)) },
      vm: (id) => vms.get(id),
      policyOf: () => undefined,
      openVault: () => Promise.reject(new Error('Hyper-V Replica failover never opens the vault')),
      connect,
      localDisks: () => false,
      replicaFor: (candidate) =>
        candidate.replication?.mode === 'Primary'
          ? { replicaHostId: 'hv02', replicaHostName: 'HV02', primaryServer: 'hv01.acme.local' }
          : null,
      stopCopies: async () => [],
      evidenceDir: path.join(dir, 'evidence'),
      workRoot: path.join(dir, 'failover'),
      pollSeconds: 0,
    };
  };
  return { db, plan, deps, dir };
}

/** A host that is not Hyper-V (no replica facet), counting how often it is closed; nothing else may be called. */
function workstationLike(): { host: Hypervisor; closed: () => number } {
  let closes = 0;
  const unused = () => Promise.reject(new Error('not called on a host without Hyper-V Replica'));
  const host: Hypervisor = {
    kind: 'workstation',
    describe: unused,
    listVms: unused,
    createCheckpoint: unused,
    openCheckpointDisk: unused,
    changedAreas: unused,
    releaseCheckpoint: unused,
    createIsolatedVm: unused,
    powerOn: unused,
    powerOff: unused,
    heartbeat: unused,
    removeVm: unused,
    close: async () => {
      closes += 1;
    },
  };
  return { host, closed: () => closes };
}

const runContext = (jobId: string) => ({ jobId, signal: new AbortController().signal, log: () => undefined, progress: () => undefined });
const runner = (recordings: Partial<Record<ScriptName, Recording | Recording[]>>) => new ReplayPowerShellRunner(recordings);

// Hyper-V cannot run here: the engine drives the real Hyper-V provider and scripts' runner, answered with
// outputs written by hand from the documentation (see the folder's README). What is checked is which
// script runs on which host, with what, in what order.
describe('failover of Hyper-V Replica VMs (hand-written host outputs replayed)', () => {
  it('planned: prepare on the primary, fail over + reverse + start on the replica; failback runs it the other way', async () => {
    const { db, plan, deps } = setUp();
    const primary = runner({
      [scripts.failoverPrepare]: recorded('Invoke-LifeboatFailoverPrepare.ps1.json'),
      [scripts.plannedFailover]: recorded('Invoke-LifeboatPlannedFailover.ps1.json'),
    });
    const replica = runner({
      [scripts.plannedFailover]: recorded('Invoke-LifeboatPlannedFailover.ps1.json'),
      [scripts.heartbeat]: recorded('Get-LifeboatHeartbeat.ps1.json'),
      [scripts.failoverPrepare]: recorded('Invoke-LifeboatFailoverPrepare.ps1.json'),
    });
    const failover = await runFailover(
      plan,
      'planned',
      null,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 120 },
      runContext('f1'),
      deps(primary, replica),
    );

    expect(failover).toMatchObject({ kind: 'planned', status: 'passed', rpoSeconds: 0 });
    expect(failover.vms[0]!.checks.map((c) => `${c.kind}:${c.status}`)).toEqual(['boot:passed', 'vault-verify:skipped']);
    expect(primary.calls.map((c) => c.script)).toEqual([scripts.failoverPrepare]);
    expect(primary.calls[0]!.params).toMatchObject({ vmId: FS01, shutdownTimeoutSeconds: 120, computerName: 'hv01.acme.local' });
    expect(replica.calls.map((c) => c.script)).toEqual([scripts.plannedFailover, scripts.heartbeat]);
    expect(replica.calls[0]!.params).toMatchObject({ vmId: FS01, computerName: 'hv02.acme.local' });
    for (const call of [...primary.calls, ...replica.calls]) expect(call.command).not.toContain('FS01'); // data, never script text
    const steps = new DrillsStore(db).steps('f1');
    expect(steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'Shut down and send the last changes to the replica (Hyper-V Replica):passed',
      'Start at HV02:passed',
      'Boot:passed',
      'Vault data verification:skipped',
      'Plan is failed over:passed',
    ]);
    expect(steps[1]!.detail).toMatch(/Primary Replicating \(reversed towards the old primary\)/);
    expect(new FailoverStateStore(db).get(plan.id)).toMatchObject({
      mode: 'planned',
      vms: [{ vm: 'FS01', hostId: 'hv02', replica: true }],
    });

    const back = await runFailback(
      plan,
      new FailoverStateStore(db).get(plan.id)!,
      null,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 60 },
      runContext('b1'),
      deps(primary, replica),
    );
    expect(back).toMatchObject({ kind: 'failback', status: 'passed' });
    expect(replica.calls.map((c) => c.script).slice(2)).toEqual([scripts.failoverPrepare]); // shut down where it ran, last changes sent home
    expect(primary.calls.map((c) => c.script).slice(1)).toEqual([scripts.plannedFailover]); // failed over at home and reversed again
    expect(new FailoverStateStore(db).get(plan.id)).toBeUndefined();
    db.close();
  });

  it('planned: when the replica cannot fail over, the prepare is undone and the source started again', async () => {
    const { db, plan, deps } = setUp();
    const primary = runner({
      [scripts.failoverPrepare]: recorded('Invoke-LifeboatFailoverPrepare.ps1.json'),
      [scripts.undoFailoverPrepare]: recorded('Undo-LifeboatFailoverPrepare.ps1.json'),
    });
    const replica = runner({ [scripts.plannedFailover]: recorded('Invoke-LifeboatPlannedFailover.error.json') });
    const failover = await runFailover(
      plan,
      'planned',
      null,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 120 },
      runContext('f2'),
      deps(primary, replica),
    );
    expect(failover.status).toBe('failed');
    expect(failover.vms[0]!.failure).toMatch(/not in a valid state/);
    expect(failover.notes).toMatch(/sources were started again at their own hosts\. The plan is back to normal/);
    expect(primary.calls.map((c) => c.script)).toEqual([scripts.failoverPrepare, scripts.undoFailoverPrepare]);
    expect(new FailoverStateStore(db).get(plan.id)).toBeUndefined();
    db.close();
  });

  it('planned: a replica host without Hyper-V Replica fails its VM with a typed conflict, closes that connection and starts the source again', async () => {
    const { db, plan, deps } = setUp();
    const primary = runner({
      [scripts.failoverPrepare]: recorded('Invoke-LifeboatFailoverPrepare.ps1.json'),
      [scripts.undoFailoverPrepare]: recorded('Undo-LifeboatFailoverPrepare.ps1.json'),
    });
    const base = deps(primary, runner({}));
    const notHyperv = workstationLike();
    const failover = await runFailover(
      plan,
      'planned',
      null,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 120 },
      runContext('f4'),
      { ...base, connect: (hostId) => (hostId === 'hv02' ? notHyperv.host : base.connect(hostId)) },
    );
    expect(failover.status).toBe('failed');
    expect(failover.vms[0]!.failure).toBe('The host hv02 is not a Hyper-V host; Hyper-V Replica failover needs Hyper-V on both sides.');
    const start = new DrillsStore(db).steps('f4').find((s) => s.name === 'Start at HV02');
    expect(start).toMatchObject({ status: 'failed', detail: failover.vms[0]!.failure });
    expect(primary.calls.map((c) => c.script)).toEqual([scripts.failoverPrepare, scripts.undoFailoverPrepare]);
    expect(notHyperv.closed()).toBe(1);
    expect(new FailoverStateStore(db).get(plan.id)).toBeUndefined();
    db.close();
  });

  it('unplanned: never contacts the primary; failback first reverses replication and asks to come back when it has caught up', async () => {
    const { db, plan, deps } = setUp();
    const primary = runner({});
    const replica = runner({
      [scripts.measureReplication]: [recorded('Measure-LifeboatReplication.ps1.json'), recorded('Measure-LifeboatReplication.ps1.json')],
      [scripts.unplannedFailover]: recorded('Invoke-LifeboatUnplannedFailover.ps1.json'),
      [scripts.heartbeat]: recorded('Get-LifeboatHeartbeat.ps1.json'),
      [scripts.reverseReplication]: recorded('Set-LifeboatReverseReplication.ps1.json'),
    });
    const failover = await runFailover(
      plan,
      'unplanned',
      null,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 120 },
      runContext('f3'),
      deps(primary, replica),
    );
    expect(failover).toMatchObject({ kind: 'unplanned', status: 'passed' });
    expect(failover.vms[0]!.recoveryPointTime).toBe('2026-11-25T09:55:00.000Z');
    expect(failover.rpoSeconds).toBe(5 * 60 + 2); // the failover started 2 s after 10:00; last replication 09:55
    expect(primary.calls).toEqual([]);
    expect(replica.calls.map((c) => c.script)).toEqual([scripts.measureReplication, scripts.unplannedFailover, scripts.heartbeat]);

    const back = await runFailback(
      plan,
      new FailoverStateStore(db).get(plan.id)!,
      null,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 60 },
      runContext('b3'),
      deps(primary, replica),
    );
    expect(back.status).toBe('failed');
    expect(back.vms[0]!.failure).toMatch(/Hyper-V is copying FS01 back to HV01 first/);
    expect(replica.calls.map((c) => c.script).slice(3)).toEqual([scripts.measureReplication, scripts.reverseReplication]);
    expect(replica.calls[4]!.params).toMatchObject({ vmId: FS01, replicaServer: 'hv01.acme.local' });
    expect(primary.calls).toEqual([]);
    expect(new FailoverStateStore(db).get(plan.id)).toMatchObject({ vms: [{ vm: 'FS01' }] }); // still failed over
    db.close();
  });
});
