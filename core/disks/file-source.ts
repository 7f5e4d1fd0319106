import fs from 'node:fs/promises';
import path from 'node:path';
import type { ByteSource, SourceResolver } from './types';

/** A local file (or SMB/UNC path) as a ByteSource. */
export class FileSource implements ByteSource {
  private constructor(
    readonly name: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async open(file: string): Promise<FileSource> {
    return new FileSource(file, await fs.open(file, 'r'));
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Resolves names relative to the referring file's folder, as VMDK descriptors and VHDX parent locators do. */
export const fileResolver: SourceResolver = {
  open: (name, relativeTo) => FileSource.open(relativeTo && !path.isAbsolute(name) ? path.join(path.dirname(relativeTo.name), name) : name),
};
