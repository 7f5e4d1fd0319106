import { Readable } from 'node:stream';
import type { PutData } from './types';

/** Small enough that a slow link reports movement often, large enough to cost nothing on a fast one. */
const CHUNK = 64 * 1024;

/**
 * An upload body that tells `onProgress` of each chunk as the HTTP client pulls it: the client pulls only as
 * the socket drains, so when the peer stops reading, the chunks (and the progress) stop too.
 */
export function progressBody(data: PutData, onProgress?: (bytes: number) => void): Readable {
  const parts = Buffer.isBuffer(data) ? [data] : data;
  let part = 0;
  let offset = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      while (part < parts.length && offset >= parts[part]!.length) {
        part++;
        offset = 0;
      }
      if (part >= parts.length) {
        this.push(null);
        return;
      }
      const chunk = parts[part]!.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      onProgress?.(chunk.length);
      this.push(chunk);
    },
  });
}

/** Reads a response body whole, telling `onProgress` of each chunk as it arrives. */
export async function readAll(
  stream: NodeJS.ReadableStream | AsyncIterable<unknown> | undefined | null,
  onProgress?: (bytes: number) => void,
): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<unknown>) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    onProgress?.(buffer.length);
    chunks.push(buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
