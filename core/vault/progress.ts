import { RateWindow } from '../rate-window';

/** What every long vault operation reports: bytes done of a total, the rate, and when it should end. */
export interface VaultProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Backups: bytes read from the disk so far (bytesDone counts only what is safely in the vault). */
  bytesRead?: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: VaultProgress) => void;
}

/** Turns byte counts into throttled progress reports (at most every `everyMs`, and always the last one). */
export class ProgressMeter {
  private done = 0;
  private lastReport = 0;
  private readonly rate = new RateWindow();

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
    this.rate.add(now, this.done);
    const rate = this.rate.perSecond();
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

const SAMPLE_EVERY_MS = 100;

/**
 * A backup's progress as the user means it: bytes safely in the vault, of the bytes to read. Zero and
 * already-stored blocks count when read; new ones only as their pack goes out, so under a bandwidth limit
 * the bar does not race ahead to 100% and then wait. The ETA is the later of "read the rest" and "send
 * what is buffered plus the new share of the rest", each at its rate over the last ten seconds.
 */
export class CopyMeter {
  private read = 0;
  private newRaw = 0;
  private sentRaw = 0;
  private sentSealed = 0;
  private sending = false;
  private lastReport = 0;
  private lastSample = -Infinity;
  private readonly readRate = new RateWindow();
  private readonly sendRawRate = new RateWindow();
  private readonly wireRate = new RateWindow();

  constructor(
    private readonly total: number,
    private readonly report: ((progress: VaultProgress) => void) | undefined,
    private readonly everyMs = 250,
  ) {}

  /** A block read and handled: `isNew` when it goes into a pack (it counts as done once sent). */
  committed(bytes: number, isNew: boolean): void {
    this.read += bytes;
    if (isNew) this.newRaw += bytes;
    this.tick(false);
  }

  /** Pack bytes sent: `sealed` on the wire, `raw` the share of the blocks' plain bytes they carry. */
  sent(sealed: number, raw: number): void {
    this.sentSealed += sealed;
    this.sentRaw += raw;
    this.tick(false);
  }

  /** Everything is read; what is left is sending the last packs. */
  readingDone(): void {
    this.sending = true;
    this.tick(true);
  }

  finish(): void {
    this.sentRaw = this.newRaw;
    this.tick(true);
  }

  private tick(force: boolean): void {
    const now = performance.now();
    if (now - this.lastSample >= SAMPLE_EVERY_MS || force) {
      this.lastSample = now;
      this.readRate.add(now, this.read);
      this.sendRawRate.add(now, this.sentRaw);
      this.wireRate.add(now, this.sentSealed);
    }
    if (!this.report || (!force && now - this.lastReport < this.everyMs)) return;
    this.lastReport = now;
    this.report(this.snapshot());
  }

  private snapshot(): VaultProgress {
    const unread = Math.max(0, this.total - this.read);
    const unsent = Math.max(0, this.newRaw - this.sentRaw);
    const newShare = this.read > 0 ? this.newRaw / this.read : 1;
    const toSend = unsent + unread * newShare;
    const readRate = this.readRate.perSecond();
    const sendRate = this.sendRawRate.perSecond();
    const readEta = unread === 0 ? 0 : readRate > 0 ? unread / readRate : null;
    const sendEta = toSend === 0 ? 0 : sendRate > 0 ? toSend / sendRate : null;
    const wire = this.wireRate.perSecond();
    return {
      phase: this.sending ? 'upload' : 'backup',
      bytesDone: Math.round(this.read - unsent),
      bytesTotal: this.total,
      bytesPerSecond: Math.round(wire > 0 ? wire : readRate),
      etaSeconds: readEta === null || sendEta === null ? null : Math.ceil(Math.max(readEta, sendEta)),
      bytesRead: this.read,
    };
  }
}
