import { sleep } from './retry';
import {
  byteLength,
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  type ObjectInfo,
  type PutData,
  type PutOptions,
  type RequestOptions,
} from './types';

/**
 * Bytes are paced in slices of at most a quarter second at the current rate (and at most 1 MiB), so a new
 * limit takes effect, and progress moves, within a fraction of a second rather than once a pack.
 */
const MAX_SLICE = 1 << 20;
const SLICES_PER_SECOND = 4;
/** Objects smaller than this (metadata) go at once; their bytes still push later transfers back. */
const SMALL_TRANSFER = 64 * 1024;

/**
 * A pacer for one direction: each transfer reserves its bytes on a virtual timeline at the current rate and
 * waits until its reservation ends. No burst allowance: the average over a run equals the limit.
 */
export class RatePacer {
  private nextFree = 0;

  constructor(private bytesPerSecond: number | null = null) {}

  get limit(): number | null {
    return this.bytesPerSecond;
  }

  /** null or 0 lifts the limit; takes effect for the next slice, also of transfers already waiting. */
  setLimit(bytesPerSecond: number | null): void {
    this.bytesPerSecond = bytesPerSecond && bytesPerSecond > 0 ? bytesPerSecond : null;
  }

  /** Waits until `bytes` may go; returns how many were paced (the rest, if the limit was lifted, go at once). */
  async take(bytes: number, signal?: AbortSignal, onSlice?: (bytes: number) => void): Promise<number> {
    if (this.bytesPerSecond !== null && bytes < SMALL_TRANSFER) {
      // An index, block list or manifest does not queue behind other copies' pack slices (which would add a
      // quarter second each to the end of every copy); its bytes still count against the limit.
      this.nextFree = Math.max(performance.now(), this.nextFree) + (bytes / this.bytesPerSecond) * 1000;
      onSlice?.(bytes);
      return bytes;
    }
    let left = bytes;
    while (left > 0) {
      const rate = this.bytesPerSecond;
      if (rate === null) break;
      const slice = Math.min(left, MAX_SLICE, Math.max(1, Math.floor(rate / SLICES_PER_SECOND)));
      const now = performance.now();
      const start = Math.max(now, this.nextFree);
      this.nextFree = start + (slice / rate) * 1000;
      const wait = this.nextFree - now;
      if (wait > 1) await sleep(wait, signal);
      left -= slice;
      onSlice?.(slice);
    }
    return bytes - left;
  }
}

/** Pacers one location's vaults share, so copies running side by side split its limit instead of each taking it. */
export interface SharedPacers {
  upload: RatePacer;
  download: RatePacer;
}

/** Bandwidth limits (upload and download, bytes/s) as a wrapper; limits can change while a run goes on. */
export class ThrottledBackend implements Backend {
  readonly upload: RatePacer;
  readonly download: RatePacer;

  constructor(
    private readonly inner: Backend,
    limits: { uploadBytesPerSecond?: number | null; downloadBytesPerSecond?: number | null; pacers?: SharedPacers } = {},
  ) {
    this.upload = limits.pacers?.upload ?? new RatePacer(limits.uploadBytesPerSecond ?? null);
    this.download = limits.pacers?.download ?? new RatePacer(limits.downloadBytesPerSecond ?? null);
  }

  get location(): string {
    return this.inner.location;
  }

  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  async put(key: string, data: PutData, options: PutOptions = {}): Promise<void> {
    const { onSent, ...inner } = options;
    const length = byteLength(data);
    const paced = await this.upload.take(length, options.signal, onSent);
    await this.inner.put(key, data, inner);
    if (paced < length) onSent?.(length - paced);
  }

  async get(key: string, range?: ByteRange, options?: RequestOptions): Promise<Buffer> {
    await this.download.take(range?.length ?? 0, options?.signal);
    const data = await this.inner.get(key, range, options);
    if (!range) await this.download.take(data.length, options?.signal);
    return data;
  }

  list(prefix: string, options?: RequestOptions): Promise<ObjectInfo[]> {
    return this.inner.list(prefix, options);
  }

  stat(key: string, options?: RequestOptions): Promise<ObjectInfo> {
    return this.inner.stat(key, options);
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    return this.inner.delete(key, options);
  }

  sync(options?: RequestOptions): Promise<void> {
    return this.inner.sync(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
