import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import { childEnv } from '../child-env';
import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { Job } from '../contract/protection';
import type { ReportExport, ReportExportStatus, ReportPeriod, ReportSummary } from '../contract/reports';
import type { RoomDeps } from '../service-context';
import { AlertsStore } from '../store/alerts';
import { JobsStore } from '../store/jobs';
import { defaultReportFile, exportReport, previewSummary } from './export';
import { DEFAULT_SCHEDULE, dueScheduledReport, scheduleView } from './schedule';

/** What this module needs from the engine (see RoomDeps). */
export type ReportsDeps = RoomDeps<'audit' | 'bus' | 'clock' | 'dataDir' | 'db' | 'jobs' | 'onClose' | 'onStartBackground' | 'operator' | 'settings'>;

type ReportsApi = Pick<
  ConsoleApi,
  'previewReport' | 'exportReport' | 'startReportExport' | 'getReportExport' | 'openReportFolder' | 'readReportFile' | 'getReportSchedule' | 'setReportSchedule'
>;

/** How often the scheduled-export heartbeat looks whether a period has ended. */
const HEARTBEAT = '*/15 * * * *';

/**
 * The auditor's workbook: preview its Summary, export it as a job (progress on Activity, SHA-256 in the
 * audit log), show it in the file manager, and export it on a monthly or quarterly schedule.
 */
export function reportsApi(ctx: ReportsDeps): ReportsApi {
  const jobsStore = new JobsStore(ctx.db);
  const alerts = new AlertsStore(ctx.db);
  const results = new Map<string, ReportExport>();
  const files = new Map<string, string>();
  let lastFailure: { period: ReportPeriod; at: number } | null = null;
  let scheduledRunning = false;

  const start = (
    period: ReportPeriod,
    outFile: string | undefined,
    trigger: Job['trigger'],
    actor: string,
    onWritten: (result: ReportExport) => void = () => undefined,
  ): { job: Job; done: Promise<Job>; file: string } => {
    const file = path.resolve(outFile ?? defaultReportFile(path.join(ctx.dataDir, 'reports'), period));
    const { job, done } = ctx.jobs.submit({
      key: `report:${file}`,
      kind: 'report',
      title: `Compliance report ${period.from} to ${period.to}`,
      trigger,
      vmId: null,
      policyId: null,
      hostId: null,
      targetId: null,
      run: async (run) => {
        const result = await exportReport(ctx, period, file, actor, {
          jobId: run.jobId,
          signal: run.signal,
          log: run.log,
          progress: (phase, done, total) => run.progress(phase, done, total),
        });
        results.set(run.jobId, result);
        onWritten(result);
        return { bytesRead: 0, bytesStored: result.bytes, appConsistent: null };
      },
    });
    files.set(job.id, file);
    return { job, done, file };
  };

  const status = (jobId: string): ReportExportStatus => {
    const job = jobsStore.get(jobId);
    if (!job || job.kind !== 'report') throw new LifeboatError('NOT_FOUND', `There is no report export ${jobId}.`, { fix: 'Start the export again from the Reports page.' });
    const result = results.get(jobId) ?? recordedExport(ctx, jobId);
    return {
      jobId,
      file: result?.file ?? files.get(jobId) ?? '',
      status: job.status,
      progress: ctx.jobs.progressOf(jobId),
      error: job.error,
      result,
    };
  };

  const scheduledTick = (): void => {
    if (scheduledRunning) return;
    const setting = ctx.settings.get('reportSchedule') ?? DEFAULT_SCHEDULE;
    const period = dueScheduledReport(setting, ctx.clock.now(), lastFailure);
    if (!period || setting.folder === null) return;
    scheduledRunning = true;
    const folder = setting.folder;
    // Recorded as part of the job, so whoever sees it finish also sees the schedule move on.
    const written = (result: ReportExport): void => {
      const now = ctx.clock.now();
      const current = ctx.settings.get('reportSchedule') ?? setting;
      ctx.settings.set('reportSchedule', { ...current, last: { from: period.from, to: period.to, file: result.file, at: now.toISOString() } }, now);
      lastFailure = null;
      alerts.clear('report', 'schedule', now);
    };
    let done: Promise<Job>;
    try {
      done = start(period, defaultReportFile(folder, period), 'schedule', 'system', written).done;
    } catch {
      // The engine is closing: the next start tries again.
      scheduledRunning = false;
      return;
    }
    void done
      .then((job) => {
        const now = ctx.clock.now();
        if (job.status !== 'succeeded') {
          lastFailure = { period, at: now.getTime() };
          const alert = alerts.raise(
            {
              kind: 'report',
              subject: 'schedule',
              severity: 'warning',
              message: `The scheduled compliance report for ${period.from} to ${period.to} could not be written: ${job.error ?? 'unknown error'}`,
              fix: `Check that ${folder} exists and Lifeboat may write to it; it tries again in 6 hours, or export it now from Reports.`,
            },
            now,
          );
          if (alert) ctx.bus.emit({ type: 'alert.raised', alert: { id: alert.id, severity: alert.severity, message: alert.message, ...(alert.fix ? { fix: alert.fix } : {}) } });
        }
      })
      .finally(() => (scheduledRunning = false));
  };

  let heartbeat: ScheduledTask | null = null;
  ctx.onStartBackground(() => {
    heartbeat = cronSchedule(HEARTBEAT, scheduledTick, { name: 'lifeboat-report-schedule', noOverlap: true });
    scheduledTick();
  });
  ctx.onClose(() => {
    void heartbeat?.destroy();
    heartbeat = null;
  });

  return {
    async previewReport(period) {
      return previewSummary(ctx, period);
    },

    async exportReport({ outFile, ...period }) {
      const { done } = start(period, outFile, 'manual', ctx.operator);
      const job = await done;
      const result = results.get(job.id);
      if (job.status !== 'succeeded' || !result) {
        throw new LifeboatError(job.status === 'cancelled' ? 'CANCELLED' : 'INTERNAL', `The report was not written: ${job.error ?? job.status}.`, {
          fix: 'Look at the job on the Activity page for its log, then try again.',
        });
      }
      return result;
    },

    async startReportExport({ outFile, ...period }) {
      const { job } = start(period, outFile, 'manual', ctx.operator);
      return status(job.id);
    },

    async getReportExport({ jobId }) {
      return status(jobId);
    },

    async openReportFolder({ file }) {
      const resolved = path.resolve(file);
      const folder = path.dirname(resolved);
      if (!wasExported(ctx, resolved) || !fs.existsSync(resolved)) {
        throw new LifeboatError('NOT_FOUND', `${resolved} is not a report Lifeboat wrote, or it was moved.`, { fix: 'Export the report again.' });
      }
      return showInFileManager(resolved, folder);
    },

    async readReportFile({ file, offset, length }) {
      const resolved = path.resolve(file);
      if (!wasExported(ctx, resolved) || !fs.existsSync(resolved)) {
        throw new LifeboatError('NOT_FOUND', `${resolved} is not a report Lifeboat wrote, or it was moved.`, { fix: 'Export the report again.' });
      }
      const handle = await fs.promises.open(resolved, 'r');
      try {
        const { size } = await handle.stat();
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = buffer.length > 0 ? await handle.read(buffer, 0, buffer.length, offset) : { bytesRead: 0 };
        return { data: buffer.subarray(0, bytesRead).toString('base64'), offset, bytes: bytesRead, size };
      } finally {
        await handle.close();
      }
    },

    async getReportSchedule() {
      return scheduleView(ctx.settings.get('reportSchedule') ?? DEFAULT_SCHEDULE, ctx.clock.now());
    },

    async setReportSchedule(input) {
      const now = ctx.clock.now();
      const current = ctx.settings.get('reportSchedule') ?? DEFAULT_SCHEDULE;
      const next = { ...current, enabled: input.enabled, frequency: input.frequency, folder: input.folder === null ? current.folder : path.resolve(input.folder) };
      ctx.settings.set('reportSchedule', next, now);
      ctx.audit.append(ctx.operator, 'report.schedule.changed', next.folder, { enabled: next.enabled, frequency: next.frequency, folder: next.folder });
      lastFailure = null;
      // A period that is already due is written now rather than at the next heartbeat.
      if (heartbeat) scheduledTick();
      return scheduleView(next, now);
    },
  };
}

/** A finished export recorded in the audit log (results of earlier engine runs are not in memory). */
function recordedExport(ctx: ReportsDeps, jobId: string): ReportExport | null {
  const row = ctx.db
    .prepare("SELECT details FROM audit_events WHERE action = 'report.exported' AND json_extract(details, '$.jobId') = ? ORDER BY seq DESC LIMIT 1")
    .pluck()
    .get(jobId) as string | undefined;
  if (!row) return null;
  const details = JSON.parse(row) as { file: string; sha256: string; bytes: number; evidenceFolder?: string | null; evidence?: unknown[]; summary: ReportSummary };
  // Exports recorded before evidence folders existed have neither field.
  return { jobId, file: details.file, sha256: details.sha256, bytes: details.bytes, evidenceFolder: details.evidenceFolder ?? null, evidenceFiles: details.evidence?.length ?? 0, summary: details.summary };
}

/** Only files Lifeboat itself exported may be shown: the method must not become a way to open any path. */
function wasExported(ctx: ReportsDeps, file: string): boolean {
  return ctx.db.prepare("SELECT 1 FROM audit_events WHERE action = 'report.exported' AND json_extract(details, '$.file') = ? LIMIT 1").get(file) !== undefined;
}

async function showInFileManager(file: string, folder: string): Promise<{ opened: boolean; folder: string; message: string | null }> {
  const command =
    process.platform === 'win32'
      ? { cmd: 'explorer.exe', args: [`/select,${file}`] }
      : process.platform === 'darwin'
        ? { cmd: 'open', args: ['-R', file] }
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? { cmd: 'xdg-open', args: [folder] }
          : null;
  if (!command) return { opened: false, folder, message: `This machine has no desktop session to show the folder in. The report is in ${folder}.` };
  return new Promise((resolve) => {
    const child = spawn(command.cmd, command.args, { detached: true, stdio: 'ignore', env: childEnv() });
    child.once('error', () => resolve({ opened: false, folder, message: `No file manager could be started. The report is in ${folder}.` }));
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true, folder, message: null });
    });
  });
}
