import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import { childEnv } from '../child-env';
import type { ConsoleApi, MethodOutput, MethodParsedInput } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { Job } from '../contract/protection';
import type { ReportExport, ReportExportStatus, ReportPeriod, ReportSummary } from '../contract/reports';
import type { RoomDeps } from '../service-context';
import { AlertsStore } from '../store/alerts';
import { JobsStore } from '../store/jobs';
import { defaultReportFile, exportReport, previewSummary } from './export';
import { DEFAULT_SCHEDULE, dueScheduledReport, scheduleView } from './schedule';

/** What this module needs from the engine (see RoomDeps). */
export type ReportsDeps = RoomDeps<
  'audit' | 'bus' | 'clock' | 'dataDir' | 'db' | 'jobs' | 'onClose' | 'onStartBackground' | 'operator' | 'settings'
>;

type ReportsApi = Pick<
  ConsoleApi,
  | 'previewReport'
  | 'exportReport'
  | 'startReportExport'
  | 'getReportExport'
  | 'openReportFolder'
  | 'readReportFile'
  | 'getReportSchedule'
  | 'setReportSchedule'
>;

/** How often the scheduled-export heartbeat looks whether a period has ended. */
const HEARTBEAT = '*/15 * * * *';

/**
 * The auditor's workbook: preview its Summary, export it as a job (progress on Activity, SHA-256 in the
 * audit log), show it in the file manager, and export it on a monthly or quarterly schedule.
 */
export function reportsApi(ctx: ReportsDeps): ReportsApi {
  const room: ReportsRoom = {
    ctx,
    jobsStore: new JobsStore(ctx.db),
    alerts: new AlertsStore(ctx.db),
    results: new Map(),
    files: new Map(),
    lastFailure: null,
    scheduledRunning: false,
    heartbeat: null,
  };

  ctx.onStartBackground(() => {
    room.heartbeat = cronSchedule(HEARTBEAT, () => scheduledTick(room), { name: 'lifeboat-report-schedule', noOverlap: true });
    scheduledTick(room);
  });
  ctx.onClose(() => {
    void room.heartbeat?.destroy();
    room.heartbeat = null;
  });

  return {
    async previewReport(period) {
      return previewSummary(ctx, period);
    },

    async exportReport(input) {
      return exportAndWait(room, input);
    },

    async startReportExport({ outFile, ...period }) {
      const { job } = startExport(room, period, outFile, 'manual', ctx.operator);
      return exportStatus(room, job.id);
    },

    async getReportExport({ jobId }) {
      return exportStatus(room, jobId);
    },

    async openReportFolder({ file }) {
      const resolved = exportedFile(ctx, file);
      return showInFileManager(resolved, path.dirname(resolved));
    },

    async readReportFile(input) {
      return readExportedFile(ctx, input);
    },

    async getReportSchedule() {
      return scheduleView(ctx.settings.get('reportSchedule') ?? DEFAULT_SCHEDULE, ctx.clock.now());
    },

    async setReportSchedule(input) {
      return setReportSchedule(room, input);
    },
  };
}

/** What the room keeps between calls: export results of this engine run, and the schedule's heartbeat. */
interface ReportsRoom {
  ctx: ReportsDeps;
  jobsStore: JobsStore;
  alerts: AlertsStore;
  results: Map<string, ReportExport>;
  files: Map<string, string>;
  lastFailure: { period: ReportPeriod; at: number } | null;
  scheduledRunning: boolean;
  heartbeat: ScheduledTask | null;
}

function startExport(
  room: ReportsRoom,
  period: ReportPeriod,
  outFile: string | undefined,
  trigger: Job['trigger'],
  actor: string,
  onWritten: (result: ReportExport) => void = () => undefined,
): { job: Job; done: Promise<Job>; file: string } {
  const { ctx, results, files } = room;
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
}

async function exportAndWait(room: ReportsRoom, { outFile, ...period }: MethodParsedInput<'exportReport'>): Promise<ReportExport> {
  const { done } = startExport(room, period, outFile, 'manual', room.ctx.operator);
  const job = await done;
  const result = room.results.get(job.id);
  if (job.status !== 'succeeded' || !result) {
    throw new LifeboatError(
      job.status === 'cancelled' ? 'CANCELLED' : 'INTERNAL',
      `The report was not written: ${job.error ?? job.status}.`,
      {
        fix: 'Look at the job on the Activity page for its log, then try again.',
      },
    );
  }
  return result;
}

function exportStatus({ ctx, jobsStore, results, files }: ReportsRoom, jobId: string): ReportExportStatus {
  const job = jobsStore.get(jobId);
  if (!job || job.kind !== 'report')
    throw new LifeboatError('NOT_FOUND', `There is no report export ${jobId}.`, { fix: 'Start the export again from the Reports page.' });
  const result = results.get(jobId) ?? recordedExport(ctx, jobId);
  return {
    jobId,
    file: result?.file ?? files.get(jobId) ?? '',
    status: job.status,
    progress: ctx.jobs.progressOf(jobId),
    error: job.error,
    result,
  };
}

function scheduledTick(room: ReportsRoom): void {
  const { ctx } = room;
  if (room.scheduledRunning) return;
  const setting = ctx.settings.get('reportSchedule') ?? DEFAULT_SCHEDULE;
  const period = dueScheduledReport(setting, ctx.clock.now(), room.lastFailure);
  if (!period || setting.folder === null) return;
  room.scheduledRunning = true;
  const folder = setting.folder;
  // Recorded as part of the job, so whoever sees it finish also sees the schedule move on.
  const written = (result: ReportExport): void => {
    const now = ctx.clock.now();
    const current = ctx.settings.get('reportSchedule') ?? setting;
    ctx.settings.set(
      'reportSchedule',
      { ...current, last: { from: period.from, to: period.to, file: result.file, at: now.toISOString() } },
      now,
    );
    room.lastFailure = null;
    room.alerts.clear('report', 'schedule', now);
  };
  let done: Promise<Job>;
  try {
    done = startExport(room, period, defaultReportFile(folder, period), 'schedule', 'system', written).done;
  } catch {
    // The engine is closing: the next start tries again.
    room.scheduledRunning = false;
    return;
  }
  void done
    .then((job) => {
      if (job.status !== 'succeeded') scheduledExportFailed(room, period, folder, job);
    })
    .finally(() => (room.scheduledRunning = false));
}

function scheduledExportFailed(room: ReportsRoom, period: ReportPeriod, folder: string, job: Job): void {
  const { ctx } = room;
  const now = ctx.clock.now();
  room.lastFailure = { period, at: now.getTime() };
  const alert = room.alerts.raise(
    {
      kind: 'report',
      subject: 'schedule',
      severity: 'warning',
      message: `The scheduled compliance report for ${period.from} to ${period.to} could not be written: ${job.error ?? 'unknown error'}`,
      fix: `Check that ${folder} exists and Lifeboat may write to it; it tries again in 6 hours, or export it now from Reports.`,
    },
    now,
  );
  if (alert)
    ctx.bus.emit({
      type: 'alert.raised',
      alert: { id: alert.id, severity: alert.severity, message: alert.message, ...(alert.fix ? { fix: alert.fix } : {}) },
    });
}

function setReportSchedule(room: ReportsRoom, input: MethodParsedInput<'setReportSchedule'>): ReturnType<typeof scheduleView> {
  const { ctx } = room;
  const now = ctx.clock.now();
  const current = ctx.settings.get('reportSchedule') ?? DEFAULT_SCHEDULE;
  const next = {
    ...current,
    enabled: input.enabled,
    frequency: input.frequency,
    folder: input.folder === null ? current.folder : path.resolve(input.folder),
  };
  ctx.settings.set('reportSchedule', next, now);
  ctx.audit.append(ctx.operator, 'report.schedule.changed', next.folder, {
    enabled: next.enabled,
    frequency: next.frequency,
    folder: next.folder,
  });
  room.lastFailure = null;
  // A period that is already due is written now rather than at the next heartbeat.
  if (room.heartbeat) scheduledTick(room);
  return scheduleView(next, now);
}

/** The resolved path of a report Lifeboat exported and that is still there. */
function exportedFile(ctx: ReportsDeps, file: string): string {
  const resolved = path.resolve(file);
  if (!wasExported(ctx, resolved) || !fs.existsSync(resolved)) {
    throw new LifeboatError('NOT_FOUND', `${resolved} is not a report Lifeboat wrote, or it was moved.`, {
      fix: 'Export the report again.',
    });
  }
  return resolved;
}

async function readExportedFile(
  ctx: ReportsDeps,
  { file, offset, length }: MethodParsedInput<'readReportFile'>,
): Promise<MethodOutput<'readReportFile'>> {
  const handle = await fs.promises.open(exportedFile(ctx, file), 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
    const { bytesRead } = buffer.length > 0 ? await handle.read(buffer, 0, buffer.length, offset) : { bytesRead: 0 };
    return { data: buffer.subarray(0, bytesRead).toString('base64'), offset, bytes: bytesRead, size };
  } finally {
    await handle.close();
  }
}

/** A finished export recorded in the audit log (results of earlier engine runs are not in memory). */
function recordedExport(ctx: ReportsDeps, jobId: string): ReportExport | null {
  const row = ctx.db
    .prepare(
      "SELECT details FROM audit_events WHERE action = 'report.exported' AND json_extract(details, '$.jobId') = ? ORDER BY seq DESC LIMIT 1",
    )
    .pluck()
    .get(jobId) as string | undefined;
  if (!row) return null;
  const details = JSON.parse(row) as {
    file: string;
    sha256: string;
    bytes: number;
    evidenceFolder?: string | null;
    evidence?: unknown[];
    summary: ReportSummary;
  };
  // Exports recorded before evidence folders existed have neither field.
  return {
    jobId,
    file: details.file,
    sha256: details.sha256,
    bytes: details.bytes,
    evidenceFolder: details.evidenceFolder ?? null,
    evidenceFiles: details.evidence?.length ?? 0,
    summary: details.summary,
  };
}

/** Only files Lifeboat itself exported may be shown: the method must not become a way to open any path. */
function wasExported(ctx: ReportsDeps, file: string): boolean {
  return (
    ctx.db
      .prepare("SELECT 1 FROM audit_events WHERE action = 'report.exported' AND json_extract(details, '$.file') = ? LIMIT 1")
      .get(file) !== undefined
  );
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
  if (!command)
    return { opened: false, folder, message: `This machine has no desktop session to show the folder in. The report is in ${folder}.` };
  return new Promise((resolve) => {
    const child = spawn(command.cmd, command.args, { detached: true, stdio: 'ignore', env: childEnv() });
    child.once('error', () => resolve({ opened: false, folder, message: `No file manager could be started. The report is in ${folder}.` }));
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true, folder, message: null });
    });
  });
}
