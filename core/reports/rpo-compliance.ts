import type { LocalDay } from './period';

/**
 * RPO compliance from recovery point times alone. The age of a VM's newest point is a sawtooth: it grows by
 * one second per second and drops to zero when a point is taken. The VM is in breach while the age is
 * strictly above its RPO (as in rpoState: a point exactly at the RPO keeps it compliant). Before its first
 * point a VM ages from the moment it was protected, so it breaches one RPO after protection began — the same
 * rule the dashboard's watchdog applies ("pending", then "breach").
 */
export interface ComplianceInput {
  rpoSeconds: number;
  /** When the VM's protection began (its policy's creation). */
  protectedSince: number;
  /** The newest point at or before `windowStart`, if any. */
  pointBefore: number | null;
  /** Point times in (windowStart, windowEnd), ascending. */
  points: readonly number[];
  /** The instants measured: the period clipped to protection and to now. */
  windowStart: number;
  windowEnd: number;
  /** The local calendar days of the period; days outside the window get no row. */
  days: readonly LocalDay[];
}

export interface DayCompliance {
  day: string;
  /** How much of the day was measured (less than a day at the window's edges). */
  coveredSeconds: number;
  /** The oldest the newest point got during the day (just before a new point arrived, or at the day's end). */
  worstAgeSeconds: number;
  /** Entries into breach during the day; a breach already under way when measuring starts counts once. */
  breaches: number;
  breachSeconds: number;
  /** When the first breach of the day began. */
  firstBreachAt: number | null;
}

export interface ComplianceTotals {
  coveredSeconds: number;
  breachSeconds: number;
  breaches: number;
  worstAgeSeconds: number;
  firstBreachAt: number | null;
}

export function rpoComplianceByDay(input: ComplianceInput): DayCompliance[] {
  const rpoMs = input.rpoSeconds * 1000;
  const { windowStart, windowEnd } = input;
  const result: DayCompliance[] = [];
  if (windowEnd <= windowStart) return result;

  let reference = input.pointBefore ?? input.protectedSince;
  let next = 0;
  const points = input.points;

  for (const day of input.days) {
    const from = Math.max(day.start, windowStart);
    const to = Math.min(day.end, windowEnd);
    if (from >= to) continue;
    const row: DayCompliance = {
      day: day.day,
      coveredSeconds: (to - from) / 1000,
      worstAgeSeconds: 0,
      breaches: 0,
      breachSeconds: 0,
      firstBreachAt: null,
    };
    let worstMs = 0;
    let breachMs = 0;
    let t = from;
    while (t < to) {
      while (next < points.length && points[next]! <= t) reference = Math.max(reference, points[next++]!);
      const segmentEnd = next < points.length && points[next]! < to ? points[next]! : to;
      // Within [t, segmentEnd) the age is (instant - reference), rising towards segmentEnd - reference.
      worstMs = Math.max(worstMs, segmentEnd - reference);
      const breachFrom = reference + rpoMs;
      if (breachFrom < segmentEnd) {
        breachMs += segmentEnd - Math.max(t, breachFrom);
        const entersHere = breachFrom >= t;
        const underWayAtStart = breachFrom < t && t === windowStart;
        if (entersHere || underWayAtStart) {
          row.breaches++;
          row.firstBreachAt ??= Math.max(t, breachFrom);
        }
      }
      t = segmentEnd;
    }
    row.worstAgeSeconds = Math.round(worstMs / 1000);
    row.breachSeconds = breachMs / 1000;
    result.push(row);
  }
  return result;
}

export function totalsOf(days: readonly DayCompliance[]): ComplianceTotals {
  const totals: ComplianceTotals = { coveredSeconds: 0, breachSeconds: 0, breaches: 0, worstAgeSeconds: 0, firstBreachAt: null };
  for (const day of days) {
    totals.coveredSeconds += day.coveredSeconds;
    totals.breachSeconds += day.breachSeconds;
    totals.breaches += day.breaches;
    totals.worstAgeSeconds = Math.max(totals.worstAgeSeconds, day.worstAgeSeconds);
    totals.firstBreachAt ??= day.firstBreachAt;
  }
  return totals;
}
