import { describe, expect, it } from 'vitest';
import type { Policy } from '../../core/contract/protection';
import { EventBus } from '../../core/event-bus';
import { bandwidthLimitAt } from '../../core/schedule/bandwidth';
import { CronSchedule } from '../../core/schedule/cron';
import { intervalMinutesFor } from '../../core/contract/protection';
import { rpoState } from '../../core/schedule/rpo';
import { Scheduler, type RunTrigger } from '../../core/schedule/scheduler';
import { AlertsStore } from '../../core/store/alerts';
import { openCatalog } from '../../core/store/database';
import { JobsStore } from '../../core/store/jobs';
import { PoliciesStore } from '../../core/store/policies';
import { manualClock, seedHost, seedPoint, seedTarget, seedVm } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;

describe('RPO state', () => {
  it('is ok up to 80% of the RPO, warning up to 100%, breach beyond', () => {
    expect(rpoState(240, 5, 9999)).toBe('ok');
    expect(rpoState(241, 5, 9999)).toBe('warning');
    expect(rpoState(300, 5, 9999)).toBe('warning');
    expect(rpoState(301, 5, 9999)).toBe('breach');
  });

  it('is pending until one RPO has passed without a first point', () => {
    expect(rpoState(null, 5, 299)).toBe('pending');
    expect(rpoState(null, 5, 301)).toBe('breach');
  });

  it('runs every half RPO when no schedule is given', () => {
    expect(intervalMinutesFor(5)).toBe(2);
    expect(intervalMinutesFor(60)).toBe(30);
    expect(intervalMinutesFor(1)).toBe(1);
  });
});

describe('bandwidth schedule', () => {
  const office = { days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00', bytesPerSecond: 20 * MiB };
  const night = { days: [5], from: '22:00', to: '06:00', bytesPerSecond: 50 * MiB };
  const at = (iso: string) => new Date(iso); // local time: no Z

  it('limits inside a weekday window and not outside it', () => {
    expect(bandwidthLimitAt([office], at('2026-11-25T09:30:00'))).toBe(20 * MiB); // Wednesday
    expect(bandwidthLimitAt([office], at('2026-11-25T18:00:00'))).toBeNull();
    expect(bandwidthLimitAt([office], at('2026-11-28T10:00:00'))).toBeNull(); // Saturday
  });

  it('follows windows across midnight into the next day, and the lowest limit wins', () => {
    expect(bandwidthLimitAt([night], at('2026-11-27T23:00:00'))).toBe(50 * MiB); // Friday night
    expect(bandwidthLimitAt([night], at('2026-11-28T05:59:00'))).toBe(50 * MiB); // Saturday early
    expect(bandwidthLimitAt([night], at('2026-11-28T06:00:00'))).toBeNull();
    expect(bandwidthLimitAt([office, { ...office, bytesPerSecond: 5 * MiB }], at('2026-11-25T12:00:00'))).toBe(5 * MiB);
  });
});

describe('cron schedule', () => {
  it('fires in matching minutes and finds the next firing', () => {
    const cron = new CronSchedule('*/15 * * * *');
    expect(cron.firesInMinuteOf(new Date('2026-11-25T10:30:42'))).toBe(true);
    expect(cron.firesInMinuteOf(new Date('2026-11-25T10:31:00'))).toBe(false);
    expect(cron.nextAfter(new Date('2026-11-25T10:31:00'))).toEqual(new Date('2026-11-25T10:45:00'));
    expect(CronSchedule.isValid('*/15 * * * *')).toBe(true);
    expect(CronSchedule.isValid('every day')).toBe(false);
  });
});

describe('scheduler', () => {
  function setup(schedule: string | null, rpoMinutes = 10) {
    const db = openCatalog(tempDir());
    const clock = manualClock('2026-11-25T10:00:30Z');
    const host = seedHost(db);
    const target = seedTarget(db);
    const vm = seedVm(db, host, 'web01');
    const policies = new PoliciesStore(db);
    const policy = policies.create(
      {
        name: 'Office',
        vmIds: [vm],
        targetId: target,
        rpoMinutes,
        schedule,
        retention: { keepLast: 3, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
        consistency: 'prefer',
        bandwidth: [],
        enabled: true,
      },
      clock.now(),
    );
    const jobs = new JobsStore(db);
    const bus = new EventBus();
    const events: string[] = [];
    bus.subscribe((event) => events.push(event.type === 'alert.raised' ? `alert:${event.alert.severity}` : event.type));
    const runs: { vmId: string; trigger: RunTrigger; at: string }[] = [];
    let busy = false;
    const away = new Set<string>();
    const scheduler = new Scheduler({
      db,
      policies,
      jobs,
      alerts: new AlertsStore(db),
      bus,
      clock,
      isBusy: () => busy,
      paused: () => false,
      failedOver: () => away,
      retries: () => 3,
      startRun: (_policy: Policy, vmId, trigger) => {
        runs.push({ vmId, trigger, at: clock.now().toISOString() });
        jobs.insert(
          { id: `job-${runs.length}`, kind: 'replication', title: 't', trigger, vmId, policyId: policy.id, hostId: host, targetId: target },
          clock.now(),
        );
        jobs.markRunning(`job-${runs.length}`, clock.now());
      },
    });
    const completeRun = () => seedPoint(db, vm, 'web01', target, clock.now().toISOString());
    return { db, clock, scheduler, runs, events, vm, policy, policies, completeRun, away, setBusy: (b: boolean) => (busy = b) };
  }

  it('copies nothing of a failed-over VM, and its RPO alert says why and how to end it', () => {
    const { scheduler, clock, runs, vm, away, db } = setup(null, 10);
    away.add(vm);
    expect(scheduler.tick().started).toHaveLength(0);
    clock.advanceMinutes(30);
    expect(scheduler.tick().started).toHaveLength(0);
    expect(runs).toHaveLength(0);
    const alert = new AlertsStore(db).open('rpo', vm);
    expect(alert).toMatchObject({ severity: 'critical', fix: expect.stringMatching(/^It is failed over: .*Fail back/) });
    away.delete(vm);
    expect(scheduler.tick().started).toHaveLength(1);
  });

  it('retries a failed or interrupted copy after 1, 2 and 4 minutes, then waits for its schedule', () => {
    const { scheduler, clock, runs, db } = setup(null, 24 * 60);
    const jobs = new JobsStore(db);
    const end = (status: 'failed' | 'interrupted') =>
      jobs.finish(`job-${runs.length}`, { status, error: 'x', bytesRead: 1, bytesStored: 0, appConsistent: null }, clock.now());
    const tickAfter = (minutes: number) => {
      clock.advanceMinutes(minutes);
      return scheduler.tick().started.map((s) => s.trigger);
    };
    expect(tickAfter(0)).toEqual(['schedule']);
    end('interrupted'); // Lifeboat stopped while it ran
    expect(tickAfter(0.5)).toEqual([]);
    expect(tickAfter(0.5)).toEqual(['retry']);
    end('failed');
    expect(tickAfter(1)).toEqual([]);
    expect(tickAfter(1)).toEqual(['retry']);
    end('failed');
    expect(tickAfter(3)).toEqual([]);
    expect(tickAfter(1)).toEqual(['retry']);
    end('failed');
    expect(tickAfter(60)).toEqual([]); // three retries spent: the schedule's next run, not a fourth retry
    expect(runs.map((r) => r.trigger)).toEqual(['schedule', 'retry', 'retry', 'retry']);
  });

  it('starts interval runs every half RPO as the clock moves, never twice for a busy VM', () => {
    const { scheduler, clock, runs, setBusy } = setup(null, 10);
    expect(scheduler.tick().started).toHaveLength(1);
    clock.advanceMinutes(4);
    expect(scheduler.tick().started).toHaveLength(0);
    clock.advanceMinutes(1);
    setBusy(true);
    expect(scheduler.tick().started).toHaveLength(0);
    setBusy(false);
    expect(scheduler.tick().started).toHaveLength(1);
    expect(runs.map((r) => r.at)).toEqual(['2026-11-25T10:00:30.000Z', '2026-11-25T10:05:30.000Z']);
  });

  it('follows an explicit cron schedule, once per firing minute', () => {
    const { scheduler, clock, runs } = setup('*/15 * * * *', 60);
    clock.set('2026-11-25T10:14:10Z');
    scheduler.tick();
    clock.set('2026-11-25T10:15:05Z');
    scheduler.tick();
    clock.set('2026-11-25T10:15:40Z');
    scheduler.tick();
    clock.set('2026-11-25T10:30:00Z');
    scheduler.tick();
    expect(runs.map((r) => r.at)).toEqual(['2026-11-25T10:15:05.000Z', '2026-11-25T10:30:00.000Z']);
  });

  it('at launch, catches up a cron run missed while closed when waiting would breach the RPO', () => {
    const late = setup('0 * * * *', 60);
    late.clock.set('2026-11-25T09:00:00Z');
    late.completeRun();
    late.clock.set('2026-11-25T10:20:00Z'); // missed 10:00; next firing 11:00 is 2 h after the point
    expect(late.scheduler.tick({ atLaunch: true }).started).toEqual([expect.objectContaining({ trigger: 'catch-up' })]);

    const fine = setup('0 * * * *', 180);
    fine.clock.set('2026-11-25T09:00:00Z');
    fine.completeRun();
    fine.clock.set('2026-11-25T10:20:00Z'); // next firing is within the 3 h RPO
    expect(fine.scheduler.tick({ atLaunch: true }).started).toEqual([]);
  });

  it('catches up a cron firing the machine slept through on the next tick, once, when waiting would breach the RPO', () => {
    const { scheduler, clock, runs } = setup('0 * * * *', 180);
    clock.set('2026-11-25T10:00:10Z');
    scheduler.tick();
    clock.set('2026-11-25T11:42:00Z'); // asleep from 10:05 to 11:42: the 11:00 firing passed unseen
    expect(scheduler.tick().started).toEqual([expect.objectContaining({ trigger: 'catch-up' })]);
    clock.set('2026-11-25T11:43:00Z');
    expect(scheduler.tick().started).toEqual([]);
    expect(runs.map((r) => `${r.at} ${r.trigger}`)).toEqual(['2026-11-25T10:00:10.000Z schedule', '2026-11-25T11:42:00.000Z catch-up']);
  });

  it('keeps copying when the clock goes back, instead of waiting for a last start "in the future"', () => {
    const { scheduler, clock } = setup(null, 10);
    expect(scheduler.tick().started).toHaveLength(1);
    clock.set('2026-11-25T08:00:00Z');
    expect(scheduler.tick().started).toHaveLength(1);
  });

  it('flags a recovery point dated in the future as a warning with the reason, not "OK, 0 minutes old"', () => {
    const { scheduler, db, vm, clock } = setup(null, 60);
    seedPoint(db, vm, 'web01', 'unused', '2026-11-26T10:00:00Z');
    const status = scheduler.tick().rpo.find((r) => r.vmId === vm)!;
    expect(status).toMatchObject({ status: 'warning', ageSeconds: 0 });
    expect(status.problem).toContain("ahead of this machine's clock");
    expect(new AlertsStore(db).open('rpo', vm)).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('dated 2026-11-26T10:00:00'),
      fix: expect.stringContaining('clocks'),
    });
    expect(clock.now().toISOString()).toBe('2026-11-25T10:00:30.000Z');
  });

  it('watchdog: ok, then warning, then breach when runs stop, and clear after a good run', () => {
    const { scheduler, clock, events, completeRun, setBusy, db } = setup(null, 10);
    completeRun();
    setBusy(true); // runs hang from here on: no new points
    expect(scheduler.tick().rpo[0]!.status).toBe('ok');
    clock.advanceMinutes(8.5);
    expect(scheduler.tick().rpo[0]!.status).toBe('warning');
    clock.advanceMinutes(0.5);
    scheduler.tick(); // still warning: no second alert
    clock.advanceMinutes(2);
    const breach = scheduler.tick().rpo[0]!;
    expect(breach).toMatchObject({ status: 'breach', ageSeconds: 11 * 60 });
    expect(events.filter((e) => e.startsWith('alert'))).toEqual(['alert:warning', 'alert:critical']);
    const open = new AlertsStore(db).list(false);
    expect(open).toHaveLength(1);
    expect(open[0]!.message).toContain('outside its RPO of 10 min');

    completeRun();
    expect(scheduler.tick().rpo[0]!.status).toBe('ok');
    expect(new AlertsStore(db).list(false)).toHaveLength(0);
    expect(new AlertsStore(db).list(true)[0]!.clearedAt).not.toBeNull();
  });

  it('skips paused policies', () => {
    const { scheduler, policies, policy, clock } = setup(null, 10);
    policies.update(policy.id, { ...policy, enabled: false }, clock.now());
    expect(scheduler.tick().started).toHaveLength(0);
  });
});
