import { z } from 'zod';
import { method } from './define';
import type { Job, JobProgress } from './protection';

/**
 * The auditor's workbook. A period is two calendar days in the engine's local time zone, both included:
 * `--from 2026-01-01 --to 2026-03-31` is the first quarter.
 */

const calendarDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-03-31.')
  .refine((value) => isCalendarDay(value), { message: 'That day does not exist in the calendar.' });

/** The longest period one workbook covers: long enough for a multi-year audit, short enough to stay useful. */
export const MAX_REPORT_DAYS = 5 * 366;

export const reportPeriodSchema = z
  .object({ from: calendarDay, to: calendarDay })
  .refine((p) => p.from <= p.to, { message: 'The period ends before it starts.', path: ['to'] })
  .refine((p) => daysBetween(p.from, p.to) < MAX_REPORT_DAYS, { message: 'A report covers at most five years.', path: ['to'] });
export type ReportPeriod = z.output<typeof reportPeriodSchema>;

/** Windows drive (D:\), UNC share (\\nas\share) or POSIX (/srv): a relative path would move with the engine's cwd. */
const ABSOLUTE_PATH = /^(?:[a-zA-Z]:[\\/]|\\\\[^\\]+\\[^\\]+|\/)/;

const absoluteXlsx = z
  .string()
  .trim()
  .regex(ABSOLUTE_PATH, 'Use a full path, like D:\\Audit\\q1.xlsx.')
  .regex(/\.xlsx$/i, 'The file name must end in .xlsx.');

const absoluteFolder = z.string().trim().regex(ABSOLUTE_PATH, 'Use a full path, like D:\\Audit or \\\\nas\\audit.');

/** 'incomplete': too little of the period is measured to call it OK (not over yet, not begun, or mostly unprotected). */
export type OverallStatus = 'ok' | 'attention' | 'failing' | 'incomplete';

/**
 * How much of the period the figures stand on. `partial`: the period is not over when the report is written;
 * `future`: it has not begun. `rpoMeasuredSeconds` is the longest any protected VM was measured against its
 * RPO in the period — a 100% compliance over 9 minutes of a quarter says little, and the report says so.
 */
export interface ReportCoverage {
  state: 'complete' | 'partial' | 'future';
  periodDays: number;
  periodSeconds: number;
  /** The period up to the moment the figures are measured at (its end, or now). */
  elapsedSeconds: number;
  /** ISO instant the figures are measured at. */
  asOf: string;
  rpoMeasuredSeconds: number;
}

/** Below this share of the period measured, a finished period's status is 'incomplete', never 'ok'. */
export const MIN_MEASURED_SHARE = 0.9;

/** The numbers on the workbook's first sheet; the Reports page previews exactly these. */
export interface ReportSummary {
  organisation: string | null;
  from: string;
  to: string;
  generatedAt: string;
  /** IANA name of the engine's time zone: days and times in the workbook are local to it. */
  timeZone: string;
  overall: OverallStatus;
  /** Why the status is not "ok", in plain words; empty when it is. */
  reasons: string[];
  coverage: ReportCoverage;
  vms: number;
  protectedVms: number;
  unprotectedVms: number;
  /** Share of protected VM-minutes in the period spent within RPO, 0–100; null when nothing was protected. */
  rpoCompliancePercent: number | null;
  rpoBreaches: number;
  minutesInBreach: number;
  /** The oldest the newest recovery point of any VM got during the period, against that VM's RPO. */
  worstPointAge: { vm: string; seconds: number; targetSeconds: number } | null;
  drillsRun: number;
  drillsPassed: number;
  /** Ran with nothing failed, but some VM gave no positive proof that its guest came up: not passed. */
  drillsUnverified: number;
  drillsFailed: number;
  worstDrillRpo: { vm: string; plan: string; seconds: number; targetSeconds: number | null } | null;
  worstDrillRto: { plan: string; seconds: number; targetSeconds: number | null } | null;
  /** Runs listed on the Jobs sheet: the export writing this report is not one of them. */
  jobsRun: number;
  jobsFailed: number;
  /** Runs still queued or running when the report was written: neither succeeded nor failed. */
  jobsUnfinished: number;
  openActionItems: number;
  /** RPO breaches in the period with no action item raised for that VM. */
  breachesWithoutActionItem: number;
  auditEntries: number;
  auditIntact: boolean;
}

export interface ReportExport {
  jobId: string;
  file: string;
  sha256: string;
  bytes: number;
  /** The folder beside the workbook holding the drill evidence it embeds (null when there is none). */
  evidenceFolder: string | null;
  evidenceFiles: number;
  summary: ReportSummary;
}

/** Where a started export stands; `result` once it succeeded. */
export interface ReportExportStatus {
  jobId: string;
  file: string;
  status: Job['status'];
  progress: JobProgress | null;
  error: string | null;
  result: ReportExport | null;
}

export type ReportFrequency = 'monthly' | 'quarterly';

export interface ReportSchedule {
  enabled: boolean;
  frequency: ReportFrequency;
  /** Where scheduled workbooks are written; null until chosen. */
  folder: string | null;
  /** The newest period exported by the schedule. */
  last: { from: string; to: string; file: string; at: string } | null;
  /** The period the schedule exports next, and from when (local midnight after it ends); dueNow: it is being written. */
  next: { from: string; to: string; due: string; dueNow: boolean } | null;
}

/** What the catalog keeps of the schedule (settings key `reportSchedule`). */
export interface ReportScheduleSetting {
  enabled: boolean;
  frequency: ReportFrequency;
  folder: string | null;
  last: ReportSchedule['last'];
}

/** The most one readReportFile call returns: large workbooks come in pieces, each a modest HTTP response. */
export const REPORT_CHUNK_BYTES = 4 * 1024 * 1024;

const exportInput = reportPeriodSchema.and(z.object({ outFile: absoluteXlsx.optional() }));

export const reportMethods = {
  previewReport: method('The Summary numbers of a report over a period, without writing a file.', reportPeriodSchema)
    .returns<ReportSummary>()
    .reads('jobs', 'drills', 'points', 'policies', 'actionItems'),
  exportReport: method('Write the compliance workbook for a period and wait for it; its SHA-256 is recorded in the audit log.', exportInput)
    .returns<ReportExport>()
    .changes('reports'),
  startReportExport: method(
    'Start writing the compliance workbook as a job (progress on Activity); follow it with getReportExport.',
    exportInput,
  )
    .returns<ReportExportStatus>()
    .changes('reports', 'jobs'),
  getReportExport: method(
    'Where a started report export stands, and its file and SHA-256 once written.',
    z.object({ jobId: z.string().min(1) }),
  )
    .returns<ReportExportStatus>()
    .reads('reports', 'jobs'),
  openReportFolder: method('Show a written report in the file manager of the machine running the engine.', z.object({ file: absoluteXlsx }))
    .returns<{ opened: boolean; folder: string; message: string | null }>()
    .reads(),
  readReportFile: method(
    'A piece of a written report, base64: how a browser console saves the file (the engine may be on another session).',
    z.object({
      file: absoluteXlsx,
      offset: z.number().int().min(0).default(0),
      length: z.number().int().min(1).max(REPORT_CHUNK_BYTES).default(REPORT_CHUNK_BYTES),
    }),
  )
    .returns<{ data: string; offset: number; bytes: number; size: number }>()
    .reads(),
  getReportSchedule: method('The scheduled export: how often, to which folder, and what it wrote last.', z.object({}).default({}))
    .returns<ReportSchedule>()
    .reads('reports'),
  setReportSchedule: method(
    'Export a workbook automatically after each month or quarter, into a folder.',
    z
      .object({
        enabled: z.boolean(),
        frequency: z.enum(['monthly', 'quarterly']).default('monthly'),
        folder: absoluteFolder.nullable().default(null),
      })
      .refine((s) => !s.enabled || s.folder !== null, { message: 'Choose the folder scheduled reports go to.', path: ['folder'] }),
  )
    .returns<ReportSchedule>()
    .changes('reports'),
};

/** The Summary's status in words, the same on the sheet, the Reports page and the command line. */
export function overallLabel(s: Pick<ReportSummary, 'overall' | 'coverage'>): string {
  if (s.overall === 'incomplete')
    return s.coverage.state === 'future' ? 'Future period' : s.coverage.state === 'partial' ? 'Partial period' : 'Too little measured';
  return { ok: 'OK', attention: 'Needs attention', failing: 'Failing' }[s.overall];
}

/** "9 min", "5 h 20 min", "61.4 days": how long something was measured, for a reader rather than a formula. */
export function spanText(seconds: number): string {
  if (seconds < 60) return seconds <= 0 ? '0 min' : 'under 1 min';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  if (seconds < 2 * 86_400) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const days = Math.floor((seconds / 86_400) * 10) / 10;
  return `${Number.isInteger(days) ? days : days.toFixed(1)} days`;
}

/** "1 day", "92 days". */
export function daysText(days: number): string {
  return `${days} day${days === 1 ? '' : 's'}`;
}

/** How long the RPO was measured. All of the period reads as its days: a quarter with a DST change is an hour short of 90 × 24 h. */
export function measuredText(c: ReportCoverage): string {
  return c.rpoMeasuredSeconds >= c.periodSeconds ? daysText(c.periodDays) : spanText(c.rpoMeasuredSeconds);
}

/** "RPO measured over 9 min of 92 days". */
export function coverageText(c: ReportCoverage): string {
  return `RPO measured over ${measuredText(c)} of ${daysText(c.periodDays)}`;
}

/** Pure calendar helpers, shared by the engine and the Reports page. */
export function isCalendarDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** YYYY-MM-DD of a local date. */
export function localDay(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The calendar quarter containing `date` (offset 0), or the one before it (offset -1), as local days. */
export function quarterOf(date: Date, offset = 0): ReportPeriod {
  const first = new Date(date.getFullYear(), Math.floor(date.getMonth() / 3) * 3 + offset * 3, 1);
  const last = new Date(first.getFullYear(), first.getMonth() + 3, 0);
  return { from: localDay(first), to: localDay(last) };
}

/** The calendar month containing `date` (offset 0), or one before it (offset -1), as local days. */
export function monthOf(date: Date, offset = 0): ReportPeriod {
  const first = new Date(date.getFullYear(), date.getMonth() + offset, 1);
  const last = new Date(first.getFullYear(), first.getMonth() + 1, 0);
  return { from: localDay(first), to: localDay(last) };
}
