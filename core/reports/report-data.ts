import type { AuditRow } from '../audit/log';
import type { AuditVerification } from '../contract/audit';
import type { ActionItem, Drill, DrillStep } from '../contract/drills';
import type { ReportPeriod } from '../contract/reports';
import type { RpoState } from '../contract/protection';
import { rpoState } from '../schedule/rpo';
import type { Db } from '../store/database';
import { DrillsStore } from '../store/drills';
import { localDays, periodBounds } from './period';
import { rpoComplianceByDay, totalsOf, type ComplianceTotals, type DayCompliance } from './rpo-compliance';

/** One VM of the inventory as the report sees it at the end of the period. */
export interface ReportVm {
  vmId: string;
  vm: string;
  host: string;
  hostKind: string;
  powerState: string;
  removedAt: string | null;
  policy: string | null;
  policyEnabled: boolean;
  target: string | null;
  rpoMinutes: number | null;
  protectedSince: number | null;
  /** Protected by an enabled policy for some of the period. */
  protectedInPeriod: boolean;
  lastPointTime: number | null;
  ageSeconds: number | null;
  status: RpoState | 'unprotected' | 'policy disabled' | 'removed';
  days: DayCompliance[];
  totals: ComplianceTotals;
}

/** Everything the report shows except the two long lists (jobs, audit), which are streamed page by page. */
export interface ReportData {
  period: ReportPeriod;
  start: number;
  end: number;
  /** The instant the figures are measured at: the period's end, or now for a period still running. */
  asOf: number;
  generatedAt: number;
  organisation: string | null;
  vms: ReportVm[];
  drills: Drill[];
  steps: DrillStep[];
  actionItems: ActionItem[];
  jobCounts: { total: number; failed: number; neverStarted: number; unfinished: number };
  /** The export job writing this report: left out of every job list and count (it is never finished in its own report). */
  ownJobId: string | null;
  audit: { entries: number; verification: AuditVerification };
}

interface VmRow {
  id: string;
  name: string;
  power_state: string;
  removed_at: string | null;
  host: string;
  host_kind: string;
  policy: string | null;
  enabled: number | null;
  rpo_minutes: number | null;
  since: string | null;
  target: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function loadReportData(
  db: Db,
  period: ReportPeriod,
  now: Date,
  organisation: string | null,
  verification: AuditVerification,
  ownJobId: string | null = null,
): ReportData {
  const { start: startDate, end: endDate } = periodBounds(period);
  const start = startDate.getTime();
  const end = endDate.getTime();
  const asOf = Math.max(start, Math.min(end, now.getTime()));
  const days = localDays(start, end);

  const rows = db
    .prepare(
      `SELECT v.id, v.name, v.power_state, v.removed_at, h.name AS host, h.kind AS host_kind,
              p.name AS policy, p.enabled, p.rpo_minutes, p.created_at AS since, t.name AS target
         FROM vms v
         JOIN hosts h ON h.id = v.host_id
         LEFT JOIN policy_vms pv ON pv.vm_id = v.id
         LEFT JOIN policies p ON p.id = pv.policy_id
         LEFT JOIN targets t ON t.id = p.target_id
        WHERE v.removed_at IS NULL OR v.removed_at >= ?
        ORDER BY v.name COLLATE NOCASE, h.name`,
    )
    .all(iso(start)) as VmRow[];

  const newestBefore = db.prepare('SELECT MAX(time) FROM recovery_points WHERE vm_id = ? AND time <= ?').pluck();
  const pointsIn = db.prepare('SELECT time FROM recovery_points WHERE vm_id = ? AND time > ? AND time < ? ORDER BY time').pluck();
  const parse = (value: unknown): number | null => (typeof value === 'string' ? Date.parse(value) : null);

  const vms = rows.map((row): ReportVm => {
    const removedAt = row.removed_at === null ? null : Date.parse(row.removed_at);
    const measuredUntil = removedAt === null ? asOf : Math.min(asOf, removedAt);
    const protectedSince = row.since === null ? null : Date.parse(row.since);
    const enabled = row.enabled === 1;
    const windowStart = protectedSince === null ? start : Math.max(start, protectedSince);
    const protectedInPeriod = enabled && row.rpo_minutes !== null && protectedSince !== null && windowStart < measuredUntil;
    const lastPointTime = parse(newestBefore.get(row.id, iso(measuredUntil)));
    const ageSeconds = lastPointTime === null ? null : Math.max(0, Math.round((measuredUntil - lastPointTime) / 1000));

    let dayRows: DayCompliance[] = [];
    if (protectedInPeriod) {
      dayRows = rpoComplianceByDay({
        rpoSeconds: row.rpo_minutes! * 60,
        protectedSince: protectedSince!,
        pointBefore: parse(newestBefore.get(row.id, iso(windowStart))),
        points: (pointsIn.all(row.id, iso(windowStart), iso(measuredUntil)) as string[]).map((t) => Date.parse(t)),
        windowStart,
        windowEnd: measuredUntil,
        days,
      });
    }

    let status: ReportVm['status'];
    if (removedAt !== null && removedAt <= asOf) status = 'removed';
    else if (row.policy === null) status = 'unprotected';
    else if (!enabled) status = 'policy disabled';
    else status = rpoState(ageSeconds, row.rpo_minutes!, Math.round((asOf - protectedSince!) / 1000));

    return {
      vmId: row.id,
      vm: row.name,
      host: row.host,
      hostKind: row.host_kind,
      powerState: row.power_state,
      removedAt: row.removed_at,
      policy: row.policy,
      policyEnabled: enabled,
      target: row.target,
      rpoMinutes: row.rpo_minutes,
      protectedSince,
      protectedInPeriod,
      lastPointTime,
      ageSeconds,
      status,
      days: dayRows,
      totals: totalsOf(dayRows),
    };
  });

  const drillsStore = new DrillsStore(db);
  const drills = drillsStore.list({ from: iso(start), to: iso(end), limit: 1_000_000 }).reverse();
  const steps = drillsStore.stepsInPeriod(iso(start), iso(end));
  const actionItems = drillsStore.actionItems({ from: iso(start), to: iso(end) });

  const jobCounts = db
    .prepare(
      `SELECT COUNT(*) AS total, COALESCE(SUM(status = 'failed'), 0) AS failed, COALESCE(SUM(started_at IS NULL), 0) AS neverStarted,
              COALESCE(SUM(status IN ('queued', 'running')), 0) AS unfinished
         FROM jobs WHERE ((started_at >= ? AND started_at < ?) OR (started_at IS NULL AND created_at >= ? AND created_at < ?)) AND id IS NOT ?`,
    )
    .get(iso(start), iso(end), iso(start), iso(end), ownJobId) as ReportData['jobCounts'];
  const auditEntries = db
    .prepare('SELECT COUNT(*) FROM audit_events WHERE time >= ? AND time < ?')
    .pluck()
    .get(iso(start), iso(end)) as number;

  return {
    period,
    start,
    end,
    asOf,
    generatedAt: now.getTime(),
    organisation,
    vms,
    drills,
    steps,
    actionItems,
    jobCounts,
    ownJobId,
    audit: { entries: auditEntries, verification },
  };
}

/** One run as the Jobs sheet shows it. */
export interface JobLine {
  rowid: number;
  kind: string;
  title: string;
  vm: string | null;
  status: string;
  trigger: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  bytes_read: number;
  bytes_stored: number;
  app_consistent: number | null;
  error: string | null;
}

const JOB_COLUMNS = `j.rowid AS rowid, j.kind, j.title, v.name AS vm, j.status, j.trigger, j.created_at, j.started_at, j.finished_at,
  j.bytes_read, j.bytes_stored, j.app_consistent, j.error`;

/**
 * Every run of the period in start order, a page at a time. Pages, not one open iterator: the export yields
 * to the event loop between pages, and better-sqlite3 refuses other statements on a connection while an
 * iterator is open. Runs that never started (cancelled while queued) come last.
 */
export function* jobPages(db: Db, start: number, end: number, ownJobId: string | null = null, pageSize = 5000): Generator<JobLine[]> {
  const started = db.prepare(
    `SELECT ${JOB_COLUMNS} FROM jobs j LEFT JOIN vms v ON v.id = j.vm_id
      WHERE j.started_at >= ? AND j.started_at < ? AND (j.started_at, j.rowid) > (?, ?) AND j.id IS NOT ?
      ORDER BY j.started_at, j.rowid LIMIT ?`,
  );
  // The lower bound moves with the cursor, so each page is an index range, not a rescan from the period start.
  let cursor = { time: iso(start), rowid: 0 };
  for (;;) {
    const page = started.all(cursor.time, iso(end), cursor.time, cursor.rowid, ownJobId, pageSize) as JobLine[];
    if (page.length === 0) break;
    yield page;
    const last = page[page.length - 1]!;
    cursor = { time: last.started_at!, rowid: last.rowid };
  }
  const queuedOnly = db
    .prepare(
      `SELECT ${JOB_COLUMNS} FROM jobs j LEFT JOIN vms v ON v.id = j.vm_id
        WHERE j.started_at IS NULL AND j.created_at >= ? AND j.created_at < ? AND j.id IS NOT ? ORDER BY j.created_at, j.rowid`,
    )
    .all(iso(start), iso(end), ownJobId) as JobLine[];
  if (queuedOnly.length > 0) yield queuedOnly;
}

export type AuditLine = AuditRow;

/** The audit entries of the period in chain order, a page at a time. */
export function* auditPages(db: Db, start: number, end: number, pageSize = 5000): Generator<AuditLine[]> {
  const statement = db.prepare(
    'SELECT seq, time, actor, action, subject, details, prev_hash, hash FROM audit_events WHERE time >= ? AND time < ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  let after = 0;
  for (;;) {
    const page = statement.all(iso(start), iso(end), after, pageSize) as AuditLine[];
    if (page.length === 0) break;
    yield page;
    after = page[page.length - 1]!.seq;
  }
}
