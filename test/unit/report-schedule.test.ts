import { beforeAll, describe, expect, it } from 'vitest';
import { monthOf, quarterOf, reportPeriodSchema } from '../../core/contract/reports';
import { dueScheduledReport, nextScheduledReport, RETRY_AFTER_MS } from '../../core/reports/schedule';
import type { ReportScheduleSetting } from '../../core/contract/reports';

beforeAll(() => {
  process.env.TZ = 'Europe/Amsterdam';
});

const monthly: ReportScheduleSetting = { enabled: true, frequency: 'monthly', folder: '/srv/audit', last: null };
const at = (local: string): Date => new Date(local);

describe('calendar periods', () => {
  it('finds this and last quarter and month in local time, across a year boundary', () => {
    expect(quarterOf(at('2026-02-10T12:00:00'))).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(quarterOf(at('2026-02-10T12:00:00'), -1)).toEqual({ from: '2025-10-01', to: '2025-12-31' });
    expect(quarterOf(at('2026-12-31T23:59:00'))).toEqual({ from: '2026-10-01', to: '2026-12-31' });
    expect(monthOf(at('2026-03-01T00:30:00'), -1)).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(monthOf(at('2026-01-15T00:00:00'), -1)).toEqual({ from: '2025-12-01', to: '2025-12-31' });
  });

  it('validates periods, naming the field', () => {
    expect(reportPeriodSchema.safeParse({ from: '2026-01-01', to: '2026-03-31' }).success).toBe(true);
    expect(reportPeriodSchema.safeParse({ from: '2026-02-29', to: '2026-03-31' }).error?.issues[0]).toMatchObject({
      path: ['from'],
      message: 'That day does not exist in the calendar.',
    });
    expect(reportPeriodSchema.safeParse({ from: '2026-03-31', to: '2026-01-01' }).error?.issues[0]).toMatchObject({
      path: ['to'],
      message: 'The period ends before it starts.',
    });
    expect(reportPeriodSchema.safeParse({ from: '2020-01-01', to: '2026-01-01' }).error?.issues[0]?.path).toEqual(['to']);
    expect(reportPeriodSchema.safeParse({ from: '1/1/2026', to: '2026-01-01' }).error?.issues[0]?.message).toBe(
      'Use a date like 2026-03-31.',
    );
  });
});

describe('the scheduled export decision', () => {
  it('does nothing while off or without a folder', () => {
    expect(dueScheduledReport({ ...monthly, enabled: false }, at('2026-03-01T08:00:00'))).toBeNull();
    expect(dueScheduledReport({ ...monthly, folder: null }, at('2026-03-01T08:00:00'))).toBeNull();
    expect(nextScheduledReport({ ...monthly, enabled: false }, at('2026-03-01T08:00:00'))).toBeNull();
  });

  it('exports the month that just ended, once, from local midnight on', () => {
    // 23:59 on the last day of February: February has not ended yet; January is due if never written.
    expect(
      dueScheduledReport({ ...monthly, last: { from: '2026-01-01', to: '2026-01-31', file: 'x', at: '' } }, at('2026-02-28T23:59:00')),
    ).toBeNull();
    expect(
      dueScheduledReport({ ...monthly, last: { from: '2026-01-01', to: '2026-01-31', file: 'x', at: '' } }, at('2026-03-01T00:00:00')),
    ).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(
      dueScheduledReport({ ...monthly, last: { from: '2026-02-01', to: '2026-02-28', file: 'x', at: '' } }, at('2026-03-20T10:00:00')),
    ).toBeNull();
    expect(dueScheduledReport(monthly, at('2026-03-20T10:00:00'))).toEqual({ from: '2026-02-01', to: '2026-02-28' });
  });

  it('exports quarters after they end', () => {
    const quarterly: ReportScheduleSetting = {
      ...monthly,
      frequency: 'quarterly',
      last: { from: '2025-10-01', to: '2025-12-31', file: 'x', at: '' },
    };
    expect(dueScheduledReport(quarterly, at('2026-03-31T23:00:00'))).toBeNull();
    expect(dueScheduledReport(quarterly, at('2026-04-01T00:15:00'))).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(nextScheduledReport(quarterly, at('2026-03-31T23:00:00'))).toEqual({
      from: '2026-01-01',
      to: '2026-03-31',
      due: at('2026-04-01T00:00:00').toISOString(),
      dueNow: false,
    });
  });

  it('waits before retrying a period that failed', () => {
    const failedAt = at('2026-03-01T00:15:00').getTime();
    const failure = { period: { from: '2026-02-01', to: '2026-02-28' }, at: failedAt };
    expect(dueScheduledReport(monthly, new Date(failedAt + 60_000), failure)).toBeNull();
    expect(dueScheduledReport(monthly, new Date(failedAt + RETRY_AFTER_MS), failure)).toEqual(failure.period);
  });
});
