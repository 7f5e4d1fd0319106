import type { JobProgress } from '../contract/protection';
import { RateWindow } from '../rate-window';

/** What a job may know better than bytes over time: its own ETA and rate, the limit it runs under, bytes read. */
export type ProgressDetail = Partial<Pick<JobProgress, 'bytesPerSecond' | 'etaSeconds' | 'limit'>> & { bytesRead?: number };

/** A job's progress with its rate over a sliding window (see RateWindow), unless the job reports its own. */
export class ProgressMeter {
  private readonly rate = new RateWindow();
  private phase = 'starting';
  private bytesDone = 0;
  private bytesTotal = 0;
  private detail: ProgressDetail = {};

  constructor(private readonly monotonicNow: () => number = () => performance.now()) {}

  update(phase: string, bytesDone: number, bytesTotal: number, detail: ProgressDetail = {}): void {
    if (phase !== this.phase) this.rate.reset();
    this.phase = phase;
    this.bytesDone = bytesDone;
    this.bytesTotal = bytesTotal;
    this.detail = detail;
    this.rate.add(this.monotonicNow(), bytesDone);
  }

  /** Bytes read from the source so far (more than bytesDone while read data waits to be sent). */
  get bytesRead(): number {
    return this.detail.bytesRead ?? this.bytesDone;
  }

  snapshot(): JobProgress {
    const bytesPerSecond = this.detail.bytesPerSecond ?? Math.round(this.rate.perSecond());
    const remaining = Math.max(0, this.bytesTotal - this.bytesDone);
    const etaSeconds =
      this.detail.etaSeconds !== undefined
        ? this.detail.etaSeconds
        : bytesPerSecond > 0
          ? Math.ceil(remaining / bytesPerSecond)
          : remaining === 0 && this.bytesTotal > 0
            ? 0
            : null;
    return {
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond,
      etaSeconds,
      ...(this.detail.limit !== undefined ? { limit: this.detail.limit } : {}),
    };
  }
}
