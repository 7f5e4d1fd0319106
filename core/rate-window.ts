/** Rates are judged over the last ten seconds: long enough to smooth pack-sized bursts, short enough to follow a change. */
export const RATE_WINDOW_MS = 10_000;

/**
 * A counter's rate over a sliding window of recent samples, not since the start: a resumed copy that skips
 * what is already stored, or a slow first phase, does not skew the rate (and the ETA) for the rest of the run.
 */
export class RateWindow {
  private samples: { at: number; value: number }[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  add(at: number, value: number): void {
    this.samples.push({ at, value });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  /** Units per second between the oldest and newest sample in the window; 0 until two samples differ in time. */
  perSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return Math.max(0, ((last.value - first.value) * 1000) / (last.at - first.at));
  }
}
