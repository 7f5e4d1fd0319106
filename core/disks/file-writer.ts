import fs from 'node:fs/promises';

/** Positional writes to a new file; the disk writers build on it. */
export class OutputFile {
  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async create(file: string): Promise<OutputFile> {
    // 0600: a restored disk holds everything the VM held; only this account may read it.
    return new OutputFile(file, await fs.open(file, 'w+', 0o600));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  }

  async truncate(size: number): Promise<void> {
    await this.handle.truncate(size);
  }

  /** Flushes to stable storage and closes. */
  async finish(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await OutputFile.discardPath(this.path);
  }

  static async discardPath(file: string): Promise<void> {
    await fs.rm(file, { force: true });
  }
}

export function checkWriteRange(offset: number, length: number, virtualSize: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > virtualSize) {
    throw new RangeError(`write of ${length} bytes at ${offset} is outside the ${virtualSize}-byte disk`);
  }
}
