import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import type ExcelJS from 'exceljs';
import type { ReportSummary } from '../contract/reports';
import type { Db } from '../store/database';
import { VERSION } from '../version';
import { auditPages, jobPages, type AuditLine, type JobLine, type ReportData, type ReportVm } from './report-data';
import { breachedWithoutActionItem, drillRpoSeconds, protectedVms } from './summary';
import { StreamingWorkbook, type ColumnSpec, type Rule, type SheetWriter } from './xlsx/streaming-workbook';
import { pngSize } from './png';

/** The sheets, in workbook order; tests and the docs refer to these names. */
export const SHEETS = ['Summary', 'Protected VMs', 'RPO compliance', 'Drills', 'Drill steps', 'Jobs', 'Action items', 'Audit log'] as const;

export interface WriteProgress {
  (phase: string, rowsDone: number, rowsTotal: number): void;
}

export interface WriteOptions {
  db: Db;
  data: ReportData;
  summary: ReportSummary;
  file: string;
  operator: string;
  signal?: AbortSignal;
  progress?: WriteProgress;
}

type Kind = 'text' | 'wrap' | 'datetime' | 'date' | 'duration' | 'int' | 'minutes' | 'percent' | 'bytes' | 'link' | 'hash';

interface Col {
  header: string;
  kind: Kind;
  /** Widest the column may get (characters); long text wraps instead. */
  max?: number;
  /** A fixed width, for columns of the streamed sheets whose values are not known in advance. */
  width?: number;
}

const RED = { font: { color: { argb: 'FF9C0006' } }, fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: 'FFFFC7CE' } } } as const;
const GREEN = { font: { color: { argb: 'FF006100' } }, fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: 'FFC6EFCE' } } } as const;
const AMBER = { font: { color: { argb: 'FF9C5700' } }, fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: 'FFFFEB9C' } } } as const;

const top = { vertical: 'top' } as const;
const STYLES: Record<Kind, Partial<ExcelJS.Style>> = {
  text: { alignment: top },
  wrap: { alignment: { ...top, wrapText: true } },
  hash: { alignment: { ...top, wrapText: true }, font: { name: 'Consolas', size: 9 } },
  // The screenshot's path sits under its picture, at the bottom of the cell.
  link: { alignment: { vertical: 'bottom', wrapText: true }, font: { color: { argb: 'FF0563C1' }, underline: true, size: 9 } },
  datetime: { numFmt: 'yyyy-mm-dd hh:mm:ss', alignment: top },
  date: { numFmt: 'yyyy-mm-dd', alignment: top },
  duration: { numFmt: '[h]:mm:ss', alignment: top },
  int: { numFmt: '#,##0', alignment: top },
  minutes: { numFmt: '#,##0.0', alignment: top },
  percent: { numFmt: '0.00%', alignment: top },
  bytes: { numFmt: '#,##0', alignment: top },
};

/** Writes the workbook; the caller owns the file name and what happens to it afterwards. */
export async function writeWorkbook(options: WriteOptions): Promise<void> {
  const { data, summary, db } = options;
  const org = data.organisation ?? 'Organisation not set';
  const footer = `${org} — DR compliance report ${data.period.from} to ${data.period.to}`;
  const book = new StreamingWorkbook(options.file, {
    title: `Disaster-recovery compliance report ${data.period.from} to ${data.period.to}`,
    subject: `Backups, RPO, DR drills and audit log of ${org}`,
    creator: `Lifeboat ${VERSION}`,
    company: org,
    keywords: 'disaster recovery; RPO; RTO; DR drill; audit; Lifeboat',
    description: `Generated ${summary.generatedAt} for ${org}. Times are local (${summary.timeZone}).`,
    category: 'Compliance report',
    created: new Date(data.generatedAt),
  });

  const small = smallSheetRows(data);
  const total = 1 + small.vms.length + small.compliance.length + small.drills.length + small.steps.length + data.jobCounts.total + small.actions.length + data.audit.entries;
  let done = 0;
  const step = (phase: string, rows = 1): void => {
    done += rows;
    options.progress?.(phase, Math.min(done, total), total);
  };
  const checkCancelled = (): void => options.signal?.throwIfAborted();

  writeSummary(book, summary, options.operator, footer);
  step('Summary');

  for (const [name, table, cols, rows, configure] of [
    ['Protected VMs', 'ProtectedVMs', VM_COLUMNS, small.vms, vmRules],
    ['RPO compliance', 'RpoCompliance', COMPLIANCE_COLUMNS, small.compliance, complianceRules],
  ] as const) {
    checkCancelled();
    const sheet = book.addSheet({ name, tableName: table, columns: fit(cols, rows), footer, frozenColumns: 1 });
    configure(sheet);
    for (const row of rows) sheet.addRow(row.map((v, i) => toCell(cols[i]!.kind, v)));
    sheet.finish();
    step(name, rows.length);
    await sheet.drain();
  }

  checkCancelled();
  writeDrills(book, small.drills, footer);
  step('Drills', small.drills.length);

  const steps = book.addSheet({ name: 'Drill steps', tableName: 'DrillSteps', columns: fit(STEP_COLUMNS, small.steps), footer });
  steps.addRules([9], statusRules(['Failed'], ['Passed']));
  for (const row of small.steps) steps.addRow(row.map((v, i) => toCell(STEP_COLUMNS[i]!.kind, v)));
  steps.finish();
  step('Drill steps', small.steps.length);

  const jobs = book.addSheet({ name: 'Jobs', tableName: 'Jobs', columns: jobColumns(db), footer });
  jobs.addRules([10], statusRules(['Failed', 'Interrupted'], ['Succeeded']));
  jobs.addRules([11], statusRules(['No'], []));
  for (const page of jobPages(db, data.start, data.end)) {
    checkCancelled();
    for (const job of page) jobs.addRow(jobRow(job).map((v, i) => toCell(JOB_COLUMNS[i]!.kind, v)));
    step('Jobs', page.length);
    await jobs.drain();
  }
  jobs.finish();
  await jobs.drain();

  const actions = book.addSheet({ name: 'Action items', tableName: 'ActionItems', columns: fit(ACTION_COLUMNS, small.actions), footer });
  actions.addRules([6], statusRules(['Open', 'Not raised'], ['Done']));
  for (const row of small.actions) actions.addRow(row.map((v, i) => toCell(ACTION_COLUMNS[i]!.kind, v)));
  actions.finish();
  step('Action items', small.actions.length);

  const verification = data.audit.verification;
  const audit = book.addSheet({
    name: 'Audit log',
    tableName: 'AuditLog',
    columns: AUDIT_COLUMNS.map((c) => spec(c, c.width!)),
    footer,
    preface: [
      {
        values: [
          verification.ok
            ? `Hash chain verified: intact. ${verification.checked} entries checked from the first; newest entry's hash ${verification.headHash}.`
            : `Hash chain verification FAILED: ${verification.problem} (${verification.checked} entries checked before the fault).`,
        ],
        style: verification.ok ? { font: { bold: true, color: { argb: 'FF006100' } } } : { font: { bold: true, color: { argb: 'FF9C0006' } } },
      },
      {
        values: ["Each entry's hash covers its fields and the previous entry's hash. This workbook's own SHA-256 is recorded afterwards, as a report.exported entry."],
        style: { font: { italic: true, color: { argb: 'FF595959' } } },
      },
    ],
  });
  for (const page of auditPages(db, data.start, data.end)) {
    checkCancelled();
    for (const entry of page) audit.addRow(auditRow(entry).map((v, i) => toCell(AUDIT_COLUMNS[i]!.kind, v)));
    step('Audit log', page.length);
    await audit.drain();
  }
  audit.finish();

  options.progress?.('Compressing', total, total);
  await book.commit();
}

// ---------------------------------------------------------------------------------------------------------
// Summary

function writeSummary(book: StreamingWorkbook, s: ReportSummary, operator: string, footer: string): void {
  const sheet = book.addPlainSheet({ name: 'Summary', widths: [36, 24, 16, 70], footer, tabColor: 'FF1F4E79' });
  const label = { font: { bold: true }, alignment: top } as const;
  const note = { font: { color: { argb: 'FF595959' } }, alignment: { ...top, wrapText: true } } as const;
  const section = { font: { bold: true, size: 13, color: { argb: 'FF1F4E79' } }, border: { bottom: { style: 'thin', color: { argb: 'FF1F4E79' } } } } as const;
  const value = { alignment: { ...top, horizontal: 'left' } } as const;
  const fmt = (kind: Kind): Partial<ExcelJS.Style> => ({ ...STYLES[kind], alignment: { ...top, horizontal: 'left' } });

  sheet.addRow(['Disaster-recovery compliance report'], [{ font: { bold: true, size: 18, color: { argb: 'FF1F4E79' } } }], 28);
  sheet.addRow([s.organisation ?? 'Organisation not set'], [{ font: { bold: true, size: 13 } }], 20);
  sheet.addRow([]);

  sheet.addRow(['Report', '', '', ''], section);
  sheet.addRow(['Organisation', s.organisation ?? ''], [label, value]);
  sheet.addRow(['Period from', toCell('date', localMidnightMs(s.from)), '', 'First day of the period, included.'], [label, fmt('date'), undefined, note]);
  sheet.addRow(['Period to', toCell('date', localMidnightMs(s.to)), '', 'Last day of the period, included.'], [label, fmt('date'), undefined, note]);
  sheet.addRow(['Generated at', toCell('datetime', Date.parse(s.generatedAt))], [label, fmt('datetime')]);
  sheet.addRow(['Time zone', s.timeZone, '', 'Every date and time in this workbook is local time in this zone.'], [label, value, undefined, note]);
  sheet.addRow(['Generated by', operator, '', `Lifeboat ${VERSION}`], [label, value, undefined, note]);
  const statusRow = sheet.addRow(['Overall status', STATUS_LABEL[s.overall], '', s.reasons.length ? s.reasons.join(' ') : 'Every VM protected and within its RPO, drills passed, nothing open, audit log intact.'], [label, { font: { bold: true }, alignment: top }, undefined, note]);
  sheet.addRules(`B${statusRow}`, [
    { type: 'cellIs', operator: 'equal', formulae: [`"${STATUS_LABEL.ok}"`], style: GREEN },
    { type: 'cellIs', operator: 'equal', formulae: [`"${STATUS_LABEL.attention}"`], style: AMBER },
    { type: 'cellIs', operator: 'equal', formulae: [`"${STATUS_LABEL.failing}"`], style: RED },
  ]);
  sheet.addRow([]);

  sheet.addRow(['Measure', 'Value', 'Target', 'How it is measured'], section);
  const measure = (name: string, v: unknown, kind: Kind, target: unknown, targetKind: Kind, explain: string, rule?: 'above-target' | 'below-target' | 'nonzero'): void => {
    const row = sheet.addRow([name, v, target, explain], [label, fmt(kind), fmt(targetKind), note]);
    if (rule === 'nonzero') sheet.addRules(`B${row}`, [{ type: 'expression', formulae: [`B${row}>0`], style: RED }, { type: 'expression', formulae: [`B${row}=0`], style: GREEN }]);
    if (rule === 'above-target' && target !== null && target !== '') sheet.addRules(`B${row}`, [{ type: 'expression', formulae: [`B${row}>C${row}`], style: RED }, { type: 'expression', formulae: [`B${row}<=C${row}`], style: GREEN }]);
    if (rule === 'below-target' && v !== null) sheet.addRules(`B${row}`, [{ type: 'expression', formulae: [`B${row}<C${row}`], style: RED }, { type: 'expression', formulae: [`B${row}>=C${row}`], style: GREEN }]);
  };
  measure('VMs', s.vms, 'int', '', 'text', 'Virtual machines in the inventory at the end of the period.');
  measure('Protected VMs', s.protectedVms, 'int', '', 'text', 'VMs in an enabled protection policy during the period (sheet Protected VMs).');
  measure('Unprotected VMs', s.unprotectedVms, 'int', 0, 'int', 'VMs no enabled policy copies.', 'nonzero');
  measure(
    'RPO compliance',
    s.rpoCompliancePercent === null ? null : s.rpoCompliancePercent / 100,
    'percent',
    1,
    'percent',
    "Share of protected VM-minutes in the period during which the VM's newest recovery point was no older than its RPO. Computed from recovery point times; a VM ages from the moment it was protected until its first point (sheet RPO compliance).",
    'below-target',
  );
  measure('RPO breaches', s.rpoBreaches, 'int', 0, 'int', 'Times a VM went beyond its RPO (each entry into breach counts once).', 'nonzero');
  measure('Minutes in breach', s.minutesInBreach, 'int', 0, 'int', 'Total, over all protected VMs.', 'nonzero');
  measure(
    'Worst recovery point age',
    s.worstPointAge ? toCell('duration', s.worstPointAge.seconds) : null,
    'duration',
    s.worstPointAge ? toCell('duration', s.worstPointAge.targetSeconds) : '',
    'duration',
    s.worstPointAge ? `The oldest any VM's newest point got, against that VM's RPO: ${s.worstPointAge.vm}.` : 'No VM was protected.',
    'above-target',
  );
  measure('Drills run', s.drillsRun, 'int', '', 'text', 'Test failovers and failovers started in the period and finished (sheet Drills).');
  measure('Drills passed', s.drillsPassed, 'int', '', 'text', 'Every VM recovered and every check passed.');
  measure('Drills failed', s.drillsFailed, 'int', 0, 'int', 'See the failure reason per VM on sheet Drills.', 'nonzero');
  measure(
    'Worst RPO achieved in a drill',
    s.worstDrillRpo ? toCell('duration', s.worstDrillRpo.seconds) : null,
    'duration',
    s.worstDrillRpo?.targetSeconds != null ? toCell('duration', s.worstDrillRpo.targetSeconds) : '',
    'duration',
    s.worstDrillRpo ? `Drill start minus the time of the recovery point used: ${s.worstDrillRpo.vm}, plan ${s.worstDrillRpo.plan}.` : 'No drill ran.',
    'above-target',
  );
  measure(
    'Worst RTO achieved in a drill',
    s.worstDrillRto ? toCell('duration', s.worstDrillRto.seconds) : null,
    'duration',
    s.worstDrillRto?.targetSeconds != null ? toCell('duration', s.worstDrillRto.targetSeconds) : '',
    'duration',
    s.worstDrillRto ? `Drill start until every VM's checks passed: plan ${s.worstDrillRto.plan}.` : 'No drill ran.',
    'above-target',
  );
  measure('Runs', s.jobsRun, 'int', '', 'text', 'Replication runs and other jobs started in the period (sheet Jobs).');
  measure('Failed runs', s.jobsFailed, 'int', '', 'text', 'A failed run is a breach only if no later run succeeded within the RPO.');
  measure('Open action items', s.openActionItems, 'int', 0, 'int', 'Follow-ups from failed checks and breaches still open (sheet Action items).', 'nonzero');
  measure('Breached VMs without an action item', s.breachesWithoutActionItem, 'int', 0, 'int', 'Listed on sheet Action items as "Not raised".', 'nonzero');
  measure('Audit entries in the period', s.auditEntries, 'int', '', 'text', 'Sheet Audit log.');
  const auditRow = sheet.addRow(
    ['Audit log hash chain', s.auditIntact ? 'Intact' : 'Broken', '', 'Every entry hashes its fields and the previous hash; any edited or deleted entry breaks the chain.'],
    [label, { font: { bold: true }, alignment: top }, undefined, note],
  );
  sheet.addRules(`B${auditRow}`, [
    { type: 'cellIs', operator: 'equal', formulae: ['"Intact"'], style: GREEN },
    { type: 'cellIs', operator: 'equal', formulae: ['"Broken"'], style: RED },
  ]);
  sheet.addRow([]);

  sheet.addRow(['Sign-off', '', '', ''], section);
  sheet.addRow(['I have reviewed this report; it is a true record of the disaster-recovery protection and tests for the period.'], [{ font: { italic: true }, alignment: top }]);
  const line = { border: { bottom: { style: 'thin', color: { argb: 'FF000000' } } } } as const;
  for (const [name, height] of [['Name', 24], ['Role', 24], ['Date', 24], ['Signature', 48]] as const) {
    sheet.addRow([name, '', '', ''], [{ ...label, alignment: { vertical: 'bottom' } }, line, line, line], height);
  }
  sheet.finish();
}

const STATUS_LABEL: Record<ReportSummary['overall'], string> = { ok: 'OK', attention: 'Needs attention', failing: 'Failing' };

// ---------------------------------------------------------------------------------------------------------
// Table sheets: columns, rows, rules

const VM_COLUMNS: Col[] = [
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

function vmRules(sheet: SheetWriter): void {
  sheet.addRules([11], [...statusRules(['Breach', 'Unprotected', 'Policy disabled'], ['OK']), { type: 'cellIs', operator: 'equal', formulae: ['"At risk"'], style: AMBER }]);
  sheet.addRules([10], overTarget('G'));
  sheet.addRules([12], [{ type: 'expression', formulae: ['AND(ISNUMBER({cell}),{cell}<1)'], style: RED }]);
}

const COMPLIANCE_COLUMNS: Col[] = [
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

function complianceRules(sheet: SheetWriter): void {
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
  { header: 'Screenshot', kind: 'link', width: 38 },
];

/** Thumbnails are this wide; the Screenshot column fits them with a margin. */
const THUMB_WIDTH_PX = 256;
const THUMB_MAX_HEIGHT_PX = 192;

interface DrillLine {
  values: unknown[];
  screenshot: string | null;
}

function writeDrills(book: StreamingWorkbook, lines: DrillLine[], footer: string): void {
  const columns = fit(DRILL_COLUMNS, lines.map((l) => l.values));
  const sheet = book.addSheet({ name: 'Drills', tableName: 'Drills', columns, footer, frozenColumns: 1 });
  sheet.addRules([17], statusRules(['Failed'], ['Passed']));
  sheet.addRules([14], statusRules(['No'], ['Yes']));
  sheet.addRules([6], overTarget('G'));
  sheet.addRules([8], overTarget('I'));
  sheet.addRules([11], [{ type: 'expression', formulae: ['{cell}>0'], style: RED }]);
  const screenshotCol = DRILL_COLUMNS.length - 1;
  for (const line of lines) {
    const values = line.values.map((v, i) => toCell(DRILL_COLUMNS[i]!.kind, v));
    const size = line.screenshot ? readablePng(line.screenshot) : null;
    if (line.screenshot && size) {
      const height = Math.min(THUMB_MAX_HEIGHT_PX, Math.round((THUMB_WIDTH_PX * size.height) / size.width));
      const width = Math.round((height * size.width) / size.height);
      // The file path sits at the bottom of the cell, below the picture, and links to the full-size evidence.
      values[screenshotCol] = { text: line.screenshot, hyperlink: pathToFileURL(line.screenshot).href };
      const excelRow = sheet.nextRow;
      sheet.addRow(values, { height: Math.round((height + 8) * 0.75) + 30 });
      sheet.addPicture({ imageId: book.addPng(line.screenshot), col: screenshotCol, excelRow, widthPx: width, heightPx: height, name: `Console screenshot of ${String(line.values[3])}` });
    } else if (line.screenshot && fs.existsSync(line.screenshot)) {
      // Only PNGs are embedded; anything else is linked so the evidence is still one click away.
      values[screenshotCol] = { text: line.screenshot, hyperlink: pathToFileURL(line.screenshot).href };
      sheet.addRow(values);
    } else {
      values[screenshotCol] = line.screenshot ? `Missing: ${line.screenshot}` : 'None captured';
      sheet.addRow(values);
    }
  }
  sheet.finish();
}

function readablePng(file: string): { width: number; height: number } | null {
  try {
    return pngSize(fs.readFileSync(file, { flag: 'r' }).subarray(0, 32));
  } catch {
    return null;
  }
}

const STEP_COLUMNS: Col[] = [
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

const JOB_COLUMNS: Col[] = [
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
function jobColumns(db: Db): ColumnSpec[] {
  const longest = db.prepare('SELECT COALESCE(MAX(LENGTH(name)), 0) FROM vms').pluck().get() as number;
  const longestKind = db.prepare('SELECT COALESCE(MAX(LENGTH(kind)), 0) FROM (SELECT DISTINCT kind FROM jobs)').pluck().get() as number;
  return JOB_COLUMNS.map((c) => {
    if (c.header === 'VM') return spec(c, clamp(longest + 2, 8, 40));
    if (c.header === 'Title') return spec(c, clamp(longest + 24, 20, 50));
    if (c.header === 'Kind') return spec(c, clamp(longestKind + 2, 8, 24));
    return spec(c, c.width!);
  });
}

function jobRow(job: JobLine): unknown[] {
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
    capitalise(job.status),
    job.app_consistent === null ? '' : job.app_consistent === 1 ? 'Yes' : 'No',
    job.error ?? '',
  ];
}

const ACTION_COLUMNS: Col[] = [
  { header: 'Raised', kind: 'datetime' },
  { header: 'Source', kind: 'text' },
  { header: 'Subject', kind: 'text', max: 30 },
  { header: 'Description', kind: 'wrap', max: 60 },
  { header: 'Owner', kind: 'text', max: 24 },
  { header: 'Status', kind: 'text' },
  { header: 'Closed', kind: 'datetime' },
  { header: 'Drill', kind: 'text', max: 40 },
];

const AUDIT_COLUMNS: Col[] = [
  { header: 'Seq', kind: 'int', width: 8 },
  { header: 'Time', kind: 'datetime', width: 20 },
  { header: 'Actor', kind: 'text', width: 16 },
  { header: 'Action', kind: 'text', width: 22 },
  { header: 'Subject', kind: 'wrap', width: 28 },
  { header: 'Details', kind: 'wrap', width: 50 },
  { header: 'Previous hash', kind: 'hash', width: 36 },
  { header: 'Hash', kind: 'hash', width: 36 },
];

function auditRow(entry: AuditLine): unknown[] {
  return [entry.seq, Date.parse(entry.time), entry.actor, entry.action, entry.subject ?? '', entry.details, entry.prev_hash, entry.hash];
}

/** The rows of every sheet small enough to hold in memory, as raw values (times in ms, durations in seconds). */
function smallSheetRows(data: ReportData): { vms: unknown[][]; compliance: unknown[][]; drills: DrillLine[]; steps: unknown[][]; actions: unknown[][] } {
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
    vm.protectedInPeriod && vm.totals.coveredSeconds > 0 ? (vm.totals.coveredSeconds - vm.totals.breachSeconds) / vm.totals.coveredSeconds : null,
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
        screenshot: vm?.screenshot ?? null,
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
          checks.map((c) => `${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '–'} ${c.name}: ${c.detail}`).join('\n'),
          drill.isolation,
          drill.cleanupConfirmed ? 'Yes' : 'No',
          drill.operator,
          drill.notes ?? '',
          capitalise(vm ? vm.status : drill.status),
          vm?.failure ?? '',
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

// ---------------------------------------------------------------------------------------------------------
// Cells, widths and rules

/** Excel has no time zones: a date cell shows the wall-clock time, so local instants are shifted to it. */
export function excelLocalDate(ms: number): Date {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
}

function toCell(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'datetime':
    case 'date':
      return typeof value === 'number' && Number.isFinite(value) ? excelLocalDate(value) : null;
    case 'duration':
      return typeof value === 'number' ? value / 86_400 : null;
    default:
      return value;
  }
}

function localMidnightMs(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

function spec(col: Col, width: number): ColumnSpec {
  return { header: col.header, width, style: STYLES[col.kind] };
}

/** Column widths that fit the header's longest word and the longest value, within the column's maximum. */
function fit(cols: readonly Col[], rows: readonly (readonly unknown[])[] | readonly DrillLine[]): ColumnSpec[] {
  const values = rows.map((r) => (Array.isArray(r) ? (r as unknown[]) : (r as DrillLine).values));
  return cols.map((col, i) => {
    if (col.width) return spec(col, col.width);
    let widest = Math.max(...col.header.split(' ').map((w) => w.length), col.header.length <= 14 ? col.header.length : 0);
    for (const row of values) widest = Math.max(widest, displayLength(col.kind, row[i]));
    return spec(col, clamp(widest + 2, 6, col.max ?? 60));
  });
}

function displayLength(kind: Kind, value: unknown): number {
  if (value === null || value === undefined || value === '') return 0;
  switch (kind) {
    case 'datetime':
      return 19;
    case 'date':
      return 10;
    case 'duration':
      return 9;
    case 'percent':
      return 7;
    case 'int':
    case 'bytes':
    case 'minutes':
      return Math.round(Number(value)).toLocaleString('en-US').length + (kind === 'minutes' ? 2 : 0);
    default:
      return Math.max(...String(value).split('\n').map((line) => line.length));
  }
}

function statusRules(bad: string[], good: string[]): Rule[] {
  return [
    ...bad.map((v): Rule => ({ type: 'cellIs', operator: 'equal', formulae: [`"${v}"`], style: RED })),
    ...good.map((v): Rule => ({ type: 'cellIs', operator: 'equal', formulae: [`"${v}"`], style: GREEN })),
  ];
}

/** Red above the target in column `target` of the same row, green within it; blank when either is missing. */
function overTarget(target: string): Rule[] {
  return [
    { type: 'expression', formulae: [`AND(ISNUMBER({cell}),ISNUMBER(${target}{row}),{cell}>${target}{row})`], style: RED },
    { type: 'expression', formulae: [`AND(ISNUMBER({cell}),ISNUMBER(${target}{row}),{cell}<=${target}{row})`], style: GREEN },
  ];
}

function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
