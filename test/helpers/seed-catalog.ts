import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AUDIT_MAC_LABEL, AuditLog } from '../../core/audit/log';
import { KeyFileSecretBox } from '../../core/secrets/key-file-box';
import type { Clock } from '../../core/clock';
import type { Drill, DrillCheck, DrillStep, DrillVmResult } from '../../core/contract/drills';
import { openCatalog, type Db } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { JobsStore } from '../../core/store/jobs';
import { PoliciesStore } from '../../core/store/policies';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { SettingsStore } from '../../core/store/settings';
import { TargetsStore } from '../../core/store/targets';

/**
 * A realistic first quarter of 2026 in a small company's catalog, written through the same stores the engine
 * uses: three hosts, eight VMs (two unprotected, one removed in February, one in a disabled policy), four
 * policies (one created mid-quarter), a recovery point every half RPO with outages that breach the RPO
 * (one across midnight), succeeded and failed runs, three drills with steps, checks and console screenshots
 * (one failed), action items (one closed, one open) and audit entries spread over the quarter.
 */
export interface SeededQuarter {
  dataDir: string;
  period: { from: string; to: string };
  organisation: string;
  evidenceDir: string;
  screenshots: string[];
  vms: Record<string, string>;
  drills: Drill[];
}

export interface SeedOptions {
  organisation?: string;
}

const MIN = 60 * 1000;

/** Times are local wall-clock times (`new Date(y, m, d, h)`): pin TZ before seeding for stable days. */
export function seedQuarter(dataDir: string, options: SeedOptions = {}): SeededQuarter {
  const organisation = options.organisation ?? 'Acme Dental Group';
  const db = openCatalog(dataDir);
  try {
    return seed(db, dataDir, organisation);
  } finally {
    db.close();
  }
}

/** Local wall-clock time in the engine's zone. */
function local(y: number, m: number, d: number, h = 0, min = 0): number {
  return new Date(y, m - 1, d, h, min).getTime();
}

function seed(db: Db, dataDir: string, organisation: string): SeededQuarter {
  let now = local(2025, 12, 1, 9);
  const clock: Clock = { now: () => new Date(now) };
  const settings = new SettingsStore(db);
  // Keyed as the engine keys it, so the seeded log verifies as the engine's own.
  const audit = new AuditLog(db, settings, clock, () => new KeyFileSecretBox(dataDir).deriveKey(AUDIT_MAC_LABEL));
  const policies = new PoliciesStore(db);
  const points = new RecoveryPointsStore(db);
  const jobs = new JobsStore(db);
  const drills = new DrillsStore(db);
  const random = mulberry32(20260101);

  // Setup, hosts and VMs in December, before the quarter.
  settings.set('organisation', organisation, clock.now());
  settings.set('firstRunCompletedAt', clock.now().toISOString(), clock.now());
  const vault = new TargetsStore(db).setDefault('Primary vault', { kind: 'folder', path: path.join(dataDir, 'vault') }, clock.now());
  audit.append('alice', 'setup.completed', organisation, { vault: vault.location });

  const host = (name: string, kind: string): string => {
    const id = randomUUID();
    db.prepare('INSERT INTO hosts (id, name, kind, address, added_at) VALUES (?, ?, ?, ?, ?)').run(
      id,
      name,
      kind,
      `${name.toLowerCase()}.acme.local`,
      clock.now().toISOString(),
    );
    return id;
  };
  const hosts = { hv01: host('HV01', 'hyperv'), hv02: host('HV02', 'hyperv'), esx01: host('ESX01', 'vsphere') };
  const vms: Record<string, string> = {};
  const vm = (name: string, hostId: string, power = 'running'): void => {
    const id = randomUUID();
    vms[name] = id;
    db.prepare(
      'INSERT INTO vms (id, host_id, external_id, name, power_state, details, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      id,
      hostId,
      `ext-${name}`,
      name,
      power,
      JSON.stringify({ cpus: 2, memoryMiB: 4096 }),
      clock.now().toISOString(),
      clock.now().toISOString(),
    );
  };
  vm('dc01', hosts.hv01);
  vm('sql01', hosts.hv01);
  vm('web01', hosts.hv02);
  vm('web02', hosts.hv02);
  vm('file01', hosts.hv02);
  vm('app01', hosts.esx01);
  vm('test-vm', hosts.esx01, 'off');
  vm('legacy01', hosts.hv01, 'off');
  vm('print01', hosts.hv02);
  db.prepare('UPDATE vms SET removed_at = ? WHERE id = ?').run(new Date(local(2026, 2, 6, 12)).toISOString(), vms.legacy01);

  now = local(2025, 12, 15, 10);
  const policy = (name: string, vmNames: string[], rpoMinutes: number, enabled = true) => {
    const created = policies.create(
      {
        name,
        vmIds: vmNames.map((n) => vms[n]!),
        targetId: vault.id,
        rpoMinutes,
        schedule: null,
        retention: { keepLast: 48, daily: 14, weekly: 8, monthly: 12, yearly: 0 },
        consistency: 'prefer',
        bandwidth: [],
        enabled,
      },
      clock.now(),
    );
    audit.append('alice', 'policy.created', name, { rpoMinutes, vms: vmNames });
    return created;
  };
  const tier1 = policy('Tier 1 servers', ['dc01', 'sql01'], 60);
  const tier2 = policy('Web and files', ['web01', 'web02', 'file01'], 240);
  policy('Lab', ['test-vm'], 1440, false);
  now = local(2026, 2, 10, 14);
  const apps = policy('Line-of-business apps', ['app01'], 1440);

  // Outages: no points, failed runs instead. sql01 on 14 Feb 02:00–06:30; web02 for 10 h on 3 March;
  // file01 from 20 Jan 18:00 until 21 Jan 05:00 (a breach across midnight).
  const outages: Record<string, [number, number, string][]> = {
    sql01: [[local(2026, 2, 14, 2), local(2026, 2, 14, 6, 30), 'HV01 did not answer: WinRM connection refused.']],
    web02: [[local(2026, 3, 3, 8), local(2026, 3, 3, 18), 'The vault folder \\\\nas01\\backups is full (0 bytes free).']],
    file01: [[local(2026, 1, 20, 18), local(2026, 1, 21, 5), 'Production checkpoint failed: VSS writer "SqlServerWriter" timed out.']],
  };

  const insertPointsAndRuns = db.transaction(() => {
    const schedules: [string, string, number, number][] = [
      ['dc01', tier1.id, 30, local(2025, 12, 31, 23, 40)],
      ['sql01', tier1.id, 30, local(2025, 12, 31, 23, 50)],
      ['web01', tier2.id, 120, local(2025, 12, 31, 23)],
      ['web02', tier2.id, 120, local(2025, 12, 31, 23, 10)],
      ['file01', tier2.id, 120, local(2025, 12, 31, 22, 30)],
      ['app01', apps.id, 720, local(2026, 2, 10, 15)],
    ];
    const end = local(2026, 4, 1);
    for (const [name, policyId, every, first] of schedules) {
      const hostId = name === 'app01' ? hosts.esx01 : name.startsWith('web') || name === 'file01' ? hosts.hv02 : hosts.hv01;
      for (let t = first; t < end; t += every * MIN) {
        const outage = outages[name]?.find(([from, to]) => t >= from && t < to);
        const jobId = randomUUID();
        const started = t - 3 * MIN - Math.floor(random() * 60_000);
        jobs.insert(
          {
            id: jobId,
            kind: 'replication',
            title: `Copy ${name}`,
            trigger: 'schedule',
            vmId: vms[name]!,
            policyId,
            hostId,
            targetId: vault.id,
          },
          new Date(started),
        );
        jobs.markRunning(jobId, new Date(started));
        if (outage) {
          jobs.finish(
            jobId,
            { status: 'failed', bytesRead: 0, bytesStored: 0, appConsistent: null, error: outage[2] },
            new Date(started + 40_000),
          );
          continue;
        }
        const read = Math.floor((0.2 + random()) * 2_000_000_000);
        const appConsistent = random() > 0.03;
        jobs.finish(
          jobId,
          { status: 'succeeded', bytesRead: read, bytesStored: Math.floor(read * (0.05 + random() * 0.1)), appConsistent, error: null },
          new Date(t),
        );
        points.upsert({
          id: randomUUID(),
          vmId: vms[name]!,
          vmName: name,
          targetId: vault.id,
          jobId,
          time: new Date(t).toISOString(),
          appConsistent,
          sizeBytes: read,
          storedBytes: Math.floor(read / 10),
          details: {},
        });
      }
    }
  });
  insertPointsAndRuns();

  // One run cancelled while queued (it never started) and one interrupted.
  const cancelled = randomUUID();
  jobs.insert(
    {
      id: cancelled,
      kind: 'replication',
      title: 'Copy web01',
      trigger: 'manual',
      vmId: vms.web01!,
      policyId: tier2.id,
      hostId: hosts.hv02,
      targetId: vault.id,
    },
    new Date(local(2026, 1, 9, 11)),
  );
  jobs.finish(
    cancelled,
    { status: 'cancelled', bytesRead: 0, bytesStored: 0, appConsistent: null, error: 'Cancelled before it started.' },
    new Date(local(2026, 1, 9, 11, 1)),
  );
  now = local(2026, 1, 9, 11, 1);
  audit.append('bob', 'job.cancelled', 'Copy web01', { jobId: cancelled });

  const evidenceDir = path.join(dataDir, 'evidence');
  fs.mkdirSync(evidenceDir, { recursive: true });
  const screenshots: string[] = [];
  const shot = (name: string, ok: boolean): string => {
    const file = path.join(evidenceDir, `${name}.png`);
    fs.writeFileSync(file, consolePng(320, 200, ok));
    screenshots.push(file);
    return file;
  };

  const check = (name: string, kind: DrillCheck['kind'], status: DrillCheck['status'], detail: string, at: number): DrillCheck => ({
    name,
    kind,
    status,
    detail,
    at: new Date(at).toISOString(),
  });
  const seededDrills: Drill[] = [];
  const drill = (d: {
    plan: string;
    kind?: Drill['kind'];
    start: number;
    vmsResults: (Omit<DrillVmResult, 'vmId' | 'recoveryPointId' | 'recoveryPointTime'> & { pointAgeMinutes: number })[];
    rto: number | null;
    status: Drill['status'];
    notes: string;
    operator: string;
  }): Drill => {
    const vmResults: DrillVmResult[] = d.vmsResults.map(({ pointAgeMinutes, ...r }) => ({
      ...r,
      vmId: vms[r.vm]!,
      recoveryPointId: randomUUID(),
      recoveryPointTime: new Date(d.start - pointAgeMinutes * MIN).toISOString(),
    }));
    const record: Drill = {
      id: randomUUID(),
      planId: null,
      plan: d.plan,
      kind: d.kind ?? 'test',
      status: d.status,
      startedAt: new Date(d.start).toISOString(),
      finishedAt: new Date(d.start + 40 * MIN).toISOString(),
      operator: d.operator,
      notes: d.notes,
      rpoSeconds: Math.max(...vmResults.map((r) => Math.round((d.start - Date.parse(r.recoveryPointTime)) / 1000))),
      rtoSeconds: d.rto,
      rpoTargetSeconds: 3600,
      rtoTargetSeconds: 1800,
      isolation: 'Private switch LB-Drill-7f3a (no uplink)',
      cleanupConfirmed: true,
      vms: vmResults,
    };
    drills.save(record);
    let seq = 0;
    let t = d.start;
    const step = (vmName: string | null, name: string, seconds: number, status: DrillStep['status'], detail: string | null): void => {
      const added = drills.addStep({
        drillId: record.id,
        seq: ++seq,
        vm: vmName,
        name,
        status: 'running',
        startedAt: new Date(t).toISOString(),
        finishedAt: null,
        detail: null,
      });
      t += seconds * 1000;
      drills.finishStep(added.id, status, new Date(t).toISOString(), detail);
    };
    for (const r of vmResults) {
      step(r.vm, 'Restore disks from the vault', 95, 'passed', '2 disks, 38.2 GiB allocated');
      step(r.vm, 'Start in the isolated network', 20, 'passed', record.isolation);
      for (const c of r.checks) step(r.vm, `Check: ${c.name}`, 15, c.status === 'unverified' ? 'skipped' : c.status, c.detail); // a step has no unverified state of its own
      step(r.vm, 'Capture console screenshot', 3, r.screenshot ? 'passed' : 'failed', r.screenshot);
    }
    step(null, 'Clean up: remove drill VMs and switch', 30, 'passed', 'Nothing left on HV02');
    now = d.start + 40 * MIN;
    audit.append(d.operator, 'drill.finished', d.plan, { drillId: record.id, status: d.status });
    seededDrills.push(record);
    return record;
  };

  const t1 = local(2026, 1, 15, 10);
  drill({
    plan: 'Tier 1 quarterly',
    start: t1,
    status: 'passed',
    rto: 290,
    operator: 'alice',
    notes: 'Quarterly test of the domain controller and SQL Server.',
    vmsResults: [
      {
        vm: 'dc01',
        pointAgeMinutes: 12,
        status: 'passed',
        recoveredSeconds: 240,
        failure: null,
        screenshot: shot('dc01-2026-01-15', true),
        checks: [
          check('boot', 'boot', 'passed', 'Boot marker seen after 38 s', t1 + 3 * MIN),
          check('heartbeat', 'heartbeat', 'passed', 'Heartbeat OK after 52 s', t1 + 3 * MIN),
          check('LDAP 389', 'tcp', 'passed', 'Port 389 open', t1 + 4 * MIN),
        ],
      },
      {
        vm: 'sql01',
        pointAgeMinutes: 25,
        status: 'passed',
        recoveredSeconds: 290,
        failure: null,
        screenshot: shot('sql01-2026-01-15', true),
        checks: [
          check('boot', 'boot', 'passed', 'Boot marker seen after 41 s', t1 + 4 * MIN),
          check('SQL 1433', 'tcp', 'passed', 'Port 1433 open', t1 + 5 * MIN),
        ],
      },
    ],
  });
  const t2 = local(2026, 2, 20, 9);
  const failed = drill({
    plan: 'Web tier',
    start: t2,
    status: 'failed',
    rto: null,
    operator: 'bob',
    notes: 'web02 did not answer on 443; see action item.',
    vmsResults: [
      {
        vm: 'web01',
        pointAgeMinutes: 70,
        status: 'passed',
        recoveredSeconds: 410,
        failure: null,
        screenshot: shot('web01-2026-02-20', true),
        checks: [
          check('boot', 'boot', 'passed', 'Boot marker seen after 30 s', t2 + 3 * MIN),
          check('HTTPS 443', 'tcp', 'passed', 'Port 443 open', t2 + 6 * MIN),
        ],
      },
      {
        vm: 'web02',
        pointAgeMinutes: 95,
        status: 'failed',
        recoveredSeconds: null,
        failure: 'Port 443 refused: the IIS site did not start.',
        screenshot: path.join(evidenceDir, 'web02-2026-02-20-missing.png'),
        checks: [
          check('boot', 'boot', 'passed', 'Boot marker seen after 33 s', t2 + 3 * MIN),
          check('HTTPS 443', 'tcp', 'failed', 'Connection refused', t2 + 9 * MIN),
        ],
      },
    ],
  });
  const t3 = local(2026, 3, 25, 14);
  drill({
    plan: 'Web tier',
    start: t3,
    status: 'passed',
    rto: 2100,
    operator: 'bob',
    notes: 'Re-test after fixing the IIS start-up dependency. Slower than target: restore from the offsite copy.',
    vmsResults: [
      {
        vm: 'web01',
        pointAgeMinutes: 50,
        status: 'passed',
        recoveredSeconds: 1900,
        failure: null,
        screenshot: shot('web01-2026-03-25', true),
        checks: [check('HTTPS 443', 'tcp', 'passed', 'Port 443 open', t3 + 30 * MIN)],
      },
      {
        vm: 'web02',
        pointAgeMinutes: 55,
        status: 'passed',
        recoveredSeconds: 2100,
        failure: null,
        screenshot: shot('web02-2026-03-25', true),
        checks: [check('HTTPS 443', 'tcp', 'passed', 'Port 443 open', t3 + 35 * MIN)],
      },
    ],
  });

  // A planned failover for host maintenance: listed on the Drills sheet by kind, not counted as a test.
  const t4 = local(2026, 3, 28, 20);
  drill({
    plan: 'Tier 1 quarterly',
    kind: 'planned',
    start: t4,
    status: 'passed',
    rto: 3000,
    operator: 'alice',
    notes: 'HV01 firmware update: ran on HV02 overnight, failed back on Sunday.',
    vmsResults: [
      {
        vm: 'dc01',
        pointAgeMinutes: 0,
        status: 'passed',
        recoveredSeconds: 3000,
        failure: null,
        screenshot: shot('dc01-2026-03-28-failover', true),
        checks: [check('boot', 'boot', 'passed', 'Boot marker seen after 40 s', t4 + 49 * MIN)],
      },
    ],
  });

  const fromDrill = drills.raiseActionItem({
    source: 'drill',
    subject: 'web02',
    description: 'IIS site does not start after recovery: set the W3SVC dependency and re-test.',
    owner: 'bob',
    createdAt: new Date(t2 + 41 * MIN).toISOString(),
    drillId: failed.id,
  });
  drills.closeActionItem(fromDrill.id, new Date(local(2026, 3, 26, 9)).toISOString());
  drills.raiseActionItem({
    source: 'rpo',
    subject: 'sql01',
    description: 'sql01 missed its 60-minute RPO for 4.5 hours when HV01 stopped answering WinRM. Monitor WinRM.',
    owner: 'carol',
    createdAt: new Date(local(2026, 2, 14, 9)).toISOString(),
    drillId: null,
  });

  now = local(2026, 2, 2, 8, 30);
  audit.append('alice', 'policy.changed', 'Web and files', { changes: { retention: { keepLast: 48 } } });
  now = local(2026, 3, 31, 23, 59);
  audit.append('system', 'vault.verified', 'Primary vault', { packs: 412, errors: 0 });
  now = local(2026, 4, 2, 9);
  audit.append('alice', 'settings.changed', 'organisation', { from: organisation, to: organisation });

  return { dataDir, period: { from: '2026-01-01', to: '2026-03-31' }, organisation, evidenceDir, screenshots, vms, drills: seededDrills };
}

/** A small deterministic PRNG: the same catalog on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A real PNG that looks like a VM console: dark screen, a title bar, "text" lines and a green or red status block. */
export function consolePng(width: number, height: number, ok: boolean): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      let rgb = [16, 24, 32];
      if (y < 16) rgb = [0, 90, 158];
      else if (y % 12 < 6 && x > 10 && x < 10 + ((y * 37) % (width - 40)) && y < height - 40) rgb = [200, 200, 200];
      else if (y > height - 34 && y < height - 10 && x > 10 && x < 110) rgb = ok ? [40, 170, 80] : [200, 40, 40];
      raw.set(rgb, y * (width * 3 + 1) + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
