import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ByteSource, DiskReader, Extent, ReadStats } from './types';

/**
 * A raw image: virtual bytes are file bytes. For a local sparse file, the extents are the file's data
 * regions (lseek SEEK_DATA/SEEK_HOLE on Linux and macOS), so holes are never read; elsewhere the whole
 * file is one extent and the vault elides zero blocks after reading them.
 */
export class RawDiskReader implements DiskReader {
  readonly format = 'raw' as const;
  readonly stats: ReadStats = { bytesReadFromSource: 0 };

  private constructor(
    private readonly source: ByteSource,
    readonly virtualSize: number,
  ) {}

  static async open(source: ByteSource): Promise<RawDiskReader> {
    return new RawDiskReader(source, await source.size());
  }

  get name(): string {
    return this.source.name;
  }

  async extents(): Promise<Extent[]> {
    if (this.virtualSize === 0) return [];
    return dataRegions(this.source.name, this.virtualSize) ?? [{ offset: 0, length: this.virtualSize }];
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.virtualSize);
    const data = end > offset ? await this.source.read(offset, end - offset) : Buffer.alloc(0);
    this.stats.bytesReadFromSource += data.length;
    if (data.length === length) return data;
    const padded = Buffer.alloc(length);
    data.copy(padded);
    return padded;
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

type Lseek = (fd: number, offset: number, whence: number) => number | bigint;

const WHENCE: Partial<Record<NodeJS.Platform, { library: string; data: number; hole: number }>> = {
  linux: { library: 'libc.so.6', data: 3, hole: 4 },
  darwin: { library: 'libSystem.B.dylib', data: 4, hole: 3 },
};

let lseekFn: Lseek | null | undefined;

/** libc's lseek through koffi (an FFI with prebuilt binaries), or null where either is unavailable. */
function lseek(): Lseek | null {
  if (lseekFn !== undefined) return lseekFn;
  lseekFn = null;
  const platform = WHENCE[process.platform];
  if (!platform) return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(signature: string): Lseek };
    };
    lseekFn = koffi.load(platform.library).func('int64_t lseek(int fd, int64_t offset, int whence)');
  } catch {
    lseekFn = null;
  }
  return lseekFn;
}

/**
 * The data regions of a local file, or null when they cannot be known (not a local file, a filesystem
 * without SEEK_DATA, no FFI): callers then treat the whole file as data.
 */
export function dataRegions(file: string, size: number): Extent[] | null {
  const seek = lseek();
  const whence = WHENCE[process.platform];
  if (!seek || !whence) return null;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    if (fs.fstatSync(fd).size !== size) return null;
    // A filesystem that does not support SEEK_HOLE fails it even at offset 0.
    if (Number(seek(fd, 0, whence.hole)) < 0) return null;
    const regions: Extent[] = [];
    let offset = 0;
    while (offset < size) {
      const data = Number(seek(fd, offset, whence.data));
      if (data < 0 || data >= size) break; // ENXIO: no data after offset
      let hole = Number(seek(fd, data, whence.hole));
      if (hole < 0 || hole > size) hole = size;
      regions.push({ offset: data, length: hole - data });
      offset = hole;
    }
    return regions;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
