import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Drill, DrillCheck } from '../../core/contract/drills';
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
import { consolePng } from './seed-catalog';

const MINUTE = 60_000;
const MB = 1_000_000;

function ago(now: number, minutes: number): string {
  return new Date(now - minutes * MINUTE).toISOString();
}

function vmIdsByName(db: Db): Map<string, string> {
  return new Map(
    (db.prepare('SELECT name, id FROM vms WHERE removed_at IS NULL').all() as { name: string; id: string }[]).map((r) => [r.name, r.id]),
  );
}

/**
 * A catalog that has been in use for a month, written with the engine's own stores before `lifeboat serve`
 * opens it: the sample lab protected at a 60-minute RPO, one VM whose copies stopped 3 hours ago (the
 * watchdog's launch tick raises the breach), one at risk, one fine; a month of points for the storage trend;
 * jobs that succeeded and failed; a recovery plan with a passed drill and an open action item.
 * Expects `setup` and `lab create` to have run on the data folder.
 */
export function seedLivedInCatalog(
  dataDir: string,
  now = Date.now(),
): { policyId: string; planId: string; drillId: string; vmIds: Map<string, string> } {
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
    for (const [name, vmId] of [
      ['lab-dc01', dc],
      ['lab-files01', files],
      ['lab-web01', web],
    ] as const) {
      for (let day = 30; day >= 1; day--) {
        points.upsert({
          id: randomUUID(),
          vmId: vmId!,
          vmName: name,
          targetId: target.id,
          jobId: null,
          time: ago(now, day * 24 * 60),
          appConsistent: true,
          sizeBytes: sizes[name]!,
          storedBytes: day === 30 ? sizes[name]! / 3 : 0.4 * MB + (day % 5) * 0.3 * MB,
          details: {},
        });
      }
    }
    const recent: [string, string, number][] = [
      ['lab-dc01', dc!, 180],
      ['lab-files01', files!, 50],
      ['lab-web01', web!, 10],
    ];
    for (const [name, vmId, minutes] of recent) {
      points.upsert({
        id: randomUUID(),
        vmId,
        vmName: name,
        targetId: target.id,
        jobId: null,
        time: ago(now, minutes),
        appConsistent: true,
        sizeBytes: sizes[name]!,
        storedBytes: 0.8 * MB,
        details: {},
      });
      const job = randomUUID();
      jobs.insert(
        {
          id: job,
          kind: 'replication',
          title: `Copy ${name}`,
          trigger: 'schedule',
          vmId,
          policyId: policy.id,
          hostId: null,
          targetId: target.id,
        },
        new Date(ago(now, minutes + 2)),
      );
      jobs.markRunning(job, new Date(ago(now, minutes + 2)));
      jobs.finish(
        job,
        { status: 'succeeded', bytesRead: 24 * MB, bytesStored: 0.8 * MB, appConsistent: true, error: null },
        new Date(ago(now, minutes)),
      );
      jobs.appendLog(
        job,
        `Checkpoint taken (application-consistent)\nRead 24 MB of changed blocks\nStored 0.8 MB after dedup and compression`,
      );
    }
    // dc01's copies stopped: the last tries failed, recently enough that no catch-up run starts at launch.
    for (const minutes of [25, 5]) {
      const job = randomUUID();
      jobs.insert(
        {
          id: job,
          kind: 'replication',
          title: 'Copy lab-dc01',
          trigger: 'schedule',
          vmId: dc!,
          policyId: policy.id,
          hostId: null,
          targetId: target.id,
        },
        new Date(ago(now, minutes)),
      );
      jobs.markRunning(job, new Date(ago(now, minutes)));
      jobs.finish(
        job,
        {
          status: 'failed',
          bytesRead: 0,
          bytesStored: 0,
          appConsistent: null,
          error:
            'The host did not answer: lab-dc01 could not be checkpointed. Check the host is on and reachable, then run the policy now.',
        },
        new Date(ago(now, minutes - 1)),
      );
    }
    for (const [name, vmId] of [
      ['lab-files01', files],
      ['lab-web01', web],
    ] as const) {
      const job = randomUUID();
      jobs.insert(
        {
          id: job,
          kind: 'replication',
          title: `Copy ${name}`,
          trigger: 'schedule',
          vmId: vmId!,
          policyId: policy.id,
          hostId: null,
          targetId: target.id,
        },
        new Date(ago(now, 3)),
      );
      jobs.markRunning(job, new Date(ago(now, 3)));
      jobs.finish(
        job,
        { status: 'succeeded', bytesRead: 12 * MB, bytesStored: 0.2 * MB, appConsistent: true, error: null },
        new Date(ago(now, 2)),
      );
    }

    const plan = new PlansStore(db).create(
      {
        name: 'Office servers',
        groups: [
          {
            name: 'Directory',
            vms: [{ vmId: dc!, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] }],
            then: { kind: 'heartbeat', timeoutSeconds: 600 },
          },
          {
            name: 'Group 2',
            vms: [
              { vmId: files!, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] },
              { vmId: web!, checks: [{ kind: 'boot' }, { kind: 'tcp', port: 443, timeoutSeconds: 120 }] },
            ],
            then: { kind: 'none' },
          },
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
          {
            name: 'Boots',
            kind: 'boot' as const,
            status: 'passed' as const,
            detail: `serial marker "LIFEBOAT-BOOT-OK ${vm}" seen after 0.${3 + i} s`,
            at: at(20 + i * 10),
          },
          {
            name: 'Vault data intact',
            kind: 'vault-verify' as const,
            status: 'passed' as const,
            detail: 'every block re-read and its hash checked',
            at: at(25 + i * 10),
          },
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
      const step = drills.addStep({
        drillId,
        seq: i + 1,
        vm,
        name,
        status: 'running',
        startedAt: at(from),
        finishedAt: null,
        detail: null,
      });
      drills.finishStep(step.id, 'passed', at(to), null);
    });
    drills.raiseActionItem({
      source: 'drill',
      subject: 'lab-web01',
      description: 'Port 443 answered only after 40 s: check the web service starts automatically.',
      owner: null,
      createdAt: at(95),
      drillId,
    });
    return { policyId: policy.id, planId: plan.id, drillId, vmIds: ids };
  } finally {
    db.close();
  }
}

export const DRILL_EVIDENCE = {
  serialLine: 'DRILL-GUEST-READY host=drillguest kernel=6.1.0-lifeboat uptime=3.21s ip=10.99.0.2',
  httpAnswer: 'HTTP/1.0 200 OK\nServer: BaseHTTP/0.6 Python/3.11.2\nContent-Type: text/html\nContent-Length: 24\n\n<h1>drill guest OK</h1>',
  screenText: 'Debian GNU/Linux 12 lab-files01 tty1\n\nlab-files01 login:',
  unverifiedFix: 'Add a TCP check for a port the guest serves',
} as const;

/**
 * Two drills of a "Web shop" plan (lab-web01, lab-files01) that show the evidence a result page keeps: one
 * passed two days ago with the guests' own words (serial readiness line, HTTP answer, screen text) and console
 * screenshots; one two hours ago that is unverified, as lab-web01 ran but printed no marker and was asked
 * nothing it had to answer. The newest test drill, so the Dashboard's last drill. Run after seedLivedInCatalog.
 */
export function seedDrillEvidence(dataDir: string, now = Date.now()): { planId: string; passedId: string; unverifiedId: string } {
  const db = openCatalog(dataDir);
  try {
    const ids = vmIdsByName(db);
    const [files, web] = ['lab-files01', 'lab-web01'].map((name) => ids.get(name)!);
    if (!files || !web) throw new Error('seedDrillEvidence: run setup and `lab create` first');
    const plan = new PlansStore(db).create(
      {
        name: 'Web shop',
        groups: [
          {
            name: 'Group 1',
            vms: [
              { vmId: files, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] },
              { vmId: web, checks: [{ kind: 'boot' }, { kind: 'tcp', port: 80, timeoutSeconds: 120 }, { kind: 'vault-verify' }] },
            ],
            then: { kind: 'none' },
          },
        ],
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
      new Date(now - 10 * 24 * 60 * MINUTE),
    );
    const evidenceDir = path.join(dataDir, 'evidence');
    fs.mkdirSync(evidenceDir, { recursive: true });
    const png = (name: string, ok: boolean): string => {
      const file = path.join(evidenceDir, `${name}.png`);
      fs.writeFileSync(file, consolePng(640, 400, ok));
      return file;
    };
    const drills = new DrillsStore(db);
    const record = (
      status: Drill['status'],
      startedMinutesAgo: number,
      vms: (at: (s: number) => string) => Drill['vms'],
      rtoSeconds: number | null,
    ): string => {
      const id = randomUUID();
      const started = now - startedMinutesAgo * MINUTE;
      const at = (seconds: number): string => new Date(started + seconds * 1000).toISOString();
      const results = vms(at);
      drills.save({
        id,
        planId: plan.id,
        plan: plan.name,
        kind: 'test',
        status,
        startedAt: at(0),
        finishedAt: at(150),
        operator: 'alice',
        notes: null,
        rpoSeconds: 14 * 60,
        rtoSeconds,
        rpoTargetSeconds: 3600,
        rtoTargetSeconds: 1800,
        isolation: 'none: the VMs started with no network adapter',
        cleanupConfirmed: true,
        vms: results,
      });
      let seq = 0;
      const step = (
        vm: string | null,
        name: string,
        from: number,
        to: number,
        detail: string | null,
        state: 'passed' | 'skipped' = 'passed',
      ): void => {
        const added = drills.addStep({
          drillId: id,
          seq: ++seq,
          vm,
          name,
          status: 'running',
          startedAt: at(from),
          finishedAt: null,
          detail: null,
        });
        drills.finishStep(added.id, state, at(to), detail);
      };
      step(null, 'Choose recovery points', 0, 2, null);
      for (const r of results) {
        step(r.vm, 'Restore disks into the sandbox', 2, 20, null);
        step(r.vm, 'Boot', 20, 24, null);
        for (const c of r.checks) step(r.vm, `Check: ${c.name}`, 24, 60, c.detail, c.status === 'passed' ? 'passed' : 'skipped');
      }
      step(null, 'Clean up the sandbox', 130, 148, null);
      step(null, 'Confirm nothing is left behind', 148, 150, null);
      return id;
    };
    const check = (c: Omit<DrillCheck, 'at'>, at: string): DrillCheck => ({ ...c, at });
    const point = (started: number) => new Date(now - started * MINUTE - 14 * MINUTE).toISOString();

    const passedId = record(
      'passed',
      2 * 24 * 60,
      (at) => [
        {
          vmId: web,
          vm: 'lab-web01',
          recoveryPointId: randomUUID(),
          recoveryPointTime: point(2 * 24 * 60),
          status: 'passed',
          checks: [
            check(
              {
                name: 'Boots',
                kind: 'boot',
                status: 'passed',
                detail: 'Readiness line seen on the serial console after 3.2 s',
                evidence: [{ kind: 'serial-line', text: DRILL_EVIDENCE.serialLine }],
              },
              at(27),
            ),
            check(
              {
                name: 'Port 80 answers',
                kind: 'tcp',
                status: 'passed',
                detail: 'Port 80 answered after 4.1 s',
                evidence: [{ kind: 'tcp-answer', text: DRILL_EVIDENCE.httpAnswer }],
              },
              at(31),
            ),
            check(
              {
                name: 'Heartbeat',
                kind: 'heartbeat',
                status: 'skipped',
                detail: 'this sandbox (QEMU) has no Hyper-V integration services to ask',
                fix: null,
              },
              at(31),
            ),
            check(
              { name: 'Vault data intact', kind: 'vault-verify', status: 'passed', detail: 'every block re-read and its hash checked' },
              at(40),
            ),
          ],
          screenshot: png('lab-web01-passed', true),
          unverified: null,
          recoveredSeconds: 64,
          failure: null,
        },
        {
          vmId: files,
          vm: 'lab-files01',
          recoveryPointId: randomUUID(),
          recoveryPointTime: point(2 * 24 * 60),
          status: 'passed',
          checks: [
            check(
              {
                name: 'Boots',
                kind: 'boot',
                status: 'passed',
                detail: 'Login prompt seen on the screen after 9 s',
                evidence: [{ kind: 'screen-text', text: DRILL_EVIDENCE.screenText }],
              },
              at(35),
            ),
            check(
              { name: 'Vault data intact', kind: 'vault-verify', status: 'passed', detail: 'every block re-read and its hash checked' },
              at(44),
            ),
          ],
          screenshot: png('lab-files01-passed', true),
          unverified: null,
          recoveredSeconds: 58,
          failure: null,
        },
      ],
      64,
    );

    const unverifiedId = record(
      'unverified',
      2 * 60,
      (at) => [
        {
          vmId: web,
          vm: 'lab-web01',
          recoveryPointId: randomUUID(),
          recoveryPointTime: point(2 * 60),
          status: 'unverified',
          checks: [
            check(
              {
                name: 'Boots',
                kind: 'boot',
                status: 'unverified',
                detail: 'The VM kept running for 120 s, but no readiness line or login prompt appeared on its serial console or screen',
                fix: `${DRILL_EVIDENCE.unverifiedFix}, or have it print a readiness line on its serial console.`,
              },
              at(144),
            ),
            check(
              { name: 'Vault data intact', kind: 'vault-verify', status: 'passed', detail: 'every block re-read and its hash checked' },
              at(60),
            ),
          ],
          screenshot: png('lab-web01-unverified', false),
          unverified: {
            reason: 'It ran for 2 minutes, but printed no readiness line, and no check asked it something only a running guest can answer.',
            fix: `${DRILL_EVIDENCE.unverifiedFix} (port 80 or 443 for a web server), or a heartbeat, then run the drill again.`,
          },
          recoveredSeconds: null,
          failure: null,
        },
        {
          vmId: files,
          vm: 'lab-files01',
          recoveryPointId: randomUUID(),
          recoveryPointTime: point(2 * 60),
          status: 'passed',
          checks: [
            check(
              {
                name: 'Boots',
                kind: 'boot',
                status: 'passed',
                detail: 'Login prompt seen on the screen after 8 s',
                evidence: [{ kind: 'screen-text', text: DRILL_EVIDENCE.screenText }],
              },
              at(32),
            ),
            check(
              { name: 'Vault data intact', kind: 'vault-verify', status: 'passed', detail: 'every block re-read and its hash checked' },
              at(41),
            ),
          ],
          screenshot: null,
          unverified: null,
          recoveredSeconds: 52,
          failure: null,
        },
      ],
      null,
    );
    drills.raiseActionItem({
      source: 'drill',
      subject: 'lab-web01',
      description: `Nothing proved the guest came up. ${DRILL_EVIDENCE.unverifiedFix}.`,
      owner: null,
      createdAt: new Date(now - 2 * 60 * MINUTE + 150_000).toISOString(),
      drillId: unverifiedId,
    });
    return { planId: plan.id, passedId, unverifiedId };
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
    const host = new HostsStore(db).create(
      { name: 'HV-BIG', kind: 'hyperv', address: 'hv-big.corp.local', settings: {}, credentialsSecretId: null },
      new Date(now),
    );
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
      nics: [
        { name: 'Network Adapter', network: 'LAN', mac: null, ips: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`], connected: true },
      ],
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
        policies.create(
          {
            name: `Group ${p + 1}`,
            vmIds,
            targetId: target.id,
            rpoMinutes: 60,
            schedule: null,
            retention: { keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 },
            consistency: 'prefer',
            bandwidth: [],
            enabled: true,
          },
          new Date(now - 86_400_000),
        );
      }
      entries.forEach(([vmName, vmId], i) =>
        points.upsert({
          id: randomUUID(),
          vmId,
          vmName,
          targetId: target.id,
          jobId: null,
          time: ago(now, (i % 70) + 1),
          appConsistent: true,
          sizeBytes: 127 * 1024 ** 3,
          storedBytes: 3 * 1024 ** 3,
          details: {},
        }),
      );
    });
    insert();
  } finally {
    db.close();
  }
}
