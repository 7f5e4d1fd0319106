import type { DiskReader, DiskWriter } from './types';

export interface CopyProgress {
  bytesDone: number;
  bytesTotal: number;
}

/**
 * Streams every allocated extent of a disk into a writer, in ascending order, a chunk at a time (memory stays
 * at one chunk), then finishes the writer. On any failure the half-written output is removed.
 */
export async function copyDisk(
  reader: DiskReader,
  writer: DiskWriter,
  options: { chunkSize?: number; onProgress?: (p: CopyProgress) => void } = {},
): Promise<void> {
  const chunkSize = options.chunkSize ?? 4 * 1024 * 1024;
  try {
    const extents = await reader.extents();
    const bytesTotal = extents.reduce((n, e) => n + e.length, 0);
    let bytesDone = 0;
    for (const { offset, length } of extents) {
      for (let at = offset; at < offset + length; at += chunkSize) {
        const n = Math.min(chunkSize, offset + length - at);
        await writer.write(at, await reader.read(at, n));
        bytesDone += n;
        options.onProgress?.({ bytesDone, bytesTotal });
      }
    }
    await writer.close();
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
}
