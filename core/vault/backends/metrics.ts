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

export interface BackendMetrics {
  puts: number;
  bytesPut: number;
  gets: number;
  bytesGot: number;
  lists: number;
  stats: number;
  deletes: number;
  errors: number;
  /** Wall time from the start of the first put to the end of the last: the measured upload rate's denominator. */
  uploadSeconds: number;
}

/** Counts what crosses the wire (outermost wrapper: it sees throttled, retried operations as the user does). */
export class MeteredBackend implements Backend {
  private counters = { puts: 0, bytesPut: 0, gets: 0, bytesGot: 0, lists: 0, stats: 0, deletes: 0, errors: 0 };
  private firstPutStart: number | null = null;
  private lastPutEnd: number | null = null;

  constructor(private readonly inner: Backend) {}

  get location(): string {
    return this.inner.location;
  }

  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  snapshot(): BackendMetrics {
    const uploadSeconds = this.firstPutStart !== null && this.lastPutEnd !== null ? (this.lastPutEnd - this.firstPutStart) / 1000 : 0;
    return { ...this.counters, uploadSeconds };
  }

  reset(): void {
    this.counters = { puts: 0, bytesPut: 0, gets: 0, bytesGot: 0, lists: 0, stats: 0, deletes: 0, errors: 0 };
    this.firstPutStart = this.lastPutEnd = null;
  }

  private async count<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.counters.errors++;
      throw error;
    }
  }

  async put(key: string, data: PutData, options?: PutOptions): Promise<void> {
    this.firstPutStart ??= performance.now();
    await this.count(() => this.inner.put(key, data, options));
    this.lastPutEnd = performance.now();
    this.counters.puts++;
    this.counters.bytesPut += byteLength(data);
  }

  async get(key: string, range?: ByteRange, options?: RequestOptions): Promise<Buffer> {
    const data = await this.count(() => this.inner.get(key, range, options));
    this.counters.gets++;
    this.counters.bytesGot += data.length;
    return data;
  }

  list(prefix: string, options?: RequestOptions): Promise<ObjectInfo[]> {
    this.counters.lists++;
    return this.count(() => this.inner.list(prefix, options));
  }

  stat(key: string, options?: RequestOptions): Promise<ObjectInfo> {
    this.counters.stats++;
    return this.count(() => this.inner.stat(key, options));
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    this.counters.deletes++;
    return this.count(() => this.inner.delete(key, options));
  }

  sync(options?: RequestOptions): Promise<void> {
    return this.inner.sync(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
