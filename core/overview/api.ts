import type { ConsoleApi } from '../contract/api';
import type { Drill } from '../contract/drills';
import type { Overview, StorageUsage, UpcomingDrill, UpcomingRun } from '../contract/overview';
import { CronSchedule } from '../schedule/cron';
import type { RoomDeps } from '../service-context';
import { DrillsStore } from '../store/drills';
import { PlansStore } from '../store/plans';
import { PoliciesStore } from '../store/policies';

/** What this module needs from the engine (see RoomDeps). */
export type OverviewDeps = RoomDeps<'clock' | 'db' | 'settings'>;

/**
 * The dashboard's second glance: what runs next, how the last drill went, and how the vault grows. Read-only,
 * computed from the catalog in a few queries so it stays fast with thousands of VMs.
 */
export function overviewApi(ctx: OverviewDeps): Pick<ConsoleApi, 'getOverview'> {
  const policies = new PoliciesStore(ctx.db);
  const plans = new PlansStore(ctx.db);
  const drills = new DrillsStore(ctx.db);

  return {
    async getOverview({ days }): Promise<Overview> {
      const now = ctx.clock.now();
      const paused = ctx.settings.get('schedulesPaused') ?? false;
      return {
        upcomingRuns: upcomingRuns(ctx, policies, now, paused),
        upcomingDrills: upcomingDrills(plans, now),
        lastDrill: lastDrill(drills),
        storage: storageUsage(ctx, now, days),
        schedulesPaused: paused,
      };
    },
  };
}

/**
 * The newest test drill as it went, never dressed up: an unverified one (it started, nothing proved the guest
 * came up) stays unverified rather than falling back to an older pass, and a drill that did not pass has no
 * recovery time, since RTO runs until every check passed.
 */
function lastDrill(drills: DrillsStore): Drill | null {
  const last = drills.list({ limit: 50 }).find((d) => d.kind === 'test'); // failovers are not drills
  if (!last) return null;
  return last.status === 'passed' || last.status === 'running' ? last : { ...last, rtoSeconds: null };
}

function upcomingRuns(ctx: OverviewDeps, policies: PoliciesStore, now: Date, paused: boolean): UpcomingRun[] {
  const lastStarts = new Map(
    (
      ctx.db
        .prepare(
          "SELECT vm_id, MAX(COALESCE(started_at, created_at)) AS last FROM jobs WHERE kind = 'replication' AND vm_id IS NOT NULL GROUP BY vm_id",
        )
        .all() as { vm_id: string; last: string }[]
    ).map((row) => [row.vm_id, Date.parse(row.last)]),
  );
  const runs = policies.list().map((policy): UpcomingRun => {
    const base = { policyId: policy.id, policy: policy.name, vmCount: policy.vmIds.length };
    const cadence = policy.schedule ?? `every ${policy.intervalMinutes} min`;
    if (paused || !policy.enabled) return { ...base, at: null, cadence };
    if (policy.schedule !== null) return { ...base, at: new CronSchedule(policy.schedule).nextAfter(now)?.toISOString() ?? null, cadence };
    // The scheduler starts a VM once its interval has passed since its last start; the soonest VM decides.
    const due = Math.min(...policy.vmIds.map((vmId) => (lastStarts.get(vmId) ?? -Infinity) + policy.intervalMinutes * 60_000));
    return { ...base, at: new Date(Math.max(now.getTime(), due)).toISOString(), cadence };
  });
  return runs.sort((a, b) => (a.at ?? '~').localeCompare(b.at ?? '~'));
}

function upcomingDrills(plans: PlansStore, now: Date): UpcomingDrill[] {
  const found: UpcomingDrill[] = [];
  for (const plan of plans.list()) {
    if (plan.schedule === null) continue;
    const at = new CronSchedule(plan.schedule).nextAfter(now);
    if (at) found.push({ planId: plan.id, plan: plan.name, at: at.toISOString(), schedule: plan.schedule });
  }
  return found.sort((a, b) => a.at.localeCompare(b.at));
}

/** Local midnight `offset` days from `now`'s day. */
function localDay(now: Date, offset: number): Date {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  day.setDate(day.getDate() + offset);
  return day;
}

function isoDay(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

function storageUsage(ctx: OverviewDeps, now: Date, days: number): StorageUsage {
  const totals = ctx.db.prepare('SELECT COUNT(*) AS points, COALESCE(SUM(stored_bytes), 0) AS stored FROM recovery_points').get() as {
    points: number;
    stored: number;
  };
  // Newest point of each VM (by id: two hosts' "web01" are two VMs) in each vault: what restoring everything would bring back.
  const protectedBytes = ctx.db
    .prepare(
      `SELECT COALESCE(SUM(rp.size_bytes), 0) FROM recovery_points rp
         JOIN (SELECT vm_id, target_id, MAX(time) AS newest FROM recovery_points GROUP BY vm_id, target_id) n
           ON n.vm_id = rp.vm_id AND n.target_id = rp.target_id AND n.newest = rp.time`,
    )
    .pluck()
    .get() as number;
  const firstDay = localDay(now, -(days - 1));
  const before = ctx.db
    .prepare('SELECT COALESCE(SUM(stored_bytes), 0) FROM recovery_points WHERE time < ?')
    .pluck()
    .get(firstDay.toISOString()) as number;
  const recent = ctx.db
    .prepare('SELECT time, stored_bytes FROM recovery_points WHERE time >= ? ORDER BY time')
    .all(firstDay.toISOString()) as { time: string; stored_bytes: number }[];
  const trend: StorageUsage['trend'] = [];
  let running = before;
  let next = 0;
  for (let offset = 0; offset < days; offset++) {
    const end = localDay(firstDay, offset + 1).getTime();
    while (next < recent.length && Date.parse(recent[next]!.time) < end) running += recent[next++]!.stored_bytes;
    trend.push({ day: isoDay(localDay(firstDay, offset)), storedBytes: running });
  }
  return { storedBytes: totals.stored, protectedBytes, points: totals.points, trend };
}
