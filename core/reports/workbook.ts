import { workbookAnchorText } from '../audit/workbook-anchor';
import type { ReportSummary } from '../contract/reports';
import type { Db } from '../store/database';
import { VERSION } from '../version';
import { fit, spec, statusRules, toCell } from './cells';
import { auditPages, jobPages, type ReportData } from './report-data';
import { withExportPaths, type StagedEvidence } from './evidence';
import { writeEvidenceSheet } from './sheets/evidence-sheet';
import { writeSummarySheet } from './sheets/summary-sheet';
import {
  ACTION_COLUMNS,
  AUDIT_COLUMNS,
  auditRow,
  COMPLIANCE_COLUMNS,
  complianceRules,
  JOB_COLUMNS,
  jobColumns,
  jobRow,
  smallSheetRows,
  STEP_COLUMNS,
  VM_COLUMNS,
  vmRules,
  writeDrills,
} from './sheets/table-sheets';
import { StreamingWorkbook } from './xlsx/streaming-workbook';

/** The sheets, in workbook order; tests and the docs refer to these names. */
export const SHEETS = [
  'Summary',
  'Protected VMs',
  'RPO compliance',
  'Drills',
  'Evidence',
  'Drill steps',
  'Jobs',
  'Action items',
  'Audit log',
] as const;

export interface WriteProgress {
  (phase: string, rowsDone: number, rowsTotal: number): void;
}

export interface WriteOptions {
  db: Db;
  data: ReportData;
  summary: ReportSummary;
  file: string;
  operator: string;
  /** Screenshots copied beside the workbook (stageEvidence); the Drills and Evidence sheets refer to them. */
  evidence: StagedEvidence;
  signal?: AbortSignal;
  progress?: WriteProgress;
}

/** Writes the workbook; the caller owns the file name and what happens to it afterwards. */
export async function writeWorkbook(options: WriteOptions): Promise<void> {
  const { data, summary } = options;
  const org = data.organisation ?? 'Organisation not set';
  const footer = `${org} — DR compliance report ${data.period.from} to ${data.period.to}`;
  const book = await StreamingWorkbook.create(options.file, {
    title: `Disaster-recovery compliance report ${data.period.from} to ${data.period.to}`,
    subject: `Backups, RPO, DR drills and audit log of ${org}`,
    creator: `Lifeboat ${VERSION}`,
    company: org,
    keywords: 'disaster recovery; RPO; RTO; DR drill; audit; Lifeboat',
    description: `Generated ${summary.generatedAt} for ${org}. Times are local (${summary.timeZone}).`,
    category: 'Compliance report',
    created: new Date(data.generatedAt),
  });

  try {
    await writeSheets(book, options, footer);
  } catch (error) {
    await book.abort();
    throw error;
  }
}

async function writeSheets(book: StreamingWorkbook, options: WriteOptions, footer: string): Promise<void> {
  const { data, summary, db } = options;
  const small = smallSheetRows(data);
  const total =
    1 +
    small.vms.length +
    small.compliance.length +
    small.drills.length +
    small.steps.length +
    data.jobCounts.total +
    small.actions.length +
    data.audit.entries;
  let done = 0;
  const step = (phase: string, rows = 1): void => {
    done += rows;
    options.progress?.(phase, Math.min(done, total), total);
  };
  const checkCancelled = (): void => options.signal?.throwIfAborted();

  writeSummarySheet(book, summary, options.operator, footer);
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
  writeDrills(book, small.drills, footer, options.evidence);
  step('Drills', small.drills.length);
  writeEvidenceSheet(book, options.evidence.items, footer);

  // A step's detail may name the screenshot where the engine wrote it: the reader gets the copy in the export.
  const detail = STEP_COLUMNS.findIndex((c) => c.header === 'Detail');
  const stepRows = small.steps.map((row) =>
    row.map((v, i) => (i === detail && typeof v === 'string' ? withExportPaths(options.evidence, v) : v)),
  );
  const steps = book.addSheet({ name: 'Drill steps', tableName: 'DrillSteps', columns: fit(STEP_COLUMNS, stepRows), footer });
  steps.addRules([9], statusRules(['Failed'], ['Passed'], ['Unverified']));
  for (const row of stepRows) steps.addRow(row.map((v, i) => toCell(STEP_COLUMNS[i]!.kind, v)));
  steps.finish();
  step('Drill steps', small.steps.length);

  const jobs = book.addSheet({ name: 'Jobs', tableName: 'Jobs', columns: jobColumns(db), footer });
  jobs.addRules([10], statusRules(['Failed', 'Interrupted'], ['Succeeded'], ['Unfinished']));
  jobs.addRules([11], statusRules(['No'], []));
  for (const page of jobPages(db, data.start, data.end, data.ownJobId)) {
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
        style: verification.ok
          ? { font: { bold: true, color: { argb: 'FF006100' } } }
          : { font: { bold: true, color: { argb: 'FF9C0006' } } },
      },
      {
        // The anchor is read back by `lifeboat audit verify --workbook`: a log rewritten or shortened after this export disagrees.
        values: [
          `Each entry's hash covers its fields and the previous entry's hash. This workbook's own SHA-256 is recorded afterwards, as a report.exported entry.${
            verification.ok && verification.checked > 0 ? ` ${workbookAnchorText(verification.checked, verification.headHash!)}` : ''
          }`,
        ],
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
