import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { DrillScheduler } from '../../core/drills/drill-scheduler';
import { createService } from '../../core/service';
import { openCatalog, type Db } from '../../core/store/database';
import { PlansStore } from '../../core/store/plans';
import { manualClock, seedHost, seedVm } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

function point(db: Db, vmId: string, vm: string, targetId: string, time: string, sizeBytes: number, storedBytes: number): void {
  db.prepare(
    'INSERT INTO recovery_points (id, vm_id, vm_name, target_id, time, size_bytes, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(randomUUID(), vmId, vm, targetId, time, sizeBytes, storedBytes);
}

async function setup() {
  const dir = tempDir();
  const clock = manualClock('2026-11-25T12:00:00Z');
  const service = createService({ dataDir: dir, clock, operator: 'alice' });
  const client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: '/srv/vault' },
    passphrase: PASSPHRASE,
  });
  const db = openCatalog(dir);
  const host = seedHost(db);
  const web = seedVm(db, host, 'web01');
  const sql = seedVm(db, host, 'sql01');
  return { dir, db, service, client, clock, targetId: settings.vault!.id, web, sql };
}

describe('dashboard overview', () => {
  it('is empty but well-formed before anything is protected', async () => {
    const { db, service, client } = await setup();
    const overview = await client.getOverview({ days: 7 });
    expect(overview).toMatchObject({
      upcomingRuns: [],
      upcomingDrills: [],
      lastDrill: null,
      schedulesPaused: false,
      storage: { storedBytes: 0, protectedBytes: 0, points: 0 },
    });
    expect(overview.storage.trend).toHaveLength(7);
    expect(overview.storage.trend.every((d) => d.storedBytes === 0)).toBe(true);
    db.close();
    await service.close();
  });

  it('adds up stored bytes per day, and counts the newest point of each VM (by id, not name) as protected size', async () => {
    const { db, service, client, targetId, web, sql } = await setup();
    // Another host's VM also called web01: its newest point counts too, not folded into the first's.
    const twin = seedVm(db, seedHost(db, 'HV02'), 'web01');
    point(db, twin, 'web01', targetId, '2026-11-20T12:00:00Z', 300, 0);
    point(db, web, 'web01', targetId, '2026-10-01T12:00:00Z', 100, 60); // before the window
    point(db, web, 'web01', targetId, '2026-11-23T12:00:00Z', 100, 10);
    point(db, web, 'web01', targetId, '2026-11-25T11:00:00Z', 120, 5);
    point(db, sql, 'sql01', targetId, '2026-11-24T12:00:00Z', 500, 200);
    const { storage } = await client.getOverview({ days: 4 });
    expect(storage).toMatchObject({ storedBytes: 275, protectedBytes: 920, points: 5 });
    expect(storage.trend.map((d) => d.day)).toEqual(['2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25']);
    expect(storage.trend.map((d) => d.storedBytes)).toEqual([60, 70, 270, 275]);
    db.close();
    await service.close();
  });

  it('tells when each policy runs next: interval after the last start, cron, or not while paused', async () => {
    const { db, service, client, clock, targetId, web, sql } = await setup();
    const interval = await client.createPolicy({ name: 'Every half hour', vmIds: [web], targetId, rpoMinutes: 60 });
    await client.createPolicy({ name: 'Nightly', vmIds: [sql], targetId, rpoMinutes: 24 * 60, schedule: '0 22 * * *' });
    // Never run: due at once.
    let runs = (await client.getOverview()).upcomingRuns;
    expect(runs.find((r) => r.policy === 'Every half hour')).toMatchObject({
      at: '2026-11-25T12:00:00.000Z',
      cadence: 'every 30 min',
      vmCount: 1,
    });
    db.prepare(
      "INSERT INTO jobs (id, kind, status, vm_id, policy_id, created_at, started_at) VALUES ('j1', 'replication', 'succeeded', ?, ?, ?, ?)",
    ).run(web, interval.id, '2026-11-25T11:50:00Z', '2026-11-25T11:50:00Z');
    runs = (await client.getOverview()).upcomingRuns;
    expect(runs.map((r) => r.policy)).toEqual(['Every half hour', 'Nightly']);
    expect(runs[0]!.at).toBe('2026-11-25T12:20:00.000Z');
    const nightly = new Date(runs[1]!.at!);
    expect(nightly.getHours()).toBe(22);
    expect(nightly.getTime() - clock.now().getTime()).toBeLessThanOrEqual(24 * 3600_000);
    await client.setSchedulesPaused({ paused: true });
    const paused = await client.getOverview();
    expect(paused.schedulesPaused).toBe(true);
    expect(paused.upcomingRuns.every((r) => r.at === null)).toBe(true);
    db.close();
    await service.close();
  });

  it('lists the next scheduled drills and the last drill', async () => {
    const { db, service, client, web } = await setup();
    await client.createPlan({ name: 'Monthly', groups: [{ name: 'All', vms: [{ vmId: web }] }], schedule: '0 6 1 * *' });
    await client.createPlan({ name: 'On demand', groups: [{ name: 'All', vms: [{ vmId: web }] }] });
    const overview = await client.getOverview();
    expect(overview.upcomingDrills).toEqual([expect.objectContaining({ plan: 'Monthly', schedule: '0 6 1 * *' })]);
    const at = new Date(overview.upcomingDrills[0]!.at);
    expect([at.getDate(), at.getHours(), at.getMinutes()]).toEqual([1, 6, 0]);
    db.prepare(
      "INSERT INTO drills (id, plan_id, kind, status, started_at, finished_at, operator, rpo_seconds, rto_seconds, details) VALUES ('d1', NULL, 'test', 'passed', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z', 'alice', 600, 300, ?)",
    ).run(
      JSON.stringify({
        plan: 'Monthly',
        rpoTargetSeconds: 3600,
        rtoTargetSeconds: 3600,
        isolation: 'none',
        cleanupConfirmed: true,
        vms: [],
      }),
    );
    expect((await client.getOverview()).lastDrill).toMatchObject({ id: 'd1', status: 'passed', rtoSeconds: 300 });
    db.close();
    await service.close();
  });

  it('shows a newer unverified drill as unverified, with no recovery time, not the older pass', async () => {
    const { db, service, client } = await setup();
    const insert = db.prepare(
      "INSERT INTO drills (id, plan_id, kind, status, started_at, finished_at, operator, rpo_seconds, rto_seconds, details) VALUES (?, NULL, 'test', ?, ?, ?, 'alice', 600, ?, ?)",
    );
    const details = (status: string) =>
      JSON.stringify({
        plan: 'Monthly',
        rpoTargetSeconds: 3600,
        rtoTargetSeconds: 3600,
        isolation: 'none',
        cleanupConfirmed: true,
        vms: [
          {
            vmId: null,
            vm: 'web01',
            recoveryPointId: 'p1',
            recoveryPointTime: '2026-11-20T09:50:00Z',
            status,
            checks: [],
            screenshot: null,
            unverified:
              status === 'unverified'
                ? { reason: 'No marker, no heartbeat, no port answered.', fix: 'Add a TCP check for a port the guest serves' }
                : null,
            recoveredSeconds: null,
            failure: null,
          },
        ],
      });
    insert.run('d1', 'passed', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z', 300, details('passed'));
    insert.run('d2', 'unverified', '2026-11-24T10:00:00Z', '2026-11-24T10:05:00Z', 280, details('unverified'));
    const { lastDrill } = await client.getOverview();
    expect(lastDrill).toMatchObject({
      id: 'd2',
      status: 'unverified',
      rtoSeconds: null,
      vms: [{ status: 'unverified', unverified: { fix: 'Add a TCP check for a port the guest serves' } }],
    });
    // A failover is not a drill: it does not become the last drill either way.
    insert.run('f1', 'passed', '2026-11-25T10:00:00Z', '2026-11-25T10:05:00Z', 200, details('passed'));
    db.prepare("UPDATE drills SET kind = 'planned' WHERE id = 'f1'").run();
    expect((await client.getOverview()).lastDrill).toMatchObject({ id: 'd2', status: 'unverified' });
    db.close();
    await service.close();
  });
});

describe('drill scheduler', () => {
  it('starts a scheduled plan once in its firing minute, not when paused, and reports a failed start', async () => {
    const { db, service, client, clock, web } = await setup();
    const plan = await client.createPlan({ name: 'Hourly', groups: [{ name: 'All', vms: [{ vmId: web }] }], schedule: '30 * * * *' });
    await client.createPlan({ name: 'Never', groups: [{ name: 'All', vms: [{ vmId: web }] }] });
    const started: string[] = [];
    const failures: string[] = [];
    let paused = false;
    let fail = false;
    const scheduler = new DrillScheduler({
      plans: new PlansStore(db),
      clock,
      paused: () => paused,
      startDrill: async (planId) => {
        if (fail) throw new Error('no vault');
        started.push(planId);
      },
      onError: (planId, error) => failures.push(`${planId}: ${error.message}`),
    });
    expect(await scheduler.tick()).toEqual([]);
    clock.set('2026-11-25T12:30:10Z');
    expect(await scheduler.tick()).toEqual([plan.id]);
    clock.set('2026-11-25T12:30:50Z');
    expect(await scheduler.tick()).toEqual([]);
    expect(started).toEqual([plan.id]);
    clock.set('2026-11-25T13:30:00Z');
    paused = true;
    expect(await scheduler.tick()).toEqual([]);
    paused = false;
    fail = true;
    expect(await scheduler.tick()).toEqual([plan.id]);
    expect(failures).toEqual([`${plan.id}: no vault`]);
    db.close();
    await service.close();
  });
});

describe('scheduled drills on the engine heartbeat', () => {
  it('start a drill job when the plan schedule fires', async () => {
    const dir = tempDir();
    const clock = manualClock('2026-11-25T12:00:00Z');
    const db = openCatalog(dir);
    const web = seedVm(db, seedHost(db), 'web01');
    db.close();
    const service = createService({ dataDir: dir, clock, operator: 'alice', heartbeat: false });
    const client = createLocalClient(service.api);
    await client.createPlan({ name: 'Half past', groups: [{ name: 'All', vms: [{ vmId: web }] }], schedule: '30 * * * *' });
    service.tick();
    expect((await client.listJobs()).filter((j) => j.kind === 'drill')).toEqual([]);
    clock.set('2026-11-25T12:30:05Z');
    service.tick();
    await expect
      .poll(async () => (await client.listJobs()).filter((j) => j.kind === 'drill').map((j) => j.title))
      .toEqual(['Drill: Half past']);
    await service.close();
  });
});
