import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { ReportExport, ReportPeriod, ReportSummary } from '../contract/reports';
import type { RoomDeps } from '../service-context';
import { commitEvidence, discardEvidence, stageEvidence, type StagedEvidence } from './evidence';
import { loadReportData } from './report-data';
import { summarise } from './summary';
import { writeWorkbook, type WriteProgress } from './workbook';

/** What this module needs from the engine (see RoomDeps). */
export type ReportExportDeps = RoomDeps<'audit' | 'clock' | 'db' | 'settings'>;

/** The Summary numbers of a period, from the catalog as it is now. */
export function previewSummary(ctx: ReportExportDeps, period: ReportPeriod): ReportSummary {
  const data = loadReportData(ctx.db, period, ctx.clock.now(), ctx.settings.get('organisation') ?? null, ctx.audit.verify());
  return summarise(data);
}

/** Where a report goes when the caller names no file: the data folder's reports/, never over an earlier one. */
export function defaultReportFile(folder: string, period: ReportPeriod): string {
  const base = `lifeboat-report-${period.from}-to-${period.to}`;
  for (let n = 1; ; n++) {
    const file = path.join(folder, `${base}${n === 1 ? '' : `-${n}`}.xlsx`);
    if (!fs.existsSync(file)) return file;
  }
}

export interface ExportRun {
  jobId: string;
  signal: AbortSignal;
  progress: WriteProgress;
  log(line: string): void;
}

/**
 * Writes the workbook next to its final name and renames it into place once complete, so a reader never
 * sees half a file; then hashes it and records the hash in the audit log.
 */
export async function exportReport(
  ctx: ReportExportDeps,
  period: ReportPeriod,
  file: string,
  actor: string,
  run: ExportRun,
): Promise<ReportExport> {
  ensureFolder(path.dirname(file));
  const verification = ctx.audit.verify();
  // This export's own job is running while it writes: it is left out, or every report would list itself as Running.
  const data = loadReportData(ctx.db, period, ctx.clock.now(), ctx.settings.get('organisation') ?? null, verification, run.jobId);
  const summary = summarise(data);
  run.log(
    `Period ${period.from} to ${period.to}: ${summary.vms} VMs, ${summary.drillsRun} drills, ${summary.jobsRun} runs, ${summary.auditEntries} audit entries.`,
  );
  if (summary.overall === 'incomplete') run.log(summary.reasons[0]!);

  const partial = `${file}.partial`;
  let evidence: StagedEvidence | null = null;
  let evidenceFolder: string | null;
  try {
    evidence = stageEvidence(file, data.drills, data.steps);
    await writeWorkbook({
      db: ctx.db,
      data,
      summary,
      file: partial,
      operator: actor,
      evidence,
      signal: run.signal,
      progress: run.progress,
    });
    // Evidence first: a workbook in place always has its folder beside it.
    evidenceFolder = commitEvidence(evidence);
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    discardEvidence(evidence);
    throw error;
  }

  const { sha256, bytes } = await hashFile(file);
  const evidenceFiles = evidence.items.map((item) => ({ file: item.relPath, sha256: item.sha256 }));
  run.log(
    `Wrote ${file} (${bytes} bytes, SHA-256 ${sha256})${evidenceFolder ? ` and ${evidenceFiles.length} evidence files to ${evidenceFolder}` : ''}.`,
  );
  ctx.audit.append(actor, 'report.exported', path.basename(file), {
    file,
    sha256,
    bytes,
    from: period.from,
    to: period.to,
    jobId: run.jobId,
    evidenceFolder,
    evidence: evidenceFiles,
    summary,
  });
  return { jobId: run.jobId, file, sha256, bytes, evidenceFolder, evidenceFiles: evidenceFiles.length, summary };
}

export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function ensureFolder(folder: string): void {
  try {
    fs.mkdirSync(folder, { recursive: true });
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    throw new LifeboatError('INVALID_INPUT', `outFile: Lifeboat cannot write to the folder ${folder}.`, {
      field: 'outFile',
      fix: 'Choose a folder that exists and that the account running Lifeboat may write to.',
      cause: error,
    });
  }
}
