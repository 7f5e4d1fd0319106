import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { ReportExport, ReportPeriod, ReportSummary } from '../contract/reports';
import type { ServiceContext } from '../service-context';
import { loadReportData } from './report-data';
import { summarise } from './summary';
import { writeWorkbook, type WriteProgress } from './workbook';

/** The Summary numbers of a period, from the catalog as it is now. */
export function previewSummary(ctx: ServiceContext, period: ReportPeriod): ReportSummary {
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
export async function exportReport(ctx: ServiceContext, period: ReportPeriod, file: string, actor: string, run: ExportRun): Promise<ReportExport> {
  ensureFolder(path.dirname(file));
  const verification = ctx.audit.verify();
  const data = loadReportData(ctx.db, period, ctx.clock.now(), ctx.settings.get('organisation') ?? null, verification);
  const summary = summarise(data);
  run.log(`Period ${period.from} to ${period.to}: ${summary.vms} VMs, ${summary.drillsRun} drills, ${summary.jobsRun} runs, ${summary.auditEntries} audit entries.`);

  const partial = `${file}.partial`;
  try {
    await writeWorkbook({ db: ctx.db, data, summary, file: partial, operator: actor, signal: run.signal, progress: run.progress });
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }

  const { sha256, bytes } = await hashFile(file);
  run.log(`Wrote ${file} (${bytes} bytes, SHA-256 ${sha256}).`);
  ctx.audit.append(actor, 'report.exported', path.basename(file), { file, sha256, bytes, from: period.from, to: period.to, jobId: run.jobId, summary });
  return { jobId: run.jobId, file, sha256, bytes, summary };
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
