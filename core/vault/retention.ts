import { LifeboatError } from '../contract/errors';

/** How many recovery points to keep per VM: the newest N, and the newest of each of the last N days, weeks… */
export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
}

export interface Dated {
  id: string;
  vm: string;
  time: string;
}

/** ISO-8601 week, e.g. "2025-W07" (weeks start on Monday; the year is the week's Thursday's). */
function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const buckets: [keyof RetentionPolicy, (date: Date) => string][] = [
  ['keepDaily', (date) => date.toISOString().slice(0, 10)],
  ['keepWeekly', isoWeek],
  ['keepMonthly', (date) => date.toISOString().slice(0, 7)],
  ['keepYearly', (date) => date.toISOString().slice(0, 4)],
];

/**
 * Decides which points to keep, per VM, like restic's `forget`: calendar buckets are UTC. A policy that
 * keeps nothing is refused: pruning every point of a VM is never what a retention setting means.
 */
export function applyRetention<T extends Dated>(points: readonly T[], policy: RetentionPolicy): { keep: T[]; forget: T[] } {
  const counts = Object.values(policy).filter((value) => value !== undefined);
  if (counts.length === 0 || counts.every((value) => value === 0)) {
    throw new LifeboatError('INVALID_INPUT', 'Say what to keep: a prune with no --keep-* option would delete every recovery point.', {
      fix: 'Pass at least --keep-last N (N ≥ 1), or --keep-daily/--keep-weekly/--keep-monthly/--keep-yearly.',
    });
  }
  const keep = new Set<T>();
  const byVm = new Map<string, T[]>();
  for (const point of points) byVm.set(point.vm, [...(byVm.get(point.vm) ?? []), point]);
  for (const group of byVm.values()) {
    const newest = [...group].sort((a, b) => b.time.localeCompare(a.time));
    newest.slice(0, policy.keepLast ?? 0).forEach((point) => keep.add(point));
    for (const [option, bucketOf] of buckets) {
      let left = policy[option] ?? 0;
      let last: string | null = null;
      for (const point of newest) {
        if (left <= 0) break;
        const bucket = bucketOf(new Date(point.time));
        if (bucket !== last) {
          keep.add(point);
          last = bucket;
          left--;
        }
      }
    }
  }
  return { keep: points.filter((point) => keep.has(point)), forget: points.filter((point) => !keep.has(point)) };
}
