/** What every long vault operation reports: bytes done of a total, the rate, and when it should end. */
export interface VaultProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: VaultProgress) => void;
}

/** Turns byte counts into throttled progress reports (at most every `everyMs`, and always the last one). */
export class ProgressMeter {
  private done = 0;
  private lastReport = 0;
  private readonly started = performance.now();

  constructor(
    private readonly phase: string,
    private total: number,
    private readonly report: ((progress: VaultProgress) => void) | undefined,
    private readonly everyMs = 250,
  ) {}

  get bytesDone(): number {
    return this.done;
  }

  setTotal(total: number): void {
    this.total = total;
  }

  add(bytes: number): void {
    this.done += bytes;
    const now = performance.now();
    if (this.report && now - this.lastReport >= this.everyMs) {
      this.lastReport = now;
      this.report(this.snapshot(now));
    }
  }

  finish(): void {
    this.report?.(this.snapshot(performance.now()));
  }

  private snapshot(now: number): VaultProgress {
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const left = Math.max(0, this.total - this.done);
    return {
      phase: this.phase,
      bytesDone: this.done,
      bytesTotal: this.total,
      bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round(left / rate) : null,
    };
  }
}
