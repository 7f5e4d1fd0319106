import { AnonymousCredential, PageBlobClient } from '@azure/storage-blob';
import { LifeboatError } from '../../contract/errors';
import { openFileBytes, type Extent } from '../../disks';

const MiB = 1024 * 1024;
/** Pages are compared and sent in whole MiB: Azure's managed-disk upload guidance, and its 4 MiB Put Page limit divides it. */
export const PAGE_UNIT = MiB;

export interface PageUploadOptions {
  signal?: AbortSignal;
  /** Put Page calls in flight at once. */
  parallel?: number;
  onProgress?(done: number, total: number): void;
}

export interface PageUploadResult {
  /** The MiB-aligned ranges sent (merged), in file offsets. */
  ranges: Extent[];
  bytesSent: number;
  fileBytes: number;
}

/**
 * Uploads a fixed VHD into a page blob through its SAS URL (a managed disk opened for upload), sending only the
 * MiB ranges that hold a non-zero byte: a new page blob reads as zeros, so zeros need not travel. Holes in the
 * local file are not even read. The last range ends at the file's end (the footer), which is a multiple of 512.
 */
export async function uploadNonZeroPages(file: string, sasUrl: string, options: PageUploadOptions = {}): Promise<PageUploadResult> {
  const blob = new PageBlobClient(sasUrl, new AnonymousCredential()); // the SAS in the URL is the authorisation
  const reader = await openFileBytes(file);
  try {
    const size = reader.virtualSize;
    if (size % 512 !== 0)
      throw new LifeboatError('DISK_INVALID', `${file} is ${size} bytes, not whole 512-byte pages: it is not a fixed VHD.`, {
        fix: 'Restore the point again as a fixed VHD.',
      });
    const units = unitsOf(await reader.extents(), size);
    const sent: Extent[] = [];
    let bytesSent = 0;
    let done = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < units.length) {
        options.signal?.throwIfAborted();
        const offset = units[next++]!;
        const length = Math.min(PAGE_UNIT, size - offset);
        const data = await reader.read(offset, length);
        if (data.some((byte) => byte !== 0)) {
          await blob.uploadPages(data, offset, length, { abortSignal: options.signal });
          sent.push({ offset, length });
          bytesSent += length;
        }
        done += length;
        options.onProgress?.(done, units.length * PAGE_UNIT);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 8) }, worker));
    return { ranges: merge(sent), bytesSent, fileBytes: size };
  } finally {
    await reader.close();
  }
}

/** Start offsets of the MiB units the file's data regions touch. */
function unitsOf(extents: readonly Extent[], size: number): number[] {
  const starts = new Set<number>();
  for (const extent of extents) {
    const end = Math.min(size, extent.offset + extent.length);
    for (let unit = Math.floor(extent.offset / PAGE_UNIT) * PAGE_UNIT; unit < end; unit += PAGE_UNIT) starts.add(unit);
  }
  return [...starts].sort((a, b) => a - b);
}

function merge(ranges: Extent[]): Extent[] {
  const out: Extent[] = [];
  for (const range of [...ranges].sort((a, b) => a.offset - b.offset)) {
    const last = out.at(-1);
    if (last && last.offset + last.length === range.offset) last.length += range.length;
    else out.push({ ...range });
  }
  return out;
}
