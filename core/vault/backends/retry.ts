import { BackendTimeout, stoppedAnswering } from './deadline';
import {
  BackendError,
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  type ObjectInfo,
  type PutData,
  type PutOptions,
  type RequestOptions,
} from './types';

export interface RetryOptions {
  /** Total tries of one operation, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told before each wait, for logs and progress ("retrying in 4 s"). */
  onRetry?: (info: { operation: string; key: string; attempt: number; delayMs: number; error: BackendError }) => void;
}

/** About 30 s of trying before a run gives up on an unreachable vault. */
export const defaultRetry: RetryOptions = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 15_000 };

/**
 * Retries transient failures with exponential backoff and jitter. Anything else (not found, access denied,
 * disk full, invalid range) is final at once: retrying would only delay the message the user needs. When
 * the last try was abandoned by its deadline (deadline.ts), the failure is BACKEND_UNAVAILABLE naming the
 * vault ("stopped answering: no data moved for 60 s, 3 tries") with the fix, not a bare network message.
 */
export class RetryingBackend implements Backend {
  constructor(
    private readonly inner: Backend,
    private readonly options: RetryOptions = defaultRetry,
  ) {}

  get location(): string {
    return this.inner.location;
  }

  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  private async retry<T>(operation: string, key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof BackendError) || error.kind !== 'transient' || signal?.aborted) throw error;
        if (attempt >= this.options.attempts) {
          if (error instanceof BackendTimeout) throw stoppedAnswering(this.location, error, attempt);
          throw new BackendError('transient', `${error.message} (gave up after ${attempt} tries)`, { cause: error });
        }
        const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.options.onRetry?.({ operation, key, attempt, delayMs, error });
        await sleep(delayMs, signal);
      }
    }
  }

  put(key: string, data: PutData, options?: PutOptions): Promise<void> {
    return this.retry('put', key, () => this.inner.put(key, data, options), options?.signal);
  }

  get(key: string, range?: ByteRange, options?: RequestOptions): Promise<Buffer> {
    return this.retry('get', key, () => this.inner.get(key, range, options), options?.signal);
  }

  list(prefix: string, options?: RequestOptions): Promise<ObjectInfo[]> {
    return this.retry('list', prefix, () => this.inner.list(prefix, options), options?.signal);
  }

  stat(key: string, options?: RequestOptions): Promise<ObjectInfo> {
    return this.retry('stat', key, () => this.inner.stat(key, options), options?.signal);
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    return this.retry('delete', key, () => this.inner.delete(key, options), options?.signal);
  }

  sync(options?: RequestOptions): Promise<void> {
    return this.retry('sync', '', () => this.inner.sync(options), options?.signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
