import fs from 'node:fs/promises';
import type { DiskWriter, PositionalTarget } from './types';

/** Written data is flushed to disk in the background every this many bytes (see write()). */
const FLUSH_EVERY = 32 * 1024 * 1024;

/** A raw image; ranges never written stay holes because the file is sized with truncate, not filled. */
export class RawDiskWriter implements DiskWriter {
  readonly format = 'raw' as const;
  readonly files: readonly string[];
  readonly positional: PositionalTarget;
  private unflushed = 0;
  private flushing: Promise<void> | null = null;

  private constructor(
    private readonly file: string,
    private readonly handle: fs.FileHandle,
    private readonly virtualSize: number,
  ) {
    this.files = [file];
    this.positional = { file, written: (bytes) => this.accumulate(bytes) };
  }

  static async create(file: string, virtualSize: number): Promise<RawDiskWriter> {
    // 0600: a restored disk holds everything the VM held; only this account may read it.
    return new RawDiskWriter(file, await fs.open(file, 'w', 0o600), virtualSize);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    if (offset < 0 || offset + data.length > this.virtualSize) {
      throw new RangeError(`write of ${data.length} bytes at ${offset} is outside the ${this.virtualSize}-byte disk`);
    }
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
    this.accumulate(data.length);
  }

  /**
   * A machine with lots of RAM would otherwise hold gigabytes of dirty pages and write them all at close();
   * flushing as we go overlaps the disk's work with decrypting the next blocks.
   */
  private accumulate(bytes: number): void {
    this.unflushed += bytes;
    if (this.unflushed >= FLUSH_EVERY && !this.flushing) {
      this.unflushed = 0;
      this.flushing = this.handle.datasync().finally(() => (this.flushing = null));
      this.flushing.catch(() => undefined); // a failure shows again in close()'s sync
    }
  }

  async close(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    await this.handle.truncate(this.virtualSize);
    await this.handle.sync();
    await this.handle.close();
  }

  async abort(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.file, { force: true });
  }
}
