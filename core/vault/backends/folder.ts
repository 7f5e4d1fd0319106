import { randomBytes } from 'node:crypto';
import nodeFs from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../../contract/errors';
import {
  BackendError,
  checkKey,
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  type ObjectInfo,
  type PutData,
  type PutOptions,
  type RequestOptions,
} from './types';

const TEMP_PREFIX = '.tmp-';

/** The file system calls a folder backend makes; node:fs/promises unless a test injects another. */
export type FolderFs = Pick<typeof nodeFs, 'open' | 'mkdir' | 'rename' | 'rm' | 'stat' | 'readdir'>;

export interface FolderOptions {
  fs?: FolderFs;
}

/**
 * A folder on a local disk or an SMB share (UNC path). Atomic put: the bytes go to a temporary file in the
 * destination folder, are flushed to stable storage, and the file is renamed over the key; the folder entry
 * is flushed too where the OS allows (POSIX). A crash leaves at most a `.tmp-*` file, which list() never
 * shows and the vault's prune removes.
 *
 * A share that stops answering blocks file system calls in the kernel (open, write, fsync on a hung SMB or
 * NFS mount), and no call can be cancelled once it has started: Node runs it on one of libuv's threads
 * (4 by default, shared by every file system call, DNS lookup and zlib job of the process). So, when a
 * request's signal aborts (the deadline wrapper abandoned it, or the user cancelled):
 * - the call under way is abandoned, not waited for: it keeps its thread until the OS returns it; when it
 *   does, a file it opened is closed (and a temporary file removed), and the request makes no further call;
 * - until every abandoned call has returned, new calls of this backend wait (abortably, holding no thread)
 *   rather than start: a frozen share then holds at most the calls under way when it froze, never the whole
 *   thread pool, so reads of the source disk and everything else go on and the run fails in bounded time;
 * - an abandoned rename may still land later: the object then appears whole (put stays atomic), as after a
 *   network put whose reply was lost.
 */
export class FolderBackend implements Backend {
  /** Files (and their folders) put with deferDurability and not flushed yet. */
  private readonly unsynced = new Set<string>();
  private readonly fs: FolderFs;
  /** Calls abandoned by their request that the OS has not returned yet (settle when it does). */
  private readonly stuck = new Set<Promise<void>>();

  constructor(
    readonly root: string,
    options: FolderOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
  }

  /** Calls abandoned and not yet returned by the OS: the share is (or was) not answering. */
  get abandonedCalls(): number {
    return this.stuck.size;
  }

  /** Resolves once every abandoned call has returned and cleaned up after itself. */
  async abandonedCallsReturned(): Promise<void> {
    while (this.stuck.size > 0) await Promise.allSettled([...this.stuck]);
  }

  /**
   * One file system call on behalf of a request: started only once no abandoned call is outstanding, never
   * after the request was aborted, and abandoned (awaited no longer, `late` cleaning up its result) when the
   * request aborts while it runs.
   */
  private async io<T>(options: RequestOptions, call: () => Promise<T>, late?: (value: T) => unknown): Promise<T> {
    const { signal } = options;
    while (this.stuck.size > 0) await untilAborted(Promise.race(this.stuck), signal);
    signal?.throwIfAborted();
    const pending = call();
    if (!signal) return pending;
    const onAbort = (): void => {
      const settled: Promise<void> = pending
        .then(
          (value) => late?.(value),
          () => undefined,
        )
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => this.stuck.delete(settled));
      this.stuck.add(settled);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const value = await untilAborted(pending, signal);
      options.onProgress?.(0);
      return value;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  get location(): string {
    return this.root;
  }

  get capabilities(): BackendCapabilities {
    return {
      localRoot: this.root,
      holder: 'folder',
      tornUntilSynced: true,
      ensureHolder: (options) => this.ensureRoot(options),
      removeLeftovers: async (olderThanMs) => {
        for (const file of await this.staleTemporaryFiles(olderThanMs)) await this.io({}, () => this.fs.rm(file, { force: true }));
      },
    };
  }

  private file(key: string): string {
    checkKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: PutData, options: PutOptions = {}): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
    const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const removeTemp = (): Promise<void> => this.fs.rm(temp, { force: true }).catch(() => undefined);
    try {
      await this.makeFolders(dir, options, this.root);
      const handle = await this.io(
        options,
        () => this.fs.open(temp, 'wx'),
        (late) => late.close().finally(removeTemp),
      );
      try {
        for (const part of Buffer.isBuffer(data) ? [data] : data) {
          let done = 0;
          while (done < part.length) {
            const { bytesWritten } = await this.io(options, () => handle.write(part, done, Math.min(part.length - done, 8 << 20)));
            done += bytesWritten;
            options.onProgress?.(bytesWritten);
          }
        }
        if (!options.deferDurability) await this.io(options, () => handle.datasync());
      } finally {
        await this.closeHandle(handle, options);
      }
      await this.io(options, () => this.fs.rename(temp, target));
      if (options.deferDurability) this.unsynced.add(target);
      else await this.syncFolder(dir, options);
    } catch (error) {
      // Abandoned: cleaning up would only queue behind the call that is stuck; it happens when that returns.
      const cleanup = this.io({}, removeTemp);
      if (!options.signal?.aborted) await cleanup;
      throw await this.failure(error, key, options);
    }
  }

  /**
   * Creates the vault folder itself (`vault init` only; every other write refuses to, so a vault folder that
   * was deleted, or a share that is not mounted, is never silently replaced by an empty one). Returns the
   * folders it made, outermost first, so a caller that only tried the location can remove exactly those.
   */
  async ensureRoot(options: RequestOptions = {}): Promise<string[]> {
    try {
      const made = await this.makeFolders(this.root, options, null);
      if (!(await this.io(options, () => this.fs.stat(this.root))).isDirectory())
        throw new BackendError('permanent', `${this.root} is a file, not a folder.`);
      return made;
    } catch (error) {
      throw mapError(error, '.');
    }
  }

  /**
   * Creates `dir` and the folders above it that are missing, one level at a time and never above `base`:
   * when `base` itself is missing the call fails as VAULT_NOT_FOUND. (One level at a time, also because
   * Node's recursive mkdir never returns for a path under /proc.) Returns the folders made, outermost first.
   */
  private async makeFolders(dir: string, options: RequestOptions, base: string | null): Promise<string[]> {
    if (dir === base) {
      if (!(await this.rootExists(options))) throw vaultFolderGone(this.root);
      return [];
    }
    try {
      await this.io(options, () => this.fs.mkdir(dir));
      return [dir];
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return [];
      const parent = path.dirname(dir);
      if (code !== 'ENOENT' || parent === dir) throw error;
      const made = await this.makeFolders(parent, options, base);
      const mine = await this.io(options, () => this.fs.mkdir(dir)).then(
        () => true,
        (again: unknown) => ((again as NodeJS.ErrnoException).code === 'EEXIST' ? false : Promise.reject(again as Error)),
      );
      return mine ? [...made, dir] : made;
    }
  }

  /** What a failed call means: a missing file is a missing object, unless the whole vault folder is gone. */
  private async failure(error: unknown, key: string, options: RequestOptions): Promise<BackendError | LifeboatError> {
    const code = (error as NodeJS.ErrnoException).code;
    // After an abort the share may be frozen: looking at it again would only wait behind the stuck call.
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !options.signal?.aborted && !(await this.rootExists(options)))
      return vaultFolderGone(this.root);
    return mapError(error, key);
  }

  /** Closes a handle; after an abort without waiting (the close runs once abandoned calls have returned). */
  private async closeHandle(handle: nodeFs.FileHandle, options: RequestOptions): Promise<void> {
    const closing = this.io({}, () => handle.close()).catch(() => undefined);
    if (!options.signal?.aborted) await closing;
  }

  async get(key: string, range?: ByteRange, options: RequestOptions = {}): Promise<Buffer> {
    let handle: nodeFs.FileHandle;
    try {
      const file = this.file(key);
      handle = await this.io(
        options,
        () => this.fs.open(file, 'r'),
        (late) => late.close(),
      );
    } catch (error) {
      throw await this.failure(error, key, options);
    }
    try {
      const size = (await this.io(options, () => handle.stat())).size;
      const offset = range?.offset ?? 0;
      const length = range ? range.length : size;
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new BackendError('invalid-range', `Range ${offset}+${length} is outside ${key} (${size} bytes).`);
      }
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await this.io(options, () => handle.read(buffer, done, Math.min(length - done, 8 << 20), offset + done));
        if (bytesRead === 0) throw new BackendError('transient', `${key} shrank while being read.`);
        done += bytesRead;
        options.onProgress?.(bytesRead);
      }
      return buffer;
    } catch (error) {
      throw await this.failure(error, key, options);
    } finally {
      await this.closeHandle(handle, options);
    }
  }

  async list(prefix: string, options: RequestOptions = {}): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const out: ObjectInfo[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries;
      try {
        const dir = path.join(this.root, ...relative.split('/').filter(Boolean));
        entries = await this.io(options, () => this.fs.readdir(dir, { withFileTypes: true }));
      } catch (error) {
        if (
          (error as NodeJS.ErrnoException).code === 'ENOENT' &&
          (relative !== '' || options.signal?.aborted || (await this.rootExists(options)))
        )
          return;
        throw await this.failure(error, relative || '.', options);
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const key = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const file = path.join(this.root, ...key.split('/'));
          const stat = await this.io(options, () => this.fs.stat(file)).catch((error: unknown) =>
            options.signal?.aborted ? Promise.reject(mapError(error, key)) : null,
          );
          if (stat) out.push({ key, size: stat.size, modified: stat.mtimeMs });
        }
      }
    };
    await walk(base);
    return out;
  }

  async stat(key: string, options: RequestOptions = {}): Promise<ObjectInfo> {
    try {
      const file = this.file(key);
      const stat = await this.io(options, () => this.fs.stat(file));
      if (!stat.isFile()) throw new BackendError('not-found', `${key} is not an object.`);
      return { key, size: stat.size };
    } catch (error) {
      throw await this.failure(error, key, options);
    }
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    try {
      const file = this.file(key);
      await this.io(options, () => this.fs.rm(file, { force: true }));
    } catch (error) {
      throw await this.failure(error, key, options);
    }
  }

  /** Temporary files older than `olderThanMs` (left by a killed put); prune removes them. */
  async staleTemporaryFiles(olderThanMs: number, now = Date.now()): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await this.io({}, () => this.fs.readdir(dir, { withFileTypes: true })).catch(() => []);
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.startsWith(TEMP_PREFIX)) {
          const stat = await this.io({}, () => this.fs.stat(full)).catch(() => null);
          if (stat && now - stat.mtimeMs > olderThanMs) found.push(full);
        }
      }
    };
    await walk(this.root);
    return found;
  }

  async sync(options: RequestOptions = {}): Promise<void> {
    const files = [...this.unsynced];
    this.unsynced.clear();
    try {
      // Flushing many files at once lets the OS write them out together, far faster than one by one.
      await mapConcurrent(files, 8, async (file) => {
        const handle = await this.io(
          options,
          () => this.fs.open(file, 'r'),
          (late) => late.close(),
        );
        try {
          await this.io(options, () => handle.datasync());
        } finally {
          await this.closeHandle(handle, options);
        }
      });
      await mapConcurrent([...new Set(files.map((file) => path.dirname(file)))], 8, (dir) => this.syncFolder(dir, options));
    } catch (error) {
      for (const file of files) this.unsynced.add(file);
      throw await this.failure(error, 'sync', options);
    }
  }

  async close(): Promise<void> {}

  private async rootExists(options: RequestOptions): Promise<boolean> {
    return this.io(options, () => this.fs.stat(this.root)).then(
      (stat) => stat.isDirectory(),
      () => false,
    );
  }

  private async syncFolder(dir: string, options: RequestOptions): Promise<void> {
    if (process.platform === 'win32') return; // NTFS/SMB: the rename is durable with the file; folders cannot be opened
    const handle = await this.io(
      options,
      () => this.fs.open(dir, 'r'),
      (late) => late.close(),
    );
    try {
      await this.io(options, () => handle.sync());
    } catch (error) {
      // Some network filesystems refuse fsync on a folder; the rename has still happened.
      if (options.signal?.aborted) throw error;
    } finally {
      await this.closeHandle(handle, options);
    }
  }
}

/** `promise`, or the signal's reason as soon as it aborts (the promise then goes on unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

async function mapConcurrent<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export function vaultFolderGone(root: string): LifeboatError {
  return new LifeboatError(
    'VAULT_NOT_FOUND',
    `There is no vault at ${root}: the folder does not exist. If it held your vault, it was deleted or moved, or the share or disk it is on is not connected.`,
    {
      fix: `Reconnect the share or disk, or put the folder back (Lifeboat never recreates a vault folder: an empty new one would hide that its recovery points are missing). For a new vault, run \`lifeboat vault init ${root}\`.`,
    },
  );
}

function mapError(error: unknown, key: string): BackendError | LifeboatError {
  if (error instanceof BackendError || error instanceof LifeboatError) return error;
  if ((error as Error)?.name === 'AbortError') return new BackendError('permanent', 'Cancelled.', { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new BackendError('not-found', `${key} does not exist.`, { cause: error });
    case 'ENOSPC':
    case 'EDQUOT':
      return new BackendError('full', `The vault's disk is full (${message}).`, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new BackendError('access-denied', `Access denied: ${message}.`, { cause: error });
    case 'EIO':
    case 'EAGAIN':
    case 'EBUSY':
    case 'ETIMEDOUT':
    case 'ENOTCONN':
    case 'EHOSTDOWN':
    case 'ESTALE':
    case 'ECONNRESET':
    case 'ENETUNREACH':
      return new BackendError('transient', message, { cause: error });
    default:
      return new BackendError('permanent', message, { cause: error });
  }
}
