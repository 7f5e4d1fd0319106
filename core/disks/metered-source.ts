import type { ByteSource, ReadStats } from './types';

/**
 * Counts the container bytes a reader pulls from a file (every file of a chain adds to one ReadStats), and
 * asks a remote source for its size once.
 */
export class MeteredSource implements ByteSource {
  private sizeOnce: Promise<number> | undefined;

  constructor(
    private readonly inner: ByteSource,
    private readonly stats: ReadStats,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  size(): Promise<number> {
    this.sizeOnce ??= this.inner.size();
    return this.sizeOnce;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const data = await this.inner.read(offset, length);
    this.stats.bytesReadFromSource += data.length;
    return data;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
