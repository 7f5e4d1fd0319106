import type { Clock } from '../clock';
import type { Policy, VmRpoStatus } from '../contract/protection';
import type { EventBus } from '../event-bus';
import type { Db } from '../store/database';
import type { AlertsStore } from '../store/alerts';
import type { JobsStore } from '../store/jobs';
import type { PoliciesStore } from '../store/policies';
import { CronSchedule } from './cron';
import { evaluateRpo, WARNING_FRACTION } from './rpo';

export type RunTrigger = 'schedule' | 'catch-up' | 'retry';

/** The first retry waits this long; each next one twice as long. */
const RETRY_FIRST_WAIT_MINUTES = 1;

export interface SchedulerDeps {
  db: Db;
  policies: PoliciesStore;
  jobs: JobsStore;
  alerts: AlertsStore;
  bus: EventBus;
  clock: Clock;
  /** Starts (queues) a replication run of one VM under a policy; ignored when one is already queued or running. */
  startRun(policy: Policy, vmId: string, trigger: RunTrigger): void;
  isBusy(vmId: string): boolean;
  /** "Pause all" from the tray: no run starts; the watchdog keeps watching. */
  paused(): boolean;
  /** Failed-over VMs whose recovered copy cannot be read: their sources are stopped, so nothing is copied. */
  failedOver(): ReadonlySet<string>;
  /** How many times in a row a failed or interrupted copy is tried again. */
  retries(): number;
}

export interface TickResult {
  started: { policyId: string; vmId: string; trigger: RunTrigger }[];
  rpo: VmRpoStatus[];
}

/**
 * Decides, once a minute, which VMs are due for a run and how every protected VM stands against its RPO.
 * The engine's heartbeat (core/service.ts) calls tick(); the launch tick (atLaunch) also catches up runs
 * missed while Lifeboat was closed. Tests call tick() after moving the clock.
 */
export class Scheduler {
  private crons = new Map<string, CronSchedule>();

  constructor(private readonly deps: SchedulerDeps) {}

  /** Policies changed: cron expressions are re-read on the next tick. */
  policiesChanged(): void {
    this.crons.clear();
  }

  tick(options: { atLaunch?: boolean } = {}): TickResult {
    const now = this.deps.clock.now();
    const rpo = evaluateRpo(this.deps.db, now);
    const started: TickResult['started'] = [];
    // Copying a stopped source would only make the RPO look kept while the real work runs elsewhere.
    const away = this.deps.failedOver();
    for (const policy of this.deps.paused() ? [] : this.deps.policies.list()) {
      if (!policy.enabled) continue;
      for (const vmId of policy.vmIds) {
        if (away.has(vmId) || this.deps.isBusy(vmId)) continue;
        const trigger = this.dueTrigger(policy, vmId, now, rpo, options.atLaunch ?? false);
        if (!trigger) continue;
        this.deps.startRun(policy, vmId, trigger);
        started.push({ policyId: policy.id, vmId, trigger });
      }
    }
    this.watch(rpo, now, away);
    return { started, rpo };
  }

  private dueTrigger(policy: Policy, vmId: string, now: Date, rpo: VmRpoStatus[], atLaunch: boolean): RunTrigger | null {
    if (this.retryDue(vmId, now)) return 'retry';
    const lastStart = this.deps.jobs.lastStartOf(vmId, 'replication');
    if (policy.schedule === null) {
      if (lastStart === null) return atLaunch ? 'catch-up' : 'schedule';
      const minutesSince = (now.getTime() - Date.parse(lastStart)) / 60_000;
      // A last start "in the future" means the clock went back: waiting for it would stop copies for that long.
      if (minutesSince >= policy.intervalMinutes || minutesSince < 0) return atLaunch ? 'catch-up' : 'schedule';
      return null;
    }
    const cron = this.cronOf(policy);
    if (cron.firesInMinuteOf(now) && !(lastStart && sameMinute(new Date(lastStart), now))) return 'schedule';
    // Closed, or asleep, across a firing (one passed with no run since): run now if waiting for the next
    // firing would push the VM past its RPO.
    const missed = lastStart !== null && cron.missedSince(new Date(lastStart), now);
    if (!atLaunch && !missed) return null;
    const status = rpo.find((r) => r.vmId === vmId && r.policyId === policy.id);
    const next = cron.nextAfter(now);
    const newest = status?.lastPointTime ? Date.parse(status.lastPointTime) : null;
    if (newest === null || next === null) return 'catch-up';
    return next.getTime() - newest > policy.rpoMinutes * 60_000 ? 'catch-up' : null;
  }

  private cronOf(policy: Policy): CronSchedule {
    let cron = this.crons.get(policy.id);
    if (!cron || cron.expression !== policy.schedule) {
      cron = new CronSchedule(policy.schedule!);
      this.crons.set(policy.id, cron);
    }
    return cron;
  }

  /**
   * A copy that failed or was interrupted (Lifeboat stopped, the host or vault dropped) is tried again after
   * 1, 2, 4… minutes, up to the configured number of times in a row; then it waits for its schedule.
   */
  private retryDue(vmId: string, now: Date): boolean {
    const retries = this.deps.retries();
    const recent = this.deps.jobs.recentOutcomes(vmId, 'replication', retries + 1);
    const failedInRow = recent.findIndex((job) => job.status !== 'failed' && job.status !== 'interrupted');
    const failures = failedInRow === -1 ? recent.length : failedInRow;
    if (failures === 0 || failures > retries) return false;
    const finishedAt = recent[0]!.finishedAt;
    if (finishedAt === null) return false;
    const waitMs = RETRY_FIRST_WAIT_MINUTES * 2 ** (failures - 1) * 60_000;
    return now.getTime() - Date.parse(finishedAt) >= waitMs;
  }

  /** The RPO watchdog: raise on warning/breach, clear when a VM is back within its RPO. */
  private watch(rpo: VmRpoStatus[], now: Date, away: ReadonlySet<string>): void {
    for (const status of rpo) {
      if (status.status === 'ok' || status.status === 'pending') {
        this.deps.alerts.clear('rpo', status.vmId, now);
        continue;
      }
      // A vault that is down has one alert of its own (the vault health check's), not one per VM behind it.
      if (status.reason === 'vault') continue;
      if (status.problem) {
        const alert = this.deps.alerts.raise(
          {
            kind: 'rpo',
            subject: status.vmId,
            severity: status.status === 'breach' ? 'critical' : 'warning',
            message: `${status.vm}: ${status.problem}`,
            fix: status.fix ?? null,
          },
          now,
        );
        if (alert)
          this.deps.bus.emit({
            type: 'alert.raised',
            alert: { id: alert.id, severity: alert.severity, message: alert.message, ...(alert.fix ? { fix: alert.fix } : {}) },
          });
        continue;
      }
      const age = status.ageSeconds === null ? 'has no recovery point yet' : `last recovery point is ${formatAge(status.ageSeconds)} old`;
      const breach = status.status === 'breach';
      const alert = this.deps.alerts.raise(
        {
          kind: 'rpo',
          subject: status.vmId,
          severity: breach ? 'critical' : 'warning',
          message: breach
            ? `${status.vm} is outside its RPO of ${status.rpoMinutes} min: its ${age}.`
            : `${status.vm} is at risk: its ${age}, over ${Math.round(WARNING_FRACTION * 100)}% of its ${status.rpoMinutes}-minute RPO.`,
          fix: away.has(status.vmId)
            ? 'It is failed over: Lifeboat cannot read its recovered copy at the recovery site (the recovery host is gone from Settings, or Hyper-V Replica copies it), so nothing new reaches the vault. Fail back (Drills) as soon as the original site is ready.'
            : 'Open Activity to see why recent copies failed or did not start; check the host and the vault are reachable, then run the policy now.',
        },
        now,
      );
      if (alert)
        this.deps.bus.emit({
          type: 'alert.raised',
          alert: { id: alert.id, severity: alert.severity, message: alert.message, ...(alert.fix ? { fix: alert.fix } : {}) },
        });
    }
  }
}

function sameMinute(a: Date, b: Date): boolean {
  return Math.floor(a.getTime() / 60_000) === Math.floor(b.getTime() / 60_000);
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
