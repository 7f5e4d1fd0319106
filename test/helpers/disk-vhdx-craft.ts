/**
 * Hand-made VHDX structures for tests, built from the specification (MS-VHDX v1.00): what qemu-img cannot
 * make (4096-byte sectors, a dirty log) and the damage the hostile-file tests need.
 */
import fs from 'node:fs';
import { crc32cWithZeroedField } from '../../core/disks/crc32c';
import { readGuid, writeGuid } from '../../core/disks/bytes';
import { ITEM_LOGICAL_SECTOR_SIZE, REGION_BAT, REGION_METADATA } from '../../core/disks/vhdx-format';

export interface VhdxLayout {
  headers: { offset: number; sequence: bigint; logGuid: string; logOffset: number; logLength: number }[];
  bat: { offset: number; length: number };
  metadata: { offset: number; length: number };
  items: Map<string, { offset: number; length: number }>;
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

export function writeAt(file: string, offset: number, data: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

export function vhdxLayout(file: string): VhdxLayout {
  const headers = [64 * 1024, 128 * 1024].map((offset) => {
    const h = readAt(file, offset, 4096);
    return {
      offset,
      sequence: h.readBigUInt64LE(8),
      logGuid: readGuid(h, 48),
      logLength: h.readUInt32LE(68),
      logOffset: Number(h.readBigUInt64LE(72)),
    };
  });
  const table = readAt(file, 192 * 1024, 64 * 1024);
  const regions = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < table.readUInt32LE(8); i++) {
    const at = 16 + i * 32;
    regions.set(readGuid(table, at), { offset: Number(table.readBigUInt64LE(at + 16)), length: table.readUInt32LE(at + 24) });
  }
  const metadata = regions.get(REGION_METADATA)!;
  const meta = readAt(file, metadata.offset, 64 * 1024);
  const items = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < meta.readUInt16LE(10); i++) {
    const at = 32 + i * 32;
    items.set(readGuid(meta, at), { offset: metadata.offset + meta.readUInt32LE(at + 16), length: meta.readUInt32LE(at + 20) });
  }
  return { headers, bat: regions.get(REGION_BAT)!, metadata, items };
}

/** The header Hyper-V/qemu/Lifeboat would use (higher sequence number). */
export function currentHeaderOffset(layout: VhdxLayout): number {
  return layout.headers.reduce((a, b) => (b.sequence > a.sequence ? b : a)).offset;
}

/** Rewrites a header field by field and fixes its checksum (so only the intended change is "damage"). */
export function patchHeader(file: string, headerOffset: number, patch: (header: Buffer) => void): void {
  const h = readAt(file, headerOffset, 4096);
  patch(h);
  h.writeUInt32LE(crc32cWithZeroedField(h, 4), 4);
  writeAt(file, headerOffset, h);
}

/** Sets the logical sector size item (qemu-img only makes 512-byte-sector VHDX). */
export function setLogicalSectorSize(file: string, size: number): void {
  const item = vhdxLayout(file).items.get(ITEM_LOGICAL_SECTOR_SIZE)!;
  const b = Buffer.alloc(4);
  b.writeUInt32LE(size);
  writeAt(file, item.offset, b);
}

export function batEntry(file: string, index: number): { state: number; fileOffset: number } {
  const { bat } = vhdxLayout(file);
  const e = readAt(file, bat.offset + index * 8, 8);
  const lo = e.readUInt32LE(0);
  return { state: lo & 7, fileOffset: ((lo >>> 20) + e.readUInt32LE(4) * 4096) * 1024 * 1024 };
}

export function setBatEntry(file: string, index: number, state: number, fileOffset: number): void {
  const { bat } = vhdxLayout(file);
  const e = Buffer.alloc(8);
  const mb = fileOffset / (1024 * 1024);
  e.writeUInt32LE((((mb % 4096) << 20) | state) >>> 0, 0);
  e.writeUInt32LE(Math.floor(mb / 4096), 4);
  writeAt(file, bat.offset + index * 8, e);
}

export type LogDescriptor = { kind: 'data'; fileOffset: number; data: Buffer } | { kind: 'zero'; fileOffset: number; length: number };

/** One log entry (MS-VHDX 2.3.1): header, descriptors, data sectors, CRC-32C over all of it. */
export function logEntry(entry: {
  sequence: bigint;
  tail: number;
  logGuid: string;
  flushedFileOffset: number;
  lastFileOffset: number;
  descriptors: LogDescriptor[];
}): Buffer {
  const n = entry.descriptors.length;
  const descriptorSectors = Math.ceil((64 + 32 * n) / 4096);
  const data = entry.descriptors.filter((d) => d.kind === 'data');
  const buffer = Buffer.alloc((descriptorSectors + data.length) * 4096);
  buffer.write('loge', 0, 'ascii');
  buffer.writeUInt32LE(buffer.length, 8);
  buffer.writeUInt32LE(entry.tail, 12);
  buffer.writeBigUInt64LE(entry.sequence, 16);
  buffer.writeUInt32LE(n, 24);
  writeGuid(buffer, 32, entry.logGuid);
  buffer.writeBigUInt64LE(BigInt(entry.flushedFileOffset), 48);
  buffer.writeBigUInt64LE(BigInt(entry.lastFileOffset), 56);
  let sector = descriptorSectors;
  entry.descriptors.forEach((d, i) => {
    const at = 64 + i * 32;
    buffer.writeBigUInt64LE(BigInt(d.fileOffset), at + 16);
    buffer.writeBigUInt64LE(entry.sequence, at + 24);
    if (d.kind === 'zero') {
      buffer.write('zero', at, 'ascii');
      buffer.writeBigUInt64LE(BigInt(d.length), at + 8);
      return;
    }
    buffer.write('desc', at, 'ascii');
    d.data.copy(buffer, at + 4, 4092, 4096); // trailing bytes
    d.data.copy(buffer, at + 8, 0, 8); // leading bytes
    const s = sector++ * 4096;
    buffer.write('data', s, 'ascii');
    buffer.writeUInt32LE(Number(entry.sequence >> 32n), s + 4);
    d.data.copy(buffer, s + 8, 8, 4092);
    buffer.writeUInt32LE(Number(entry.sequence & 0xffffffffn), s + 4092);
  });
  buffer.writeUInt32LE(crc32cWithZeroedField(buffer, 4), 4);
  return buffer;
}

/** Writes an entry into the circular log at `position`, wrapping at the log's end. */
export function writeLogEntry(file: string, logOffset: number, logLength: number, position: number, entry: Buffer): void {
  for (let done = 0; done < entry.length; done += 4096) {
    writeAt(file, logOffset + ((position + done) % logLength), entry.subarray(done, done + 4096));
  }
}

export function readFileAt(file: string, offset: number, length: number): Buffer {
  return readAt(file, offset, length);
}
