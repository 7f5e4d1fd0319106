import { randomUUID } from 'node:crypto';
import type { DiscoveredVm } from '../../core/contract/hosts';
import { openCatalog, type Db } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { HostsStore } from '../../core/store/hosts';
import { JobsStore } from '../../core/store/jobs';
import { PlansStore } from '../../core/store/plans';
import { PoliciesStore } from '../../core/store/policies';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { TargetsStore } from '../../core/store/targets';
import { VmsStore } from '../../core/store/vms';

const MINUTE = 60_000;
const MB = 1_000_000;

function ago(now: number, minutes: number): string {
  return new Date(now - minutes * MINUTE).toISOString();
}

function vmIdsByName(db: Db): Map<string, string> {
  return new Map((db.prepare('SELECT name, id FROM vms WHERE removed_at IS NULL').all() as { name: string; id: string }[]).map((r) => [r.name, r.id]));
}

/**
 * A catalog that has been in use for a month, written with the engine's own stores before `lifeboat serve`
 * opens it: the sample lab protected at a 60-minute RPO, one VM whose copies stopped 3 hours ago (the
 * watchdog's launch tick raises the breach), one at risk, one fine; a month of points for the storage trend;
 * jobs that succeeded and failed; a recovery plan with a passed drill and an open action item.
 * Expects `setup` and `lab create` to have run on the data folder.
 */
export function seedLivedInCatalog(dataDir: string, now = Date.now()): { policyId: string; planId: string; drillId: string; vmIds: Map<string, string> } {
  const db = openCatalog(dataDir);
  try {
    const ids = vmIdsByName(db);
    const target = new TargetsStore(db).getDefault();
    if (!target || ids.size < 3) throw new Error('seedLivedInCatalog: run setup and `lab create` first');
    const [dc, files, web] = ['lab-dc01', 'lab-files01', 'lab-web01'].map((name) => ids.get(name)!);
    const policy = new PoliciesStore(db).create(
      {
        name: 'Office servers',
        vmIds: [dc!, files!, web!],
        targetId: target.id,
        rpoMinutes: 60,
        schedule: null,
        retention: { keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 },
        consistency: 'prefer',
        bandwidth: [],
        enabled: true,
      },
      new Date(now - 31 * 24 * 60 * MINUTE),
    );
    const points = new RecoveryPointsStore(db);
    const jobs = new JobsStore(db);
    const sizes: Record<string, number> = { 'lab-dc01': 67 * MB, 'lab-files01': 101 * MB, 'lab-web01': 50 * MB };
    // A point a day for a month; the first is the full copy, the rest add a little each.
    for (const [name, vmId] of [['lab-dc01', dc], ['lab-files01', files], ['lab-web01', web]] as const) {
      for (let day = 30; day >= 1; day--) {
        points.upsert({ id: randomUUID(), vmId: vmId!, vmName: name, targetId: target.id, jobId: null, time: ago(now, day * 24 * 60), appConsistent: true, sizeBytes: sizes[name]!, storedBytes: day === 30 ? sizes[name]! / 3 : 0.4 * MB + (day % 5) * 0.3 * MB, details: {} });
      }
    }
    const recent: [string, string, number][] = [
      ['lab-dc01', dc!, 180],
      ['lab-files01', files!, 50],
      ['lab-web01', web!, 10],
    ];
    for (const [name, vmId, minutes] of recent) {
      points.upsert({ id: randomUUID(), vmId, vmName: name, targetId: target.id, jobId: null, time: ago(now, minutes), appConsistent: true, sizeBytes: sizes[name]!, storedBytes: 0.8 * MB, details: {} });
      const job = randomUUID();
      jobs.insert({ id: job, kind: 'replication', title: `Copy ${name}`, trigger: 'schedule', vmId, policyId: policy.id, hostId: null, targetId: target.id }, new Date(ago(now, minutes + 2)));
      jobs.markRunning(job, new Date(ago(now, minutes + 2)));
      jobs.finish(job, { status: 'succeeded', bytesRead: 24 * MB, bytesStored: 0.8 * MB, appConsistent: true, error: null }, new Date(ago(now, minutes)));
      jobs.appendLog(job, `Checkpoint taken (application-consistent)\nRead 24 MB of changed blocks\nStored 0.8 MB after dedup and compression`);
    }
    // dc01's copies stopped: the last tries failed, recently enough that no catch-up run starts at launch.
    for (const minutes of [25, 5]) {
      const job = randomUUID();
      jobs.insert({ id: job, kind: 'replication', title: 'Copy lab-dc01', trigger: 'schedule', vmId: dc!, policyId: policy.id, hostId: null, targetId: target.id }, new Date(ago(now, minutes)));
      jobs.markRunning(job, new Date(ago(now, minutes)));
      jobs.finish(job, { status: 'failed', bytesRead: 0, bytesStored: 0, appConsistent: null, error: 'The host did not answer: lab-dc01 could not be checkpointed. Check the host is on and reachable, then run the policy now.' }, new Date(ago(now, minutes - 1)));
    }
    for (const [name, vmId] of [['lab-files01', files], ['lab-web01', web]] as const) {
      const job = randomUUID();
      jobs.insert({ id: job, kind: 'replication', title: `Copy ${name}`, trigger: 'schedule', vmId: vmId!, policyId: policy.id, hostId: null, targetId: target.id }, new Date(ago(now, 3)));
      jobs.markRunning(job, new Date(ago(now, 3)));
      jobs.finish(job, { status: 'succeeded', bytesRead: 12 * MB, bytesStored: 0.2 * MB, appConsistent: true, error: null }, new Date(ago(now, 2)));
    }

    const plan = new PlansStore(db).create(
      {
        name: 'Office servers',
        groups: [
          { name: 'Directory', vms: [{ vmId: dc!, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] }], then: { kind: 'heartbeat', timeoutSeconds: 600 } },
          { name: 'Group 2', vms: [{ vmId: files!, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] }, { vmId: web!, checks: [{ kind: 'boot' }, { kind: 'tcp', port: 443, timeoutSeconds: 120 }] }], then: { kind: 'none' } },
        ],
        points: { kind: 'latest' },
        networkMapping: [],
        drillNetwork: null,
        manualSteps: [],
        preScript: null,
        postScript: null,
        rpoTargetMinutes: 60,
        rtoTargetMinutes: 30,
        schedule: '0 6 1 * *',
      },
      new Date(now - 20 * 24 * 60 * MINUTE),
    );
    const drills = new DrillsStore(db);
    const drillId = randomUUID();
    const started = now - 7 * 24 * 60 * MINUTE;
    const at = (seconds: number): string => new Date(started + seconds * 1000).toISOString();
    drills.save({
      id: drillId,
      planId: plan.id,
      plan: plan.name,
      kind: 'test',
      status: 'passed',
      startedAt: at(0),
      finishedAt: at(95),
      operator: 'alice',
      notes: null,
      rpoSeconds: 22 * 60,
      rtoSeconds: 71,
      rpoTargetSeconds: 3600,
      rtoTargetSeconds: 1800,
      isolation: 'none: the VMs started with no network adapter',
      cleanupConfirmed: true,
      vms: ['lab-dc01', 'lab-files01', 'lab-web01'].map((vm, i) => ({
        vmId: ids.get(vm)!,
        vm,
        recoveryPointId: randomUUID(),
        recoveryPointTime: new Date(started - 22 * 60_000).toISOString(),
        status: 'passed' as const,
        checks: [
          { name: 'Boots', kind: 'boot' as const, status: 'passed' as const, detail: `serial marker "LIFEBOAT-BOOT-OK ${vm}" seen after 0.${3 + i} s`, at: at(20 + i * 10) },
          { name: 'Vault data intact', kind: 'vault-verify' as const, status: 'passed' as const, detail: 'every block re-read and its hash checked', at: at(25 + i * 10) },
        ],
        screenshot: null,
        recoveredSeconds: 40 + i * 15,
        failure: null,
      })),
    });
    const steps: [string | null, string, number, number][] = [
      [null, 'Choose recovery points', 0, 2],
      ['lab-dc01', 'Restore disks into the sandbox', 2, 14],
      ['lab-dc01', 'Boot', 14, 20],
      ['lab-dc01', 'Check: boots', 20, 24],
      ['lab-files01', 'Restore disks into the sandbox', 40, 52],
      ['lab-files01', 'Boot', 52, 55],
      ['lab-web01', 'Restore disks into the sandbox', 40, 50],
      ['lab-web01', 'Boot', 50, 54],
      [null, 'Clean up the sandbox', 80, 94],
      [null, 'Confirm nothing is left behind', 94, 95],
    ];
    steps.forEach(([vm, name, from, to], i) => {
      const step = drills.addStep({ drillId, seq: i + 1, vm, name, status: 'running', startedAt: at(from), finishedAt: null, detail: null });
      drills.finishStep(step.id, 'passed', at(to), null);
    });
    drills.raiseActionItem({ source: 'drill', subject: 'lab-web01', description: 'Port 443 answered only after 40 s: check the web service starts automatically.', owner: null, createdAt: at(95), drillId });
    return { policyId: policy.id, planId: plan.id, drillId, vmIds: ids };
  } finally {
    db.close();
  }
}

/** A Hyper-V-like host with `count` VMs, all protected, every VM with a fresh point: for the render benchmark. */
export function seedLargeInventory(dataDir: string, count: number, now = Date.now()): void {
  const db = openCatalog(dataDir);
  try {
    const target = new TargetsStore(db).getDefault();
    if (!target) throw new Error('seedLargeInventory: run setup first');
    const host = new HostsStore(db).create({ name: 'HV-BIG', kind: 'hyperv', address: 'hv-big.corp.local', settings: {}, credentialsSecretId: null }, new Date(now));
    const vms: DiscoveredVm[] = Array.from({ length: count }, (_, i) => ({
      externalId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `HV-VM-${String(i).padStart(4, '0')}`,
      powerState: i % 7 === 0 ? 'off' : 'running',
      cpus: 2 + (i % 4),
      memoryMiB: 4096,
      firmware: 'uefi',
      generation: 2,
      guestOs: i % 3 === 0 ? 'Windows Server 2022 Datacenter' : 'Ubuntu 22.04 LTS',
      disks: [{ key: '0:0', label: 'Hard Drive', path: `D:\\VMs\\HV-VM-${i}\\disk0.vhdx`, format: 'vhdx', capacityBytes: 127 * 1024 ** 3 }],
      nics: [{ name: 'Network Adapter', network: 'LAN', mac: null, ips: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`], connected: true }],
      heartbeat: 'ok',
      replication: null,
      configPath: null,
    }));
    new VmsStore(db).applyDiscovery(host.id, vms, new Date(now));
    const entries = [...vmIdsByName(db).entries()].filter(([name]) => name.startsWith('HV-VM-'));
    const ids = entries.map(([, id]) => id);
    const policies = new PoliciesStore(db);
    const points = new RecoveryPointsStore(db);
    const insert = db.transaction(() => {
      for (let p = 0; p * 100 < ids.length; p++) {
        const vmIds = ids.slice(p * 100, (p + 1) * 100);
        policies.create({ name: `Group ${p + 1}`, vmIds, targetId: target.id, rpoMinutes: 60, schedule: null, retention: { keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 }, consistency: 'prefer', bandwidth: [], enabled: true }, new Date(now - 86_400_000));
      }
      entries.forEach(([vmName, vmId], i) => points.upsert({ id: randomUUID(), vmId, vmName, targetId: target.id, jobId: null, time: ago(now, (i % 70) + 1), appConsistent: true, sizeBytes: 127 * 1024 ** 3, storedBytes: 3 * 1024 ** 3, details: {} }));
    });
    insert();
  } finally {
    db.close();
  }
}
