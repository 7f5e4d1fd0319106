import { beforeAll, describe, expect, it } from 'vitest';
import { localDays, periodBounds } from '../../core/reports/period';
import { rpoComplianceByDay, totalsOf, type ComplianceInput } from '../../core/reports/rpo-compliance';

// Day boundaries are local: pin a zone with a DST change inside the tested dates (EU: 2026-03-29, 23 hours).
beforeAll(() => {
  process.env.TZ = 'Europe/Amsterdam';
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (local: string): number => new Date(local).getTime();

function run(overrides: Partial<ComplianceInput> & Pick<ComplianceInput, 'windowStart' | 'windowEnd'>) {
  const input: ComplianceInput = {
    rpoSeconds: 3600,
    protectedSince: overrides.windowStart,
    pointBefore: null,
    points: [],
    days: localDays(overrides.windowStart, overrides.windowEnd),
    ...overrides,
  };
  return rpoComplianceByDay(input);
}

describe('local days', () => {
  it('follows the calendar across a DST change', () => {
    const { start, end } = periodBounds({ from: '2026-03-28', to: '2026-03-30' });
    const days = localDays(start.getTime(), end.getTime());
    expect(days.map((d) => d.day)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(days.map((d) => (d.end - d.start) / HOUR)).toEqual([24, 23, 24]);
    expect(new Date(days[0]!.start).getHours()).toBe(0);
  });
});

describe('RPO compliance per day', () => {
  it('with no points at all, breaches one RPO after protection began and stays in breach', () => {
    const windowStart = at('2026-03-02T00:00:00');
    const days = run({ windowStart, windowEnd: at('2026-03-04T00:00:00') });
    expect(days).toHaveLength(2);
    expect(days[0]).toMatchObject({
      day: '2026-03-02',
      breaches: 1,
      breachSeconds: 23 * 3600,
      worstAgeSeconds: 24 * 3600,
      firstBreachAt: windowStart + HOUR,
    });
    // Still the same breach the next day: minutes count, no new entry.
    expect(days[1]).toMatchObject({ day: '2026-03-03', breaches: 0, breachSeconds: 24 * 3600, worstAgeSeconds: 48 * 3600 });
  });

  it('a point every RPO exactly keeps the VM compliant (the boundary is not a breach)', () => {
    const windowStart = at('2026-03-02T00:00:00');
    const points = Array.from({ length: 24 }, (_, i) => windowStart + (i + 1) * HOUR).filter((t) => t < at('2026-03-03T00:00:00'));
    const [day] = run({ windowStart, windowEnd: at('2026-03-03T00:00:00'), pointBefore: windowStart, points });
    expect(day).toMatchObject({ breaches: 0, breachSeconds: 0, worstAgeSeconds: 3600, firstBreachAt: null });
  });

  it('one second late is a breach of one second', () => {
    const windowStart = at('2026-03-02T00:00:00');
    const [day] = run({ windowStart, windowEnd: windowStart + 90 * MIN, pointBefore: windowStart, points: [windowStart + HOUR + 1000] });
    expect(day).toMatchObject({ breaches: 1, breachSeconds: 1, worstAgeSeconds: 3601 });
  });

  it('counts each entry into breach and the minutes in breach', () => {
    const windowStart = at('2026-03-02T00:00:00');
    // Gaps of 3 h (breach 2 h), 30 min (ok), 2 h (breach 1 h); then nothing until the day ends at 24:00.
    const points = [windowStart + 3 * HOUR, windowStart + 3.5 * HOUR, windowStart + 5.5 * HOUR];
    const [day] = run({ windowStart, windowEnd: at('2026-03-03T00:00:00'), pointBefore: windowStart, points });
    // Last gap 5:30 → 24:00 = 18.5 h: breach from 6:30, 17.5 h.
    expect(day!.breaches).toBe(3);
    expect(day!.breachSeconds).toBe((2 + 1 + 17.5) * 3600);
    expect(day!.worstAgeSeconds).toBe(18.5 * 3600);
    expect(day!.firstBreachAt).toBe(windowStart + HOUR);
  });

  it('starts measuring when protection began mid-period, ageing from then', () => {
    const periodStart = at('2026-03-02T00:00:00');
    const protectedSince = at('2026-03-02T12:00:00');
    const days = run({
      windowStart: protectedSince,
      windowEnd: at('2026-03-03T00:00:00'),
      protectedSince,
      points: [protectedSince + 30 * MIN],
      days: localDays(periodStart, at('2026-03-03T00:00:00')),
    });
    expect(days).toHaveLength(1);
    // Measured 12 h; the point came in time; last 11.5 h without a point → breach for 10.5 h.
    expect(days[0]).toMatchObject({ coveredSeconds: 12 * 3600, breaches: 1, breachSeconds: 10.5 * 3600, worstAgeSeconds: 11.5 * 3600 });
  });

  it('a breach already under way when the period starts counts once, on the first day', () => {
    const windowStart = at('2026-03-02T00:00:00');
    const days = run({
      windowStart,
      windowEnd: at('2026-03-03T00:00:00'),
      protectedSince: windowStart - 10 * 24 * HOUR,
      pointBefore: windowStart - 5 * HOUR,
      points: [windowStart + 2 * HOUR],
    });
    expect(days[0]).toMatchObject({
      breaches: 2,
      breachSeconds: 2 * 3600 + 21 * 3600,
      worstAgeSeconds: 22 * 3600,
      firstBreachAt: windowStart,
    });
  });

  it('splits a breach at midnight and measures a 23-hour DST day', () => {
    const windowStart = at('2026-03-28T00:00:00');
    const windowEnd = at('2026-03-30T00:00:00');
    const days = run({ windowStart, windowEnd, pointBefore: windowStart, points: [at('2026-03-28T22:00:00'), at('2026-03-29T03:00:00')] });
    expect(days.map((d) => d.coveredSeconds / 3600)).toEqual([24, 23]);
    // 28th: 00→22 in breach from 01 (21 h); 22→24 in breach from 23 (1 h).
    expect(days[0]).toMatchObject({ breaches: 2, breachSeconds: 22 * 3600, worstAgeSeconds: 22 * 3600 });
    // 29th: the breach from 23:00 goes on until the 03:00 point — local 00→03 is 2 real hours, as clocks jump
    // 02→03 — with no new entry; then 03→24 local is 21 real hours, in breach after 1 h: 20 h, one entry.
    expect(days[1]).toMatchObject({ breaches: 1, breachSeconds: (2 + 20) * 3600 });
    const totals = totalsOf(days);
    expect(totals.coveredSeconds).toBe(47 * 3600);
    expect(totals.breaches).toBe(3);
  });

  it('measures nothing when the window is empty', () => {
    const t = at('2026-03-02T00:00:00');
    expect(run({ windowStart: t, windowEnd: t })).toEqual([]);
  });
});
