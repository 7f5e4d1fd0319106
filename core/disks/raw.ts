import type { ByteSource, DiskReader, Extent, ReadStats } from './types';

/**
 * A raw image: virtual bytes are file bytes. The whole file is reported as one extent; zero blocks are
 * elided downstream by the vault. (Hole detection via SEEK_DATA/SEEK_HOLE is the vault issue's to add.)
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
    return this.virtualSize === 0 ? [] : [{ offset: 0, length: this.virtualSize }];
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
