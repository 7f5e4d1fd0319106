import crypto from 'node:crypto';
import { invalidDisk } from './errors';
import type { ByteSource } from './types';

/** Reads exactly `length` bytes or fails with the file's name and what was being read. */
export async function readExact(source: ByteSource, offset: number, length: number, what: string): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw invalidDisk(source.name, `${what} lies at an impossible position (a damaged pointer)`);
  }
  const data = length === 0 ? Buffer.alloc(0) : await source.read(offset, length);
  if (data.length !== length) {
    throw invalidDisk(
      source.name,
      `${what} at byte ${offset} (${length} bytes) runs past the end of the file (${await source.size()} bytes); the file is truncated or the pointer to it is damaged`,
    );
  }
  return data;
}

const ZEROS = Buffer.alloc(256 * 1024);

export function isAllZero(data: Uint8Array): boolean {
  for (let at = 0; at < data.length; at += ZEROS.length) {
    const end = Math.min(at + ZEROS.length, data.length);
    if (Buffer.compare(data.subarray(at, end), ZEROS.subarray(0, end - at)) !== 0) return false;
  }
  return true;
}

/** A Microsoft GUID as stored on disk: Data1..3 little-endian, Data4 as bytes. Formatted upper-case, no braces. */
export function readGuid(buffer: Buffer, at: number): string {
  const hex = (start: number, end: number) => buffer.subarray(at + start, at + end).toString('hex');
  const d1 = buffer.readUInt32LE(at).toString(16).padStart(8, '0');
  const d2 = buffer
    .readUInt16LE(at + 4)
    .toString(16)
    .padStart(4, '0');
  const d3 = buffer
    .readUInt16LE(at + 6)
    .toString(16)
    .padStart(4, '0');
  return `${d1}-${d2}-${d3}-${hex(8, 10)}-${hex(10, 16)}`.toUpperCase();
}

export function writeGuid(buffer: Buffer, at: number, guid: string): void {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a GUID: ${guid}`);
  buffer.writeUInt32LE(parseInt(hex.slice(0, 8), 16), at);
  buffer.writeUInt16LE(parseInt(hex.slice(8, 12), 16), at + 4);
  buffer.writeUInt16LE(parseInt(hex.slice(12, 16), 16), at + 6);
  Buffer.from(hex.slice(16), 'hex').copy(buffer, at + 8);
}

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** A random (version 4) GUID. */
export function randomGuid(): string {
  return crypto.randomUUID().toUpperCase();
}

/** Normalises "{guid}" / lower-case forms for comparison. */
export function normalizeGuid(text: string): string {
  return text.replace(/[{}]/g, '').trim().toUpperCase();
}
