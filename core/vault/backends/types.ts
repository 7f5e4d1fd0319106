/**
 * Where a vault's objects live. Every backend (folder, Azure Blob, S3) implements this one small interface,
 * and everything cross-cutting (retries, bandwidth limits, metrics) is a wrapper around it, never an `if`
 * inside a backend.
 *
 * Keys are relative, '/'-separated, made of [A-Za-z0-9._-] segments (e.g. `packs/3f/3f9a…`). Guarantees
 * every backend gives, and the shared suite (test/integration/vault-backends.test.ts) checks:
 * - put is atomic: a reader sees the whole new object or nothing (or the whole old one); a put that fails
 *   or whose process dies leaves no partial object visible under the key.
 * - read-after-write: once put resolves, get/stat/list see the object.
 * - get with a range returns exactly the bytes asked for; a range past the end fails with 'invalid-range'.
 * - missing objects fail get and stat with 'not-found'; delete of a missing object succeeds.
 * - the vault's folder, container or bucket is made only by ensureContainer (`vault init`): a put into one that
 *   has vanished fails (a folder: VAULT_NOT_FOUND) rather than silently making a new, empty one.
 * - list(prefix) returns every object whose key starts with prefix, with its size, in no particular order,
 *   and never temporary files of an unfinished put.
 * - durability: once put resolves the object survives a power cut, except for puts made with
 *   `deferDurability`, which are durable once a later sync() resolves (a folder then flushes many packs at
 *   once instead of one at a time; object stores are durable on every put and sync() does nothing).
 * - every request honours `options.signal` (it reaches the SDK call or the file system call) and reports
 *   bytes as they move through `options.onProgress`, so the deadline wrapper (deadline.ts) can tell a slow
 *   transfer from one that stopped moving.
 * Failures are BackendErrors: 'transient' ones may succeed when retried (network, 5xx, throttling, a request
 * abandoned by its deadline). One exception, outermost: once the retries give up on a backend that stopped
 * answering, the retry wrapper fails with a LifeboatError (BACKEND_UNAVAILABLE) naming the vault and the fix.
 */
export interface Backend {
  /** What the user typed, for messages: a folder path, azblob://…, s3://…. */
  readonly location: string;
  /** What this kind of storage can and cannot do; wrappers pass on those of the backend they wrap. */
  readonly capabilities: BackendCapabilities;
  /** `data` may come in parts (a pack's blobs), written back to back without joining them first. */
  put(key: string, data: PutData, options?: PutOptions): Promise<void>;
  get(key: string, range?: ByteRange, options?: RequestOptions): Promise<Buffer>;
  list(prefix: string, options?: RequestOptions): Promise<ObjectInfo[]>;
  stat(key: string, options?: RequestOptions): Promise<ObjectInfo>;
  delete(key: string, options?: RequestOptions): Promise<void>;
  /** Makes every earlier put made with `deferDurability` durable. */
  sync(options?: RequestOptions): Promise<void>;
  close(): Promise<void>;
}

/**
 * What callers ask of a backend instead of asking which class it is: a wrapped backend (retries, deadlines,
 * a test's fault injection) answers for the storage underneath.
 */
export interface BackendCapabilities {
  /**
   * The folder on this machine's file system (a local disk or a mounted share) that holds the objects, or
   * null for an object store: free space and bytes used are read from the folder directly.
   */
  readonly localRoot: string | null;
  /** What the objects live in, for messages: the folder, the container, the bucket. */
  readonly holder: 'folder' | 'container' | 'bucket';
  /**
   * Whether a put made with `deferDurability` can be left torn by a power cut until sync() (a folder flushes
   * packs in batches). Object stores never show part of an object.
   */
  readonly tornUntilSynced: boolean;
  /**
   * Makes the folder, container or bucket, where missing (`vault init` and the target probe only). Returns
   * the folders it made, outermost first (none for an object store), so a probe can remove exactly those.
   */
  ensureHolder(options?: RequestOptions): Promise<string[]>;
  /** Removes what puts killed mid-way left behind, once older than `olderThanMs` (a folder's temporary files). */
  removeLeftovers(olderThanMs: number): Promise<void>;
}

/** What every request may carry. */
export interface RequestOptions {
  /** Aborts the request: the backend passes it to the SDK call (or checks it between file system calls). */
  signal?: AbortSignal;
  /**
   * Told whenever bytes move for this request, either way (body sent to the socket, response bytes read,
   * a file system call returned). Only the deadline wrapper listens: it abandons a request that stays silent.
   */
  onProgress?: (bytes: number) => void;
}

export type PutData = Buffer | readonly Buffer[];

export function byteLength(data: PutData): number {
  return Buffer.isBuffer(data) ? data.length : data.reduce((sum, part) => sum + part.length, 0);
}

export function joined(data: PutData): Buffer {
  return Buffer.isBuffer(data) ? data : data.length === 1 ? data[0]! : Buffer.concat(data);
}

export interface PutOptions extends RequestOptions {
  /** Durable only after the next sync(): for packs, which no index names until then. */
  deferDurability?: boolean;
  /** Told of bytes as they go out, so an upload slowed by a bandwidth limit still shows progress. */
  onSent?: (bytes: number) => void;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** When the object was last written (ms since the epoch), where the listing says: prune's minimum age reads it. */
  modified?: number;
}

export type BackendErrorKind = 'not-found' | 'invalid-range' | 'transient' | 'permanent' | 'access-denied' | 'full';

export class BackendError extends Error {
  constructor(
    readonly kind: BackendErrorKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackendError';
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof BackendError && error.kind === 'not-found';
}

const KEY = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** Keys are built by the vault, never by users; a bad one is a bug worth failing loudly on. */
export function checkKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new BackendError('permanent', `Invalid object key "${key}".`);
  }
}

/** Network-level failures that are worth another try, whatever library raised them. */
export function isTransientNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EAI_AGAIN',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ECONNABORTED',
      'UND_ERR_SOCKET',
      'REQUEST_SEND_ERROR',
    ].includes(code)
  );
}
