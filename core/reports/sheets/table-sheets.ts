import type { CheckEvidence, DrillCheck } from '../../contract/drills';
import type { Db } from '../../store/database';
import { evidenceKey, type StagedEvidence } from '../evidence';
import { auditDetailsText } from '../audit-text';
import type { AuditLine, JobLine, ReportData, ReportVm } from '../report-data';
import { breachedWithoutActionItem, drillRpoSeconds, protectedVms } from '../summary';
import { AMBER, capitalise, clamp, fit, localMidnightMs, overTarget, RED, spec, statusRules, toCell, type Col } from '../cells';
import type { ColumnSpec, SheetWriter, StreamingWorkbook } from '../xlsx/streaming-workbook';

/** The table sheets: their columns, conditional-format rules, and how catalog rows become sheet rows. */

export const VM_COLUMNS: Col[] = [
  { header: 'VM', kind: 'text', max: 40 },
  { header: 'Host', kind: 'text', max: 30 },
  { header: 'Host type', kind: 'text' },
  { header: 'Power state', kind: 'text' },
  { header: 'Policy', kind: 'text', max: 30 },
  { header: 'Target', kind: 'text', max: 30 },
  { header: 'RPO target', kind: 'duration' },
  { header: 'Protected since', kind: 'datetime' },
  { header: 'Last good point', kind: 'datetime' },
  { header: 'Age', kind: 'duration' },
  { header: 'Status', kind: 'text' },
  { header: 'Within RPO in period', kind: 'percent' },
];

const VM_STATUS: Record<ReportVm['status'], string> = {
  ok: 'OK',
  warning: 'At risk',
  breach: 'Breach',
  pending: 'Pending',
  unprotected: 'Unprotected',
  'policy disabled': 'Policy disabled',
  removed: 'Removed',
};

export function vmRules(sheet: SheetWriter): void {
  sheet.addRules(
    [11],
    [
      ...statusRules(['Breach', 'Unprotected', 'Policy disabled'], ['OK']),
      { type: 'cellIs', operator: 'equal', formulae: ['"At risk"'], style: AMBER },
    ],
  );
  sheet.addRules([10], overTarget('G'));
  sheet.addRules([12], [{ type: 'expression', formulae: ['AND(ISNUMBER({cell}),{cell}<1)'], style: RED }]);
}

export const COMPLIANCE_COLUMNS: Col[] = [
  { header: 'Day', kind: 'date' },
  { header: 'VM', kind: 'text', max: 40 },
  { header: 'Policy', kind: 'text', max: 30 },
  { header: 'RPO target', kind: 'duration' },
  { header: 'Worst age', kind: 'duration' },
  { header: 'Breaches', kind: 'int' },
  { header: 'Minutes in breach', kind: 'minutes' },
  { header: 'Minutes measured', kind: 'minutes' },
  { header: 'Within RPO', kind: 'percent' },
  { header: 'Status', kind: 'text' },
];

export function complianceRules(sheet: SheetWriter): void {
  sheet.addRules([10], statusRules(['Breach'], ['OK']));
  sheet.addRules([5], overTarget('D'));
  sheet.addRules([6], [{ type: 'expression', formulae: ['{cell}>0'], style: RED }]);
}

const DRILL_COLUMNS: Col[] = [
  { header: 'Drill started', kind: 'datetime' },
  { header: 'Plan', kind: 'text', max: 30 },
  { header: 'Kind', kind: 'text' },
  { header: 'VM', kind: 'text', max: 30 },
  { header: 'Recovery point time', kind: 'datetime' },
  { header: 'RPO achieved', kind: 'duration' },
  { header: 'RPO target', kind: 'duration' },
  { header: 'RTO achieved', kind: 'duration' },
  { header: 'RTO target', kind: 'duration' },
  { header: 'Checks passed', kind: 'int' },
  { header: 'Checks failed', kind: 'int' },
  { header: 'Check results', kind: 'wrap', max: 40 },
  { header: 'Isolation network', kind: 'wrap', max: 24 },
  { header: 'Cleanup confirmed', kind: 'text' },
  { header: 'Operator', kind: 'text', max: 24 },
  { header: 'Notes', kind: 'wrap', max: 32 },
  { header: 'Result', kind: 'text' },
  { header: 'Failure', kind: 'wrap', max: 28 },
  { header: 'Evidence', kind: 'link', width: 24 },
];

export interface DrillLine {
  values: unknown[];
  /** Looks the VM's evidence up among what the export staged; null when the VM has no screenshot. */
  evidenceKey: string | null;
}

/**
 * The Drills sheet. Its last column names each screenshot's page on the Evidence sheet and links to the copy
 * in the evidence folder beside the workbook: never a path on the engine machine, which an auditor cannot open.
 */
export function writeDrills(book: StreamingWorkbook, lines: DrillLine[], footer: string, evidence: StagedEvidence): void {
  const columns = fit(
    DRILL_COLUMNS,
    lines.map((l) => l.values),
  );
  const sheet = book.addSheet({ name: 'Drills', tableName: 'Drills', columns, footer, frozenColumns: 1 });
  sheet.addRules([17], statusRules(['Failed'], ['Passed'], ['Unverified']));
  sheet.addRules([14], statusRules(['No'], ['Yes']));
  sheet.addRules([6], overTarget('G'));
  sheet.addRules([8], overTarget('I'));
  sheet.addRules([11], [{ type: 'expression', formulae: ['{cell}>0'], style: RED }]);
  const evidenceCol = DRILL_COLUMNS.length - 1;
  const byKey = new Map(evidence.items.map((item) => [evidenceKey(item.drill.id, item.vm), item]));
  for (const line of lines) {
    const values = line.values.map((v, i) => toCell(DRILL_COLUMNS[i]!.kind, v));
    const item = line.evidenceKey ? byKey.get(line.evidenceKey) : undefined;
    // The page shows the file's path; LibreOffice prints a hyperlink's text on one line, so this one is short.
    if (item) values[evidenceCol] = { text: `${item.label} on sheet Evidence`, hyperlink: encodeURI(item.relPath) };
    else if (line.evidenceKey && evidence.missing.has(line.evidenceKey))
      values[evidenceCol] = 'Missing: the screenshot was no longer on the engine when this report was written.';
    else values[evidenceCol] = 'None captured';
    sheet.addRow(values);
  }
  sheet.finish();
}

export const STEP_COLUMNS: Col[] = [
  { header: 'Drill started', kind: 'datetime' },
  { header: 'Plan', kind: 'text', max: 30 },
  { header: 'Step', kind: 'int' },
  { header: 'VM', kind: 'text', max: 30 },
  { header: 'What', kind: 'wrap', max: 40 },
  { header: 'Started', kind: 'datetime' },
  { header: 'Finished', kind: 'datetime' },
  { header: 'Duration', kind: 'duration' },
  { header: 'Result', kind: 'text' },
  { header: 'Detail', kind: 'wrap', max: 60 },
];

export const JOB_COLUMNS: Col[] = [
  { header: 'Started', kind: 'datetime', width: 20 },
  { header: 'Finished', kind: 'datetime', width: 20 },
  { header: 'Duration', kind: 'duration', width: 11 },
  { header: 'Kind', kind: 'text', width: 13 },
  { header: 'VM', kind: 'text' },
  { header: 'Title', kind: 'text' },
  { header: 'Trigger', kind: 'text', width: 11 },
  { header: 'Bytes read', kind: 'bytes', width: 17 },
  { header: 'Bytes stored', kind: 'bytes', width: 17 },
  { header: 'Result', kind: 'text', width: 13 },
  { header: 'App-consistent', kind: 'text', width: 11 },
  { header: 'Error', kind: 'wrap', width: 60 },
];

/** The Jobs sheet is streamed, so its text columns are sized from the catalog's longest values up front. */
export function jobColumns(db: Db): ColumnSpec[] {
  const longest = db.prepare('SELECT COALESCE(MAX(LENGTH(name)), 0) FROM vms').pluck().get() as number;
  const longestKind = db.prepare('SELECT COALESCE(MAX(LENGTH(kind)), 0) FROM (SELECT DISTINCT kind FROM jobs)').pluck().get() as number;
  return JOB_COLUMNS.map((c) => {
    if (c.header === 'VM') return spec(c, clamp(longest + 2, 8, 40));
    if (c.header === 'Title') return spec(c, clamp(longest + 24, 20, 50));
    if (c.header === 'Kind') return spec(c, clamp(longestKind + 2, 8, 24));
    return spec(c, c.width!);
  });
}

export function jobRow(job: JobLine): unknown[] {
  const unfinished = job.status === 'queued' || job.status === 'running';
  const started = job.started_at === null ? null : Date.parse(job.started_at);
  const finished = job.finished_at === null ? null : Date.parse(job.finished_at);
  return [
    started,
    finished,
    started !== null && finished !== null ? (finished - started) / 1000 : null,
    job.kind,
    job.vm ?? '',
    job.title,
    job.trigger,
    job.bytes_read,
    job.bytes_stored,
    unfinished ? 'Unfinished' : capitalise(job.status),
    job.app_consistent === null ? '' : job.app_consistent === 1 ? 'Yes' : 'No',
    // Its outcome is not known yet: say so rather than leave a run that may still fail looking like a success.
    unfinished ? `Still ${job.status} when this report was written; its result is in a later report.` : (job.error ?? ''),
  ];
}

export const ACTION_COLUMNS: Col[] = [
  { header: 'Raised', kind: 'datetime' },
  { header: 'Source', kind: 'text' },
  { header: 'Subject', kind: 'text', max: 30 },
  { header: 'Description', kind: 'wrap', max: 60 },
  { header: 'Owner', kind: 'text', max: 24 },
  { header: 'Status', kind: 'text' },
  { header: 'Closed', kind: 'datetime' },
  { header: 'Drill', kind: 'text', max: 40 },
];

export const AUDIT_COLUMNS: Col[] = [
  { header: 'Seq', kind: 'int', width: 8 },
  { header: 'Time', kind: 'datetime', width: 20 },
  { header: 'Actor', kind: 'text', width: 16 },
  { header: 'Action', kind: 'text', width: 22 },
  { header: 'Subject', kind: 'wrap', width: 24 },
  { header: 'Details', kind: 'wrap', width: 48 },
  { header: 'Details (JSON, as hashed)', kind: 'hash', width: 40 },
  { header: 'Previous hash', kind: 'hash', width: 36 },
  { header: 'Hash', kind: 'hash', width: 36 },
];

export function auditRow(entry: AuditLine): unknown[] {
  return [
    entry.seq,
    Date.parse(entry.time),
    entry.actor,
    entry.action,
    entry.subject ?? '',
    auditDetailsText(entry.details),
    entry.details,
    entry.prev_hash,
    entry.hash,
  ];
}

/** The rows of every sheet small enough to hold in memory, as raw values (times in ms, durations in seconds). */
export function smallSheetRows(data: ReportData): {
  vms: unknown[][];
  compliance: unknown[][];
  drills: DrillLine[];
  steps: unknown[][];
  actions: unknown[][];
} {
  const vms = data.vms.map((vm) => [
    vm.vm,
    vm.host,
    HOST_KIND[vm.hostKind] ?? vm.hostKind,
    vm.powerState,
    vm.policy ?? '',
    vm.target ?? '',
    vm.rpoMinutes === null ? null : vm.rpoMinutes * 60,
    vm.protectedSince,
    vm.lastPointTime,
    vm.ageSeconds,
    VM_STATUS[vm.status],
    vm.protectedInPeriod && vm.totals.coveredSeconds > 0
      ? (vm.totals.coveredSeconds - vm.totals.breachSeconds) / vm.totals.coveredSeconds
      : null,
  ]);

  const compliance: unknown[][] = [];
  const covered = protectedVms(data);
  const byDay = covered.flatMap((vm) => vm.days.map((day) => ({ vm, day })));
  byDay.sort((a, b) => (a.day.day < b.day.day ? -1 : a.day.day > b.day.day ? 1 : a.vm.vm.localeCompare(b.vm.vm)));
  for (const { vm, day } of byDay) {
    compliance.push([
      localMidnightMs(day.day),
      vm.vm,
      vm.policy,
      vm.rpoMinutes! * 60,
      day.worstAgeSeconds,
      day.breaches,
      day.breachSeconds / 60,
      day.coveredSeconds / 60,
      day.coveredSeconds > 0 ? (day.coveredSeconds - day.breachSeconds) / day.coveredSeconds : null,
      day.breachSeconds > 0 ? 'Breach' : 'OK',
    ]);
  }

  const drills: DrillLine[] = [];
  const planOf = new Map(data.drills.map((d) => [d.id, d]));
  for (const drill of data.drills) {
    const vms = drill.vms.length > 0 ? drill.vms : [null];
    for (const vm of vms) {
      const checks = vm?.checks ?? [];
      drills.push({
        evidenceKey: vm?.screenshot ? evidenceKey(drill.id, vm) : null,
        values: [
          Date.parse(drill.startedAt),
          drill.plan,
          capitalise(drill.kind),
          vm?.vm ?? '',
          vm ? Date.parse(vm.recoveryPointTime) : null,
          vm ? drillRpoSeconds(drill.startedAt, vm.recoveryPointTime) : null,
          drill.rpoTargetSeconds,
          vm ? vm.recoveredSeconds : drill.rtoSeconds,
          drill.rtoTargetSeconds,
          checks.filter((c) => c.status === 'passed').length,
          checks.filter((c) => c.status === 'failed').length,
          checks.map(checkLine).join('\n'),
          drill.isolation,
          drill.cleanupConfirmed ? 'Yes' : 'No',
          drill.operator,
          drill.notes ?? '',
          capitalise(vm ? vm.status : drill.status),
          vm?.failure ?? (vm?.unverified ? `Unverified: ${vm.unverified.reason} What to do: ${vm.unverified.fix}` : ''),
          null,
        ],
      });
    }
  }

  const steps = data.steps.map((s) => {
    const drill = planOf.get(s.drillId);
    const started = Date.parse(s.startedAt);
    const finished = s.finishedAt === null ? null : Date.parse(s.finishedAt);
    return [
      drill ? Date.parse(drill.startedAt) : null,
      drill?.plan ?? '',
      s.seq,
      s.vm ?? '',
      s.name,
      started,
      finished,
      finished === null ? null : (finished - started) / 1000,
      capitalise(s.status),
      s.detail ?? '',
    ];
  });

  const actions: unknown[][] = data.actionItems.map((item) => {
    const drill = item.drillId ? planOf.get(item.drillId) : undefined;
    return [
      Date.parse(item.createdAt),
      SOURCE[item.source],
      item.subject,
      item.description,
      item.owner ?? '',
      capitalise(item.status),
      item.closedAt === null ? null : Date.parse(item.closedAt),
      drill ? `${drill.plan}, ${drill.startedAt.slice(0, 10)}` : '',
    ];
  });
  for (const vm of breachedWithoutActionItem(data)) {
    actions.push([
      vm.totals.firstBreachAt,
      SOURCE.rpo,
      vm.vm,
      `${vm.totals.breaches} RPO breach${vm.totals.breaches === 1 ? '' : 'es'} in the period, ${Math.round(vm.totals.breachSeconds / 60)} minutes beyond the ${vm.rpoMinutes}-minute RPO. No action item was raised: assign an owner to find the cause.`,
      '',
      'Not raised',
      null,
      '',
    ]);
  }
  return { vms, compliance, drills, steps, actions };
}

const HOST_KIND: Record<string, string> = { hyperv: 'Hyper-V', vsphere: 'vSphere', workstation: 'Workstation' };
const SOURCE = { drill: 'Drill', rpo: 'RPO breach', job: 'Failed run' } as const;

const CHECK_MARK: Record<DrillCheck['status'], string> = { passed: '✓', failed: '✗', unverified: '?', skipped: '–' };

/** One check for the auditor: its outcome, what was seen, and the guest's own words behind it. */
function checkLine(check: DrillCheck): string {
  const evidence = (check.evidence ?? [])
    .map((e) => `\n    ${EVIDENCE_LABEL[e.kind]}: ${e.text.split('\n').slice(-3).join(' | ').slice(0, 300)}`)
    .join('');
  return `${CHECK_MARK[check.status]} ${check.name}${check.status === 'unverified' ? ' (unverified)' : check.status === 'skipped' ? ' (skipped)' : ''}: ${check.detail}${evidence}`;
}

const EVIDENCE_LABEL: Record<CheckEvidence['kind'], string> = {
  'serial-line': 'serial console',
  'tcp-answer': 'answer',
  'screen-text': 'screen',
  'script-output': 'output',
  heartbeat: 'heartbeat',
};
