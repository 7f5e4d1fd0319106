import type { JobProgress } from '../contract/protection';

const WINDOW_MS = 10_000;

/** Rate over the last ~10 seconds (not since the start, so a slow first phase does not skew the ETA). */
export class ProgressMeter {
  private samples: { at: number; bytes: number }[] = [];
  private phase = 'starting';
  private bytesDone = 0;
  private bytesTotal = 0;

  constructor(private readonly monotonicNow: () => number = () => performance.now()) {}

  update(phase: string, bytesDone: number, bytesTotal: number): void {
    const at = this.monotonicNow();
    if (phase !== this.phase) this.samples = [];
    this.phase = phase;
    this.bytesDone = bytesDone;
    this.bytesTotal = bytesTotal;
    this.samples.push({ at, bytes: bytesDone });
    while (this.samples.length > 2 && at - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
  }

  snapshot(): JobProgress {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = first && last ? (last.at - first.at) / 1000 : 0;
    const bytesPerSecond = seconds > 0 ? Math.max(0, Math.round((last!.bytes - first!.bytes) / seconds)) : 0;
    const remaining = Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? Math.ceil(remaining / bytesPerSecond) : remaining === 0 && this.bytesTotal > 0 ? 0 : null,
    };
  }
}
