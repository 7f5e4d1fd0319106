import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BackendError, checkKey, type Backend, type ByteRange, type ObjectInfo, type PutData, type PutOptions } from './types';

const TEMP_PREFIX = '.tmp-';

/**
 * A folder on a local disk or an SMB share (UNC path). Atomic put: the bytes go to a temporary file in the
 * destination folder, are flushed to stable storage, and the file is renamed over the key; the folder entry
 * is flushed too where the OS allows (POSIX). A crash leaves at most a `.tmp-*` file, which list() never
 * shows and the vault's prune removes.
 */
export class FolderBackend implements Backend {
  /** Files (and their folders) put with deferDurability and not flushed yet. */
  private readonly unsynced = new Set<string>();

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private file(key: string): string {
    checkKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: PutData, options: PutOptions = {}): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
    const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const handle = await fs.open(temp, 'wx');
      try {
        for (const part of Buffer.isBuffer(data) ? [data] : data) {
          let done = 0;
          while (done < part.length) {
            options.signal?.throwIfAborted();
            const { bytesWritten } = await handle.write(part, done, Math.min(part.length - done, 8 << 20));
            done += bytesWritten;
          }
        }
        if (!options.deferDurability) await handle.datasync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
      if (options.deferDurability) this.unsynced.add(target);
      else await syncFolder(dir);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw mapError(error, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file(key), 'r');
    } catch (error) {
      throw mapError(error, key);
    }
    try {
      const size = (await handle.stat()).size;
      const offset = range?.offset ?? 0;
      const length = range ? range.length : size;
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new BackendError('invalid-range', `Range ${offset}+${length} is outside ${key} (${size} bytes).`);
      }
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new BackendError('transient', `${key} shrank while being read.`);
        done += bytesRead;
      }
      return buffer;
    } catch (error) {
      throw mapError(error, key);
    } finally {
      await handle.close();
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const out: ObjectInfo[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(path.join(this.root, ...relative.split('/').filter(Boolean)), { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw mapError(error, relative || '.');
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const key = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const stat = await fs.stat(path.join(this.root, ...key.split('/'))).catch(() => null);
          if (stat) out.push({ key, size: stat.size });
        }
      }
    };
    await walk(base);
    return out;
  }

  async stat(key: string): Promise<ObjectInfo> {
    try {
      const stat = await fs.stat(this.file(key));
      if (!stat.isFile()) throw new BackendError('not-found', `${key} is not an object.`);
      return { key, size: stat.size };
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await fs.rm(this.file(key), { force: true });
    } catch (error) {
      throw mapError(error, key);
    }
  }

  /** Temporary files older than `olderThanMs` (left by a killed put); prune removes them. */
  async staleTemporaryFiles(olderThanMs: number, now = Date.now()): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.name.startsWith(TEMP_PREFIX)) {
          const stat = await fs.stat(full).catch(() => null);
          if (stat && now - stat.mtimeMs > olderThanMs) found.push(full);
        }
      }
    };
    await walk(this.root);
    return found;
  }

  async sync(): Promise<void> {
    const files = [...this.unsynced];
    this.unsynced.clear();
    try {
      // Flushing many files at once lets the OS write them out together, far faster than one by one.
      await mapConcurrent(files, 8, async (file) => {
        const handle = await fs.open(file, 'r');
        try {
          await handle.datasync();
        } finally {
          await handle.close();
        }
      });
      await mapConcurrent([...new Set(files.map((file) => path.dirname(file)))], 8, syncFolder);
    } catch (error) {
      for (const file of files) this.unsynced.add(file);
      throw mapError(error, 'sync');
    }
  }

  async close(): Promise<void> {}
}

async function mapConcurrent<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // NTFS/SMB: the rename is durable with the file; folders cannot be opened
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some network filesystems refuse fsync on a folder; the rename has still happened.
  } finally {
    await handle.close();
  }
}

function mapError(error: unknown, key: string): BackendError {
  if (error instanceof BackendError) return error;
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
