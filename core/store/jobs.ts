import type { Job, JobStatus, JobWithLog } from '../contract/protection';
import type { Db } from './database';

interface JobRow {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  trigger: Job['trigger'];
  vm_id: string | null;
  policy_id: string | null;
  host_id: string | null;
  target_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  bytes_read: number;
  bytes_stored: number;
  bytes_total: number;
  app_consistent: number | null;
  error: string | null;
  log: string;
}

export interface NewJob {
  id: string;
  kind: string;
  title: string;
  trigger: Job['trigger'];
  vmId: string | null;
  policyId: string | null;
  hostId: string | null;
  targetId: string | null;
}

/** Something on a host that a job must give back: a checkpoint, an isolated VM, a restored file or folder. */
export interface JobResource {
  kind: 'checkpoint' | 'vm' | 'path' | 'process';
  hostId: string | null;
  /** Provider data needed to release it (e.g. the Checkpoint object), JSON-safe. */
  ref: unknown;
  description: string;
}

export interface JobResult {
  status: Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled' | 'interrupted'>;
  bytesRead: number;
  bytesStored: number;
  appConsistent: boolean | null;
  error: string | null;
}

/** Job history: one row per run, with its log appended as the run goes. */
export class JobsStore {
  constructor(private readonly db: Db) {}

  insert(job: NewJob, now: Date): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, title, status, trigger, vm_id, policy_id, host_id, target_id, created_at)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
      )
      .run(job.id, job.kind, job.title, job.trigger, job.vmId, job.policyId, job.hostId, job.targetId, now.toISOString());
  }

  markRunning(id: string, now: Date): void {
    this.db.prepare("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?").run(now.toISOString(), id);
  }

  /** Bytes read so far, kept while the job runs so a killed engine still shows how far it got. */
  setBytesRead(id: string, bytesRead: number): void {
    this.db.prepare('UPDATE jobs SET bytes_read = ? WHERE id = ?').run(bytesRead, id);
  }

  /** The VM's copies, newest first, for the retry rule (failed or interrupted in a row). */
  recentOutcomes(vmId: string, kind: string, limit: number): { status: Job['status']; finishedAt: string | null }[] {
    return this.db
      .prepare(
        'SELECT status, finished_at AS finishedAt FROM jobs WHERE vm_id = ? AND kind = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
      )
      .all(vmId, kind, limit) as {
      status: Job['status'];
      finishedAt: string | null;
    }[];
  }

  setTotal(id: string, bytesTotal: number): void {
    this.db.prepare('UPDATE jobs SET bytes_total = ? WHERE id = ?').run(bytesTotal, id);
  }

  finish(id: string, result: JobResult, now: Date): void {
    this.db
      .prepare('UPDATE jobs SET status = ?, finished_at = ?, bytes_read = ?, bytes_stored = ?, app_consistent = ?, error = ? WHERE id = ?')
      .run(
        result.status,
        now.toISOString(),
        result.bytesRead,
        result.bytesStored,
        result.appConsistent === null ? null : result.appConsistent ? 1 : 0,
        result.error,
        id,
      );
  }

  appendLog(id: string, line: string): void {
    this.db.prepare('UPDATE jobs SET log = log || ? WHERE id = ?').run(line.endsWith('\n') ? line : `${line}\n`, id);
  }

  /** Jobs a previous process left queued or running: it died, so they are interrupted, not lost. */
  markInterrupted(now: Date): Job[] {
    const rows = this.db.prepare("SELECT * FROM jobs WHERE status IN ('queued', 'running')").all() as JobRow[];
    this.db
      .prepare(
        `UPDATE jobs SET status = 'interrupted', finished_at = ?,
                error = CASE kind WHEN 'replication' THEN 'Lifeboat stopped while this copy was running.' ELSE 'Lifeboat stopped while this job was running.' END
          WHERE status IN ('queued', 'running')`,
      )
      .run(now.toISOString());
    return rows.map((row) => toJob({ ...row, status: 'interrupted' }));
  }

  get(id: string): JobWithLog | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && { ...toJob(row), log: row.log };
  }

  list(options: { status?: JobStatus; limit: number }): Job[] {
    const rows = (
      options.status
        ? this.db
            .prepare('SELECT * FROM jobs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(options.status, options.limit)
        : this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(options.limit)
    ) as JobRow[];
    return rows.map(toJob);
  }

  /** Records what the job holds on a host (see migration 005), replacing the previous list. */
  setResources(id: string, resources: readonly JobResource[]): void {
    this.db.prepare('UPDATE jobs SET resources = ? WHERE id = ?').run(JSON.stringify(resources), id);
  }

  /** Resources still held by jobs that ended without releasing them (interrupted or failed cleanup). */
  heldResources(): { jobId: string; resources: JobResource[] }[] {
    const rows = this.db
      .prepare("SELECT id, resources FROM jobs WHERE resources != '[]' AND status NOT IN ('queued', 'running')")
      .all() as { id: string; resources: string }[];
    return rows.map((row) => ({ jobId: row.id, resources: JSON.parse(row.resources) as JobResource[] }));
  }

  /** When the VM's newest run of this kind started, for interval scheduling. */
  lastStartOf(vmId: string, kind: string): string | null {
    return (
      (this.db.prepare('SELECT MAX(COALESCE(started_at, created_at)) FROM jobs WHERE vm_id = ? AND kind = ?').pluck().get(vmId, kind) as
        string | null) ?? null
    );
  }
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    status: row.status,
    trigger: row.trigger,
    vmId: row.vm_id,
    policyId: row.policy_id,
    hostId: row.host_id,
    targetId: row.target_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    bytesRead: row.bytes_read,
    bytesStored: row.bytes_stored,
    bytesTotal: row.bytes_total,
    appConsistent: row.app_consistent === null ? null : row.app_consistent === 1,
    error: row.error,
    progress: null,
  };
}
