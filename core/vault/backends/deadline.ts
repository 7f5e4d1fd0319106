import { LifeboatError } from '../../contract/errors';
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

/**
 * No byte moved, either way, for this long: the request is abandoned as stalled. This is what a WAN link or
 * VPN that drops silently, a frozen storage endpoint or a hung SMB share look like — no error ever comes.
 */
export const DEFAULT_STALL_MS = 60_000;
/** No single request may take longer than this however its bytes trickle (a 32 MiB pack then needs ~18 KiB/s). */
export const DEFAULT_REQUEST_DEADLINE_MS = 30 * 60_000;

export interface Timeouts {
  /** Abandon a request once no byte has moved for this long. */
  stallMs: number;
  /** Abandon a request that has not finished after this long, moving or not. */
  requestDeadlineMs: number;
}

export const defaultTimeouts: Timeouts = { stallMs: DEFAULT_STALL_MS, requestDeadlineMs: DEFAULT_REQUEST_DEADLINE_MS };

/** A request this wrapper abandoned: retryable (the link may come back), and recognised when retries give up. */
export class BackendTimeout extends BackendError {
  constructor(
    readonly reason: 'stalled' | 'deadline',
    readonly operation: string,
    readonly key: string,
    /** The stall timeout or the request deadline that was exceeded. */
    readonly afterMs: number,
  ) {
    super(
      'transient',
      reason === 'stalled'
        ? `${operation} ${key || '(root)'}: no data moved for ${seconds(afterMs)}`
        : `${operation} ${key || '(root)'}: not finished after ${seconds(afterMs)}`,
    );
    this.name = 'BackendTimeout';
  }
}

export function seconds(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** What the retry wrapper throws once every try of a request was abandoned by its deadline. */
export function stoppedAnswering(location: string, timeout: BackendTimeout, tries: number): LifeboatError {
  const what =
    timeout.reason === 'stalled'
      ? `The vault ${location} stopped answering: no data moved for ${seconds(timeout.afterMs)}, ${tries} tries`
      : `The vault ${location} is too slow: a request did not finish within ${seconds(timeout.afterMs)}, ${tries} tries`;
  return new LifeboatError('BACKEND_UNAVAILABLE', `${what} (${timeout.operation} ${timeout.key || '(root)'}).`, {
    fix: 'Check the network path to the storage (VPN or WAN link, firewall, proxy) and that the storage account, bucket or share responds; the next copy reuses what was uploaded.',
    cause: timeout,
  });
}

/**
 * Gives every request a deadline: it is abandoned with a BackendTimeout once no byte has moved for
 * `stallMs` (the backend reports movement through `onProgress`), or once it has run `requestDeadlineMs`.
 * Abandoning aborts the request's signal, which the backend passed to the SDK (the socket is destroyed) or
 * checks between file system calls; this wrapper does not wait for that to take effect, so a call that
 * ignores its signal (a file system call blocked in the kernel) cannot hold the run. Sits beneath the
 * retries, so each try gets its own deadline.
 */
export class DeadlineBackend implements Backend {
  constructor(
    private readonly inner: Backend,
    private readonly timeouts: Timeouts = defaultTimeouts,
  ) {}

  get location(): string {
    return this.inner.location;
  }

  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  put(key: string, data: PutData, options?: PutOptions): Promise<void> {
    return runWithDeadline(this.timeouts, 'put', key, options, (request) => this.inner.put(key, data, request));
  }

  get(key: string, range?: ByteRange, options?: RequestOptions): Promise<Buffer> {
    return runWithDeadline(this.timeouts, 'get', key, options, (request) => this.inner.get(key, range, request));
  }

  list(prefix: string, options?: RequestOptions): Promise<ObjectInfo[]> {
    return runWithDeadline(this.timeouts, 'list', prefix, options, (request) => this.inner.list(prefix, request));
  }

  stat(key: string, options?: RequestOptions): Promise<ObjectInfo> {
    return runWithDeadline(this.timeouts, 'stat', key, options, (request) => this.inner.stat(key, request));
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    return runWithDeadline(this.timeouts, 'delete', key, options, (request) => this.inner.delete(key, request));
  }

  sync(options?: RequestOptions): Promise<void> {
    return runWithDeadline(this.timeouts, 'sync', '', options, (request) => this.inner.sync(request));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * One request under a deadline (what DeadlineBackend does for each call; also used for calls outside the
 * stack, such as creating the container at `vault init`). Resolves or rejects with the request, or rejects
 * with a BackendTimeout as soon as it is abandoned, or with the caller's abort reason.
 */
export function runWithDeadline<T, O extends RequestOptions>(
  timeouts: Timeouts,
  operation: string,
  key: string,
  options: O | undefined,
  work: (options: O) => Promise<T>,
): Promise<T> {
  const outer = options?.signal;
  if (outer?.aborted) return Promise.reject(outer.reason as Error);
  const { stallMs, requestDeadlineMs } = timeouts;
  const controller = new AbortController();
  const started = performance.now();
  let last = started;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
      action();
    };
    const abandon = (reason: unknown): void => {
      settle(() => reject(reason));
      controller.abort(reason);
    };
    const onOuterAbort = (): void => abandon(outer!.reason);
    const check = (): void => {
      const now = performance.now();
      if (now - started >= requestDeadlineMs) return abandon(new BackendTimeout('deadline', operation, key, requestDeadlineMs));
      if (now - last >= stallMs) return abandon(new BackendTimeout('stalled', operation, key, stallMs));
      timer = setTimeout(check, Math.max(1, Math.min(stallMs - (now - last), requestDeadlineMs - (now - started))));
    };
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    timer = setTimeout(check, Math.min(stallMs, requestDeadlineMs));
    const onProgress = (bytes: number): void => {
      last = performance.now();
      options?.onProgress?.(bytes);
    };
    let pending: Promise<T>;
    try {
      pending = work({ ...(options ?? ({} as O)), signal: controller.signal, onProgress });
    } catch (error) {
      pending = Promise.reject(error as Error);
    }
    pending.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
