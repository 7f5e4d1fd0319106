import type { VaultTunables } from '../tunables';
import type { BackendCredentials } from './credentials';
import { DeadlineBackend, defaultTimeouts, runWithDeadline, type Timeouts } from './deadline';
import { MeteredBackend } from './metrics';
import { ReadOnlyBackend } from './read-only';
import { openProvider } from './registry';
import { defaultRetry, RetryingBackend, type RetryOptions } from './retry';
import { ThrottledBackend, type SharedPacers } from './throttle';
import type { Backend } from './types';

export { parseLocation, needsCredentials, type ParsedLocation } from './registry';

/**
 * The storage backend alone, without wrappers. A cloud location needs its `credentials`: without them it
 * fails (NOT_SET_UP), never falling back to whatever the process's environment holds.
 */
export function openRawBackend(location: string, credentials: BackendCredentials | null = null): Backend {
  return openProvider(location, credentials);
}

export interface BackendStackOptions {
  /** A cloud vault's credentials (a target's sealed ones, or what the CLI read from its environment). */
  credentials?: BackendCredentials | null;
  /** Where LIFEBOAT_VAULT_* tuning is read (default: this process's environment); never credentials. */
  tunables?: VaultTunables;
  retry?: Partial<RetryOptions>;
  uploadBytesPerSecond?: number | null;
  downloadBytesPerSecond?: number | null;
  /** Pacers shared with other vaults open on the same location (the limits above are then ignored). */
  pacers?: SharedPacers;
  /**
   * Per-request deadlines (deadline.ts): a request with no byte moving for `stallMs` (default 60 s) is
   * abandoned and retried. Without this option, LIFEBOAT_VAULT_STALL_SECONDS in `tunables` may set `stallMs`.
   */
  timeouts?: Partial<Timeouts>;
  /** Opens a read-only view (read-only.ts): every put and delete fails, except of keys under these prefixes. */
  readOnlyExcept?: readonly string[];
  /** Tests wrap the raw backend to inject faults beneath the deadlines and retries. */
  wrapRaw?: (backend: Backend) => Backend;
}

/** The timeouts a stack uses: the option, else LIFEBOAT_VAULT_STALL_SECONDS, else the defaults. */
export function stackTimeouts(options: BackendStackOptions = {}): Timeouts {
  const fromEnv = Number((options.tunables ?? process.env).LIFEBOAT_VAULT_STALL_SECONDS);
  const stallMs = options.timeouts?.stallMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : defaultTimeouts.stallMs);
  return { stallMs, requestDeadlineMs: options.timeouts?.requestDeadlineMs ?? defaultTimeouts.requestDeadlineMs };
}

/**
 * The stack every vault uses: metrics outermost (what the user experiences), then throttling, then retries,
 * then the per-request deadline (each try gets its own), then the read-only view when asked for, then the
 * backend.
 */
export interface BackendStack {
  backend: MeteredBackend;
  throttle: ThrottledBackend;
  raw: Backend;
}

export function openBackendStack(location: string, options: BackendStackOptions = {}): BackendStack {
  const raw = openRawBackend(location, options.credentials ?? null);
  const wrapped = options.wrapRaw ? options.wrapRaw(raw) : raw;
  const viewed = options.readOnlyExcept ? new ReadOnlyBackend(wrapped, options.readOnlyExcept) : wrapped;
  const retrying = new RetryingBackend(new DeadlineBackend(viewed, stackTimeouts(options)), { ...defaultRetry, ...options.retry });
  const throttle = new ThrottledBackend(retrying, {
    uploadBytesPerSecond: options.uploadBytesPerSecond ?? null,
    downloadBytesPerSecond: options.downloadBytesPerSecond ?? null,
    ...(options.pacers ? { pacers: options.pacers } : {}),
  });
  return { backend: new MeteredBackend(throttle), throttle, raw };
}

/**
 * Vault folders, containers and buckets are created by `vault init`, never implicitly by a backup; under the
 * same deadline. Returns the folders made, outermost first (none for an object store).
 */
export async function ensureContainer(raw: Backend, timeouts: Timeouts = stackTimeouts()): Promise<string[]> {
  const { holder } = raw.capabilities;
  return runWithDeadline(timeouts, `create the ${holder === 'folder' ? 'vault folder' : holder}`, '', {}, (options) =>
    raw.capabilities.ensureHolder(options),
  );
}
