/**
 * VHDX on-disk structures shared by the reader and the writer (Microsoft "VHDX Format Specification v1.00",
 * [MS-VHDX]). All integers are little-endian. Section numbers refer to [MS-VHDX].
 */
import { readGuid, writeGuid } from './bytes';
import { crc32cWithZeroedField } from './crc32c';
import { MiB } from './errors';

export const KiB = 1024;

/** 2.1: the header section is 1 MiB: file identifier, two headers, two region tables, each 64 KiB apart. */
export const HEADER_OFFSETS = [64 * KiB, 128 * KiB] as const;
export const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB] as const;
export const HEADER_SECTION_SIZE = MiB;
export const HEADER_SIZE = 4 * KiB;
export const REGION_TABLE_SIZE = 64 * KiB;
export const METADATA_TABLE_SIZE = 64 * KiB;
export const SIGNATURE_FILE = 'vhdxfile';

/** 2.2.3 region GUIDs. */
export const REGION_BAT = '2DC27766-F623-4200-9D64-115E9BFD4A08';
export const REGION_METADATA = '8B7CA206-4790-4B9A-B8FE-575F050F886E';

/** 2.6.2 metadata item GUIDs. */
export const ITEM_FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B';
export const ITEM_VIRTUAL_DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8';
export const ITEM_PAGE_83 = 'BECA12AB-B2E6-4523-93EF-C309E000C746';
export const ITEM_LOGICAL_SECTOR_SIZE = '8141BF1D-A96F-4709-BA47-F233A8FAAB5F';
export const ITEM_PHYSICAL_SECTOR_SIZE = 'CDA348C7-445D-4471-9CC9-E9885251C556';
export const ITEM_PARENT_LOCATOR = 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C';
/** 2.6.2.6.1: the only parent locator type, "VHDX". */
export const LOCATOR_TYPE_VHDX = 'B04AEFB7-D19E-4A81-B789-25B8E9445913';

/** 2.5.1.1 payload block states; 2.5.1.2 sector bitmap block states. */
export const PAYLOAD_NOT_PRESENT = 0;
export const PAYLOAD_UNDEFINED = 1;
export const PAYLOAD_ZERO = 2;
export const PAYLOAD_UNMAPPED = 3;
/** UNMAPPED's value in the 0.95 draft; qemu reads it as zeros and so do we. */
export const PAYLOAD_UNMAPPED_V095 = 5;
export const PAYLOAD_FULLY_PRESENT = 6;
export const PAYLOAD_PARTIALLY_PRESENT = 7;
export const SB_NOT_PRESENT = 0;
export const SB_PRESENT = 6;

/** 2.5: each sector bitmap block is 1 MiB and describes 2^23 sectors. */
export const SECTORS_PER_BITMAP_BLOCK = 2 ** 23;
export const SECTOR_BITMAP_BLOCK_SIZE = MiB;

export const MIN_BLOCK_SIZE = MiB;
export const MAX_BLOCK_SIZE = 256 * MiB;

/** 2.2.2 header. */
export interface VhdxHeader {
  sequenceNumber: bigint;
  fileWriteGuid: string;
  dataWriteGuid: string;
  logGuid: string;
  logVersion: number;
  version: number;
  logLength: number;
  logOffset: number;
}

export function headerChecksumOk(block: Buffer): boolean {
  return block.readUInt32LE(4) === crc32cWithZeroedField(block.subarray(0, HEADER_SIZE), 4);
}

export function parseHeader(block: Buffer): VhdxHeader {
  return {
    sequenceNumber: block.readBigUInt64LE(8),
    fileWriteGuid: readGuid(block, 16),
    dataWriteGuid: readGuid(block, 32),
    logGuid: readGuid(block, 48),
    logVersion: block.readUInt16LE(64),
    version: block.readUInt16LE(66),
    logLength: block.readUInt32LE(68),
    logOffset: Number(block.readBigUInt64LE(72)),
  };
}

export function serializeHeader(h: VhdxHeader): Buffer {
  const block = Buffer.alloc(HEADER_SIZE);
  block.write('head', 0, 'ascii');
  block.writeBigUInt64LE(h.sequenceNumber, 8);
  writeGuid(block, 16, h.fileWriteGuid);
  writeGuid(block, 32, h.dataWriteGuid);
  writeGuid(block, 48, h.logGuid);
  block.writeUInt16LE(h.logVersion, 64);
  block.writeUInt16LE(h.version, 66);
  block.writeUInt32LE(h.logLength, 68);
  block.writeBigUInt64LE(BigInt(h.logOffset), 72);
  block.writeUInt32LE(crc32cWithZeroedField(block, 4), 4);
  return block;
}

/** 2.2.3 region table entry. */
export interface RegionEntry {
  guid: string;
  fileOffset: number;
  length: number;
  required: boolean;
}

export function regionTableChecksumOk(table: Buffer): boolean {
  return table.readUInt32LE(4) === crc32cWithZeroedField(table.subarray(0, REGION_TABLE_SIZE), 4);
}

export function serializeRegionTable(entries: readonly RegionEntry[]): Buffer {
  const table = Buffer.alloc(REGION_TABLE_SIZE);
  table.write('regi', 0, 'ascii');
  table.writeUInt32LE(entries.length, 8);
  entries.forEach((entry, i) => {
    const at = 16 + i * 32;
    writeGuid(table, at, entry.guid);
    table.writeBigUInt64LE(BigInt(entry.fileOffset), at + 16);
    table.writeUInt32LE(entry.length, at + 24);
    table.writeUInt32LE(entry.required ? 1 : 0, at + 28);
  });
  table.writeUInt32LE(crc32cWithZeroedField(table, 4), 4);
  return table;
}

/** 2.6.1.2 metadata table entry flags. */
export const META_IS_USER = 1;
export const META_IS_VIRTUAL_DISK = 2;
export const META_IS_REQUIRED = 4;

export interface MetadataItem {
  id: string;
  data: Buffer;
  flags: number;
}

/** The metadata region: a 64 KiB table followed by the items, packed from offset 64 KiB. */
export function serializeMetadataRegion(items: readonly MetadataItem[], regionLength: number): Buffer {
  const region = Buffer.alloc(regionLength);
  region.write('metadata', 0, 'ascii');
  region.writeUInt16LE(items.length, 10);
  let dataAt = METADATA_TABLE_SIZE;
  items.forEach((item, i) => {
    const at = 32 + i * 32;
    writeGuid(region, at, item.id);
    region.writeUInt32LE(dataAt, at + 16);
    region.writeUInt32LE(item.data.length, at + 20);
    region.writeUInt32LE(item.flags, at + 24);
    item.data.copy(region, dataAt);
    dataAt += Math.ceil(item.data.length / 8) * 8;
  });
  return region;
}

/** 2.6.2.6 parent locator: key/value pairs of UTF-16LE strings. */
export function serializeParentLocator(entries: readonly [string, string][]): Buffer {
  const header = 20 + entries.length * 12;
  const strings = entries.map(([k, v]) => [Buffer.from(k, 'utf16le'), Buffer.from(v, 'utf16le')] as const);
  const total = header + strings.reduce((n, [k, v]) => n + k.length + v.length, 0);
  const item = Buffer.alloc(total);
  writeGuid(item, 0, LOCATOR_TYPE_VHDX);
  item.writeUInt16LE(entries.length, 18);
  let at = header;
  strings.forEach(([k, v], i) => {
    const e = 20 + i * 12;
    item.writeUInt32LE(at, e);
    k.copy(item, at);
    at += k.length;
    item.writeUInt32LE(at, e + 4);
    v.copy(item, at);
    at += v.length;
    item.writeUInt16LE(k.length, e + 8);
    item.writeUInt16LE(v.length, e + 10);
  });
  return item;
}

/** 2.5 BAT geometry from the block size, logical sector size and virtual size. */
export interface BatGeometry {
  chunkRatio: number;
  dataBlocks: number;
  bitmapBlocks: number;
  totalEntries: number;
}

export function batGeometry(virtualSize: number, blockSize: number, logicalSectorSize: number, hasParent: boolean): BatGeometry {
  const chunkRatio = (SECTORS_PER_BITMAP_BLOCK * logicalSectorSize) / blockSize;
  const dataBlocks = Math.ceil(virtualSize / blockSize);
  const bitmapBlocks = Math.ceil(dataBlocks / chunkRatio);
  const totalEntries = hasParent ? bitmapBlocks * (chunkRatio + 1) : dataBlocks + Math.floor(Math.max(0, dataBlocks - 1) / chunkRatio);
  return { chunkRatio, dataBlocks, bitmapBlocks, totalEntries };
}

/** BAT index of payload block `block`: after every chunkRatio payload entries comes one sector bitmap entry. */
export function payloadEntryIndex(block: number, chunkRatio: number): number {
  return block + Math.floor(block / chunkRatio);
}

export function bitmapEntryIndex(chunk: number, chunkRatio: number): number {
  return chunk * (chunkRatio + 1) + chunkRatio;
}

export interface BatEntry {
  state: number;
  /** File offset in bytes (FileOffsetMB * 1 MiB). */
  fileOffset: number;
}

export function decodeBatEntry(page: Buffer, at: number): BatEntry {
  const lo = page.readUInt32LE(at);
  const hi = page.readUInt32LE(at + 4);
  // FileOffsetMB is bits 20..63: the top 12 bits of the low word and all of the high word.
  const offsetMB = (lo >>> 20) + hi * 4096;
  return { state: lo & 7, fileOffset: offsetMB * MiB };
}

export function encodeBatEntry(target: Buffer, at: number, state: number, fileOffset: number): void {
  const offsetMB = fileOffset / MiB;
  target.writeUInt32LE((((offsetMB % 4096) << 20) | state) >>> 0, at);
  target.writeUInt32LE(Math.floor(offsetMB / 4096), at + 4);
}
