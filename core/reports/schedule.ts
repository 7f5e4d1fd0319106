import { monthOf, quarterOf, type ReportPeriod, type ReportSchedule, type ReportScheduleSetting } from '../contract/reports';
import { periodBounds } from './period';

export const DEFAULT_SCHEDULE: ReportScheduleSetting = { enabled: false, frequency: 'monthly', folder: null, last: null };

/** After a failed scheduled export, wait this long before trying the same period again. */
export const RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

/** The newest complete month or quarter before `now` (local calendar). */
export function lastCompletePeriod(frequency: ReportScheduleSetting['frequency'], now: Date): ReportPeriod {
  return frequency === 'monthly' ? monthOf(now, -1) : quarterOf(now, -1);
}

/**
 * Which period the schedule must export now, if any: the newest complete period, once, unless it was already
 * exported (or a later one was). Pure and clock-driven: the heartbeat calls it with the time, tests with theirs.
 */
export function dueScheduledReport(
  setting: ReportScheduleSetting,
  now: Date,
  lastFailure: { period: ReportPeriod; at: number } | null = null,
): ReportPeriod | null {
  if (!setting.enabled || setting.folder === null) return null;
  const period = lastCompletePeriod(setting.frequency, now);
  if (setting.last && setting.last.to >= period.to) return null;
  if (lastFailure && lastFailure.period.to === period.to && now.getTime() - lastFailure.at < RETRY_AFTER_MS) return null;
  return period;
}

/** What the Reports page shows: the next period the schedule will write, and from when. */
export function nextScheduledReport(setting: ReportScheduleSetting, now: Date): ReportSchedule['next'] {
  if (!setting.enabled || setting.folder === null) return null;
  const due = dueScheduledReport(setting, now);
  if (due) return { ...due, due: now.toISOString(), dueNow: true };
  const current = setting.frequency === 'monthly' ? monthOf(now, 0) : quarterOf(now, 0);
  return { ...current, due: periodBounds(current).end.toISOString(), dueNow: false };
}

export function scheduleView(setting: ReportScheduleSetting, now: Date): ReportSchedule {
  return { ...setting, next: nextScheduledReport(setting, now) };
}
