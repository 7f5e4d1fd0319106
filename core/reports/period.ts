import type { ReportPeriod } from '../contract/reports';

/** A local calendar day as the instants it spans: [start, end). 23 or 25 hours long on DST changes. */
export interface LocalDay {
  day: string;
  start: number;
  end: number;
}

/** Local midnight of a YYYY-MM-DD day, in the engine's time zone. */
export function localMidnight(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d);
}

/** The instants a period covers: from local midnight of `from` to local midnight after `to`. */
export function periodBounds(period: ReportPeriod): { start: Date; end: Date } {
  const start = localMidnight(period.from);
  const last = localMidnight(period.to);
  return { start, end: new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1) };
}

/** The local calendar days that overlap [fromMs, toMs), each with its true start and end instants. */
export function localDays(fromMs: number, toMs: number): LocalDay[] {
  const days: LocalDay[] = [];
  if (toMs <= fromMs) return days;
  const first = new Date(fromMs);
  let start = new Date(first.getFullYear(), first.getMonth(), first.getDate());
  while (start.getTime() < toMs) {
    const end = new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1);
    days.push({ day: dayString(start), start: start.getTime(), end: end.getTime() });
    start = end;
  }
  return days;
}

export function dayString(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The engine's IANA time zone, written on the workbook so readers know what "local" means. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}
