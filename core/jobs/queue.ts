import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { Job, JobProgress } from '../contract/protection';
import type { ConcurrencyLimits } from '../contract/types';
import type { EventBus } from '../event-bus';
import type { JobsStore, NewJob } from '../store/jobs';
import { ProgressMeter, type ProgressDetail } from './progress-meter';

/** What a running job may do: notice cancellation, log, and report progress. */
export interface JobRunContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  log(line: string): void;
  progress(phase: string, bytesDone: number, bytesTotal: number, detail?: ProgressDetail): void;
  /** The job's record gained or finished a timeline step (a console showing it reads it again); optional for contexts built by tests. */
  stepped?(): void;
}

export interface JobOutcome {
  bytesRead: number;
  bytesStored: number;
  appConsistent: boolean | null;
  /** A one-line result for notifications ("passed, RTO 4 min"). */
  message?: string;
}

export interface JobRequest extends Omit<NewJob, 'id'> {
  /** Jobs with the same key never run twice at once (e.g. one replication per VM); a duplicate returns the first. */
  key: string;
  run(ctx: JobRunContext): Promise<JobOutcome>;
}

/**
 * Two copies per target: a vault takes several writers, and two streams fill a cloud uplink that one
 * stream's round trips leave idle, without the copies starving each other on a small office line.
 */
export const DEFAULT_LIMITS: ConcurrencyLimits = { total: 4, perHost: 2, perTarget: 2 };

interface LiveJob {
  id: string;
  request: JobRequest;
  controller: AbortController;
  meter: ProgressMeter;
  state: 'queued' | 'running';
  lastEmit: number;
  done: Promise<Job>;
  settle(job: Job): void;
}

const PROGRESS_EVENT_INTERVAL_MS = 500;

/**
 * Runs jobs with limits per host and per target (a host's disks and a target's uplink are what saturate),
 * records each in the catalog with its log, and streams progress as events. Cancel aborts the job's signal;
 * the job is expected to clean up (release checkpoints) before it settles.
 */
export class JobQueue {
  private readonly live = new Map<string, LiveJob>();
  private closed = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly store: JobsStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    /** Read each time a slot frees up, so a changed setting applies to jobs already waiting. */
    private readonly limits: () => ConcurrencyLimits = () => DEFAULT_LIMITS,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {}

  submit(request: JobRequest): { job: Job; done: Promise<Job> } {
    if (this.closed) throw new LifeboatError('CANCELLED', 'Lifeboat is shutting down; the job was not started.');
    const existing = [...this.live.values()].find((live) => live.request.key === request.key);
    if (existing) return { job: this.describe(existing), done: existing.done };

    const id = randomUUID();
    let settle!: (job: Job) => void;
    const done = new Promise<Job>((resolve) => (settle = resolve));
    const live: LiveJob = {
      id,
      request,
      controller: new AbortController(),
      meter: new ProgressMeter(this.monotonicNow),
      state: 'queued',
      lastEmit: 0,
      done,
      settle,
    };
    this.store.insert({ ...request, id }, this.clock.now());
    this.live.set(id, live);
    this.pump();
    return { job: this.describe(live), done };
  }

  cancel(id: string): Job {
    const live = this.live.get(id);
    if (!live) {
      const job = this.store.get(id);
      if (!job) throw new LifeboatError('NOT_FOUND', `There is no job ${id}.`);
      return job;
    }
    live.controller.abort(new LifeboatError('CANCELLED', 'Cancelled by the operator.'));
    if (live.state === 'queued')
      this.finish(live, { bytesRead: 0, bytesStored: 0, appConsistent: null }, 'cancelled', 'Cancelled before it started.');
    return this.describe(live);
  }

  progressOf(id: string): JobProgress | null {
    const live = this.live.get(id);
    return live?.state === 'running' ? live.meter.snapshot() : null;
  }

  /** Cancels the job with this key, if one is queued or running, and waits until it has cleaned up. */
  async cancelKey(key: string): Promise<boolean> {
    const live = [...this.live.values()].find((candidate) => candidate.request.key === key);
    if (!live) return false;
    this.cancel(live.id);
    await live.done;
    return true;
  }

  isBusy(key: string): boolean {
    return [...this.live.values()].some((live) => live.request.key === key);
  }

  get runningCount(): number {
    return [...this.live.values()].filter((live) => live.state === 'running').length;
  }

  /** Cancels everything and waits until every job has settled (its cleanup done). */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.live.values()];
    for (const live of pending) this.cancel(live.id);
    await Promise.all(pending.map((live) => live.done));
  }

  /** Starts whatever the (possibly changed) limits now allow. */
  pump(): void {
    if (this.closed) return;
    // A job.started listener may submit or cancel, which pumps again: that pass waits for this one to end.
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.startWhatFits();
      } while (this.pumpAgain && !this.closed);
    } finally {
      this.pumping = false;
    }
  }

  private startWhatFits(): void {
    const limits = this.limits();
    const running = [...this.live.values()].filter((live) => live.state === 'running');
    for (const live of this.live.values()) {
      if (live.state !== 'queued') continue;
      if (running.length >= limits.total) break;
      const onHost = running.filter((r) => live.request.hostId !== null && r.request.hostId === live.request.hostId).length;
      const onTarget = running.filter((r) => live.request.targetId !== null && r.request.targetId === live.request.targetId).length;
      if (onHost >= limits.perHost || onTarget >= limits.perTarget) continue;
      running.push(live);
      this.start(live);
    }
  }

  private start(live: LiveJob): void {
    live.state = 'running';
    this.store.markRunning(live.id, this.clock.now());
    this.bus.emit({ type: 'job.started', jobId: live.id, kind: live.request.kind, title: live.request.title });
    const ctx: JobRunContext = {
      jobId: live.id,
      signal: live.controller.signal,
      log: (line) => this.store.appendLog(live.id, `${this.clock.now().toISOString()} ${line}`),
      progress: (phase, bytesDone, bytesTotal, detail) => this.onProgress(live, phase, bytesDone, bytesTotal, detail),
      stepped: () => this.bus.emit({ type: 'job.step', jobId: live.id }),
    };
    // Deferred so submit() returns before any of the job's work runs.
    void Promise.resolve()
      .then(() => {
        live.controller.signal.throwIfAborted();
        return live.request.run(ctx);
      })
      .then(
        (outcome) => this.finish(live, outcome, live.controller.signal.aborted ? 'cancelled' : 'succeeded', null, outcome.message),
        (error: unknown) => {
          const failure = toLifeboatError(error);
          const cancelled = live.controller.signal.aborted || failure.code === 'CANCELLED';
          // Shutting down is not the operator's choice: the job was interrupted, and is retried at the next start.
          const stopped = cancelled && this.closed;
          const words = stopped ? stoppedWords(live.request.kind) : cancelled ? 'Cancelled by the operator.' : failure.message;
          ctx.log(stopped ? words : cancelled ? 'Cancelled.' : `Failed: ${failure.message}${failure.fix ? ` — ${failure.fix}` : ''}`);
          const bytesRead = live.meter.bytesRead;
          this.finish(
            live,
            { bytesRead, bytesStored: 0, appConsistent: null },
            stopped ? 'interrupted' : cancelled ? 'cancelled' : 'failed',
            words,
          );
        },
      );
  }

  private onProgress(live: LiveJob, phase: string, bytesDone: number, bytesTotal: number, detail?: ProgressDetail): void {
    const phaseChanged = live.meter.snapshot().phase !== phase;
    live.meter.update(phase, bytesDone, bytesTotal, detail);
    const now = this.monotonicNow();
    if (!phaseChanged && bytesDone < bytesTotal && now - live.lastEmit < PROGRESS_EVENT_INTERVAL_MS) return;
    live.lastEmit = now;
    if (phaseChanged) this.store.setTotal(live.id, bytesTotal);
    this.store.setBytesRead(live.id, live.meter.bytesRead);
    this.bus.emit({ type: 'job.progress', jobId: live.id, ...live.meter.snapshot() });
  }

  private finish(
    live: LiveJob,
    outcome: JobOutcome,
    status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted',
    error: string | null,
    message?: string,
  ): void {
    if (!this.live.has(live.id)) return;
    this.live.delete(live.id);
    this.store.finish(
      live.id,
      { status, error, bytesRead: outcome.bytesRead, bytesStored: outcome.bytesStored, appConsistent: outcome.appConsistent },
      this.clock.now(),
    );
    const job = this.store.get(live.id)!;
    const summary = error ?? message;
    this.bus.emit({ type: 'job.finished', jobId: live.id, status, ...(summary ? { message: summary } : {}) });
    live.settle(job);
    this.pump();
  }

  private describe(live: LiveJob): Job {
    const job = this.store.get(live.id)!;
    return { ...job, progress: this.progressOf(live.id) };
  }
}

/** What a job that Lifeboat's own shutdown stopped says (the same words a killed engine's jobs get at the next start). */
function stoppedWords(kind: string): string {
  return `Lifeboat stopped while this ${kind === 'replication' ? 'copy' : 'job'} was running.`;
}
