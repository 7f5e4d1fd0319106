/**
 * A hosted sparse extent (VMware "Virtual Disk Format 5.0", "Hosted Sparse Extents" and "Stream-Optimized
 * Compressed Sparse Extents"): the "KDMV" header, the grain directory (GD) of grain tables (GT) of grain
 * offsets, and the grains. monolithicSparse, twoGbMaxExtentSparse pieces, Workstation snapshots and
 * streamOptimized (OVA) disks all use it. All integers are little-endian; offsets are in 512-byte sectors.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { readExact } from './bytes';
import { invalidDisk, MAX_VIRTUAL_SIZE, MiB, unsupportedDisk } from './errors';
import { ExtentBuilder } from './extents';
import type { Piece } from './mapped-reader';
import { PagedTable } from './paged-table';
import type { ByteSource, Extent } from './types';

const inflate = promisify(zlib.inflate) as (data: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

export const SECTOR = 512;
export const SPARSE_MAGIC = 'KDMV';
const GD_AT_END = 0xffffffffffffffffn;
const FLAG_NEWLINE_TEST = 1 << 0;
const FLAG_REDUNDANT_GT = 1 << 1;
const FLAG_ZEROED_GRAIN_GTE = 1 << 2;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const COMPRESSION_DEFLATE = 1;
const GTE_ZEROED = 1;
const MARKER_EOS = 0;
const MARKER_FOOTER = 3;
const MAX_GRAIN_SECTORS = 2048;
const MAX_GTES_PER_GT = 4096;

export interface SparseHeader {
  version: number;
  flags: number;
  capacity: number;
  grainSize: number;
  descriptorOffset: number;
  descriptorSize: number;
  numGTEsPerGT: number;
  rgdOffset: number;
  gdOffset: bigint;
  overHead: number;
}

export function parseSparseHeader(block: Buffer): SparseHeader {
  return {
    version: block.readUInt32LE(4),
    flags: block.readUInt32LE(8),
    capacity: Number(block.readBigUInt64LE(12)),
    grainSize: Number(block.readBigUInt64LE(20)),
    descriptorOffset: Number(block.readBigUInt64LE(28)),
    descriptorSize: Number(block.readBigUInt64LE(36)),
    numGTEsPerGT: block.readUInt32LE(44),
    rgdOffset: Number(block.readBigUInt64LE(48)),
    gdOffset: block.readBigUInt64LE(56),
    overHead: Number(block.readBigUInt64LE(64)),
  };
}

export function serializeSparseHeader(h: Omit<SparseHeader, 'gdOffset'> & { gdOffset: number }): Buffer {
  const block = Buffer.alloc(SECTOR);
  block.write(SPARSE_MAGIC, 0, 'latin1');
  block.writeUInt32LE(h.version, 4);
  block.writeUInt32LE(h.flags, 8);
  block.writeBigUInt64LE(BigInt(h.capacity), 12);
  block.writeBigUInt64LE(BigInt(h.grainSize), 20);
  block.writeBigUInt64LE(BigInt(h.descriptorOffset), 28);
  block.writeBigUInt64LE(BigInt(h.descriptorSize), 36);
  block.writeUInt32LE(h.numGTEsPerGT, 44);
  block.writeBigUInt64LE(BigInt(h.rgdOffset), 48);
  block.writeBigUInt64LE(BigInt(h.gdOffset), 56);
  block.writeBigUInt64LE(BigInt(h.overHead), 64);
  block.writeUInt8(0, 72); // uncleanShutdown
  // The newline-detection characters: a text-mode (FTP ASCII) transfer garbles them.
  block.write('\n \r\n', 73, 'latin1');
  block.writeUInt16LE(0, 77);
  return block;
}

export function looksLikeSparseExtent(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === SPARSE_MAGIC;
}

/** ESXi's own sparse extent ("ESX Server Sparse Extents", the vmfsSparse "-delta.vmdk" of a snapshot). */
export function looksLikeCowdExtent(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === 'COWD';
}

const COWD_HEADER_SECTORS = 4;
const COWD_GTES_PER_GT = 4096;

/** The COWD header as the common header shape: 32-bit fields, 4096 entries per grain table, no descriptor. */
function parseCowdHeader(block: Buffer): SparseHeader {
  return {
    version: block.readUInt32LE(4),
    flags: 0,
    capacity: block.readUInt32LE(12),
    grainSize: block.readUInt32LE(16),
    descriptorOffset: 0,
    descriptorSize: 0,
    numGTEsPerGT: COWD_GTES_PER_GT,
    rgdOffset: 0,
    gdOffset: BigInt(block.readUInt32LE(20)),
    overHead: 0,
  };
}

/** One sparse extent file: its own grains, and where each virtual byte of it comes from. */
export class SparseExtent {
  private readonly gtCache = new Map<number, Uint32Array | null>();
  private grainCache: { grain: number; data: Buffer } | undefined;

  private constructor(
    readonly source: ByteSource,
    readonly header: SparseHeader,
    /** The header the grain directory comes from (the footer's, for streamOptimized). */
    private readonly gd: PagedTable<number>,
    private readonly own: Extent[],
    readonly descriptorText: string | undefined,
  ) {}

  get capacityBytes(): number {
    return this.header.capacity * SECTOR;
  }

  get compressed(): boolean {
    return (this.header.flags & FLAG_COMPRESSED) !== 0;
  }

  private get grainBytes(): number {
    return this.header.grainSize * SECTOR;
  }

  static async open(source: ByteSource): Promise<SparseExtent> {
    const name = source.name;
    const size = await source.size();
    if (size < SECTOR) throw invalidDisk(name, `the file is ${size} bytes, too short for a sparse extent header: it is truncated`);
    const first = await readExact(source, 0, SECTOR, 'the sparse extent header');
    const cowd = looksLikeCowdExtent(first);
    if (!cowd && !looksLikeSparseExtent(first)) throw invalidDisk(name, 'this is not a VMDK sparse extent (no "KDMV" or "COWD" magic)');
    let header = cowd ? parseCowdHeader(first) : parseSparseHeader(first);
    if (cowd && header.version !== 1) {
      throw unsupportedDisk(
        name,
        `ESXi sparse (COWD) version ${header.version} is not supported`,
        'Consolidate the snapshots in vSphere, then retry.',
      );
    }
    if (!cowd) checkNewlines(name, first, header);
    if (!cowd && (header.version < 1 || header.version > 3)) {
      throw unsupportedDisk(
        name,
        `sparse extent version ${header.version} is not supported`,
        'Convert the disk with vmware-vdiskmanager or qemu-img to a monolithicSparse VMDK, then retry.',
      );
    }
    if (!cowd && header.gdOffset === GD_AT_END) header = await streamFooter(source, size, header);
    const { grainSize, capacity, numGTEsPerGT } = header;
    // ESXi's COWD deltas default to one-sector grains; hosted sparse grains are at least 4 KiB.
    const minGrain = cowd ? 1 : 8;
    if (grainSize < minGrain || grainSize > MAX_GRAIN_SECTORS || (grainSize & (grainSize - 1)) !== 0) {
      throw invalidDisk(name, `the grain size of ${grainSize} sectors is not a power of two between ${minGrain} and ${MAX_GRAIN_SECTORS}`);
    }
    if (numGTEsPerGT < 1 || numGTEsPerGT > MAX_GTES_PER_GT)
      throw invalidDisk(name, `${numGTEsPerGT} entries per grain table is absurd (VMware uses 512)`);
    if (!Number.isSafeInteger(capacity) || capacity * SECTOR > MAX_VIRTUAL_SIZE) {
      throw invalidDisk(name, `the capacity of ${capacity} sectors is absurd (over 64 TiB)`);
    }
    if (header.flags & FLAG_COMPRESSED && first.readUInt16LE(77) !== COMPRESSION_DEFLATE) {
      throw unsupportedDisk(
        name,
        `grains are compressed with algorithm ${first.readUInt16LE(77)}; only deflate is known`,
        'Convert the disk with qemu-img or VMware to an uncompressed VMDK, then retry.',
      );
    }
    let descriptorText: string | undefined;
    if (header.descriptorOffset > 0 && header.descriptorSize > 0) {
      const bytes = header.descriptorSize * SECTOR;
      if (bytes > 1024 * 1024) throw invalidDisk(name, `the embedded descriptor claims ${bytes} bytes (more than 1 MiB)`);
      descriptorText = (await readExact(source, header.descriptorOffset * SECTOR, bytes, 'the embedded descriptor')).toString('utf8');
    }
    const gtCoverage = grainSize * numGTEsPerGT;
    const gdEntries = Math.ceil(capacity / gtCoverage);
    const gdAt = Number(header.gdOffset) * SECTOR;
    if (!Number.isSafeInteger(gdAt) || gdAt + gdEntries * 4 > size || gdAt < SECTOR) {
      throw invalidDisk(
        name,
        `the grain directory (${gdEntries * 4} bytes at sector ${header.gdOffset}) lies outside the file (${size} bytes)`,
      );
    }
    const gd = new PagedTable(source, gdAt, gdEntries, 4, (page, at) => page.readUInt32LE(at), 'the grain directory');
    const own = await validate(source, size, header, gd, gdAt, gdEntries, cowd ? COWD_HEADER_SECTORS : 1);
    return new SparseExtent(source, header, gd, own, descriptorText);
  }

  /** Allocated grains of this extent (offsets within the extent). */
  extents(): Extent[] {
    return this.own.map((e) => ({ ...e }));
  }

  /** Pieces for [offset, offset+length) of this extent; unallocated grains come from `missing`. */
  async map(offset: number, length: number, missing: 'parent' | 'zero'): Promise<Piece[]> {
    const grainBytes = this.grainBytes;
    const runs: { grain: number; within: number; n: number; gte: number }[] = [];
    for (let position = offset; position < offset + length;) {
      const grain = Math.floor(position / grainBytes);
      const within = position - grain * grainBytes;
      const n = Math.min(grainBytes - within, offset + length - position);
      runs.push({ grain, within, n, gte: await this.grainEntry(grain) });
      position += n;
    }
    const zeroed = (gte: number) => gte === GTE_ZEROED && (this.header.flags & FLAG_ZEROED_GRAIN_GTE) !== 0;
    // Compressed grains of one request inflate concurrently, on zlib's thread pool.
    const inflated = new Map<number, Promise<Buffer>>();
    if (this.compressed) {
      for (const run of runs)
        if (run.gte !== 0 && !zeroed(run.gte) && !inflated.has(run.grain)) inflated.set(run.grain, this.inflateGrain(run.grain, run.gte));
      await Promise.all(inflated.values()).catch(() => undefined);
    }
    const pieces: Piece[] = [];
    for (const { grain, within, n, gte } of runs) {
      if (gte === 0) pieces.push({ kind: missing, length: n });
      else if (zeroed(gte)) pieces.push({ kind: 'zero', length: n });
      else if (this.compressed) pieces.push({ kind: 'bytes', length: n, data: (await inflated.get(grain)!).subarray(within, within + n) });
      else pieces.push({ kind: 'file', source: this.source, at: gte * SECTOR + within, length: n });
    }
    return pieces;
  }

  private async grainEntry(grain: number): Promise<number> {
    const { numGTEsPerGT } = this.header;
    const table = Math.floor(grain / numGTEsPerGT);
    let gt = this.gtCache.get(table);
    if (gt === undefined) {
      const gde = await this.gd.get(table);
      gt = gde === 0 ? null : readGrainTable(await readExact(this.source, gde * SECTOR, numGTEsPerGT * 4, 'a grain table'));
      if (this.gtCache.size >= 256) this.gtCache.delete(this.gtCache.keys().next().value!);
      this.gtCache.set(table, gt);
    }
    return gt ? gt[grain % numGTEsPerGT]! : 0;
  }

  /** A streamOptimized grain: a marker (LBA, compressed size) then a zlib stream that inflates to one grain. */
  private async inflateGrain(grain: number, gte: number): Promise<Buffer> {
    if (this.grainCache?.grain === grain) return this.grainCache.data;
    const name = this.source.name;
    const grainBytes = this.grainBytes;
    const marker = await readExact(this.source, gte * SECTOR, 12, `the marker of grain ${grain}`);
    const lba = Number(marker.readBigUInt64LE(0));
    const compressedSize = marker.readUInt32LE(8);
    if (lba !== grain * this.header.grainSize) throw invalidDisk(name, `grain ${grain} points to a marker for sector ${lba}`);
    if (compressedSize === 0 || compressedSize > grainBytes * 2 + 4096)
      throw invalidDisk(name, `grain ${grain} claims ${compressedSize} compressed bytes`);
    const compressed = await readExact(this.source, gte * SECTOR + 12, compressedSize, `compressed grain ${grain}`);
    let data: Buffer;
    try {
      data = await inflate(compressed, { maxOutputLength: grainBytes });
    } catch (error) {
      throw invalidDisk(name, `grain ${grain} does not decompress (${(error as Error).message})`);
    }
    if (data.length < grainBytes) {
      const padded = Buffer.alloc(grainBytes);
      data.copy(padded);
      data = padded;
    }
    this.grainCache = { grain, data };
    return data;
  }
}

/**
 * Grain tables for the validation pass, read up to 1 MiB at a time when consecutive tables sit back to back
 * in the file (as VMware and qemu lay them out): one request instead of hundreds, which matters over HTTP.
 */
class GrainTableBatches {
  private batch: { first: number; count: number; bytes: Buffer } | undefined;

  constructor(
    private readonly source: ByteSource,
    private readonly gd: PagedTable<number>,
    private readonly gdEntries: number,
    private readonly tableBytes: number,
  ) {}

  async get(table: number, gde: number): Promise<Uint32Array> {
    const b = this.batch;
    if (b && table >= b.first && table < b.first + b.count) {
      const at = (table - b.first) * this.tableBytes;
      return readGrainTable(b.bytes.subarray(at, at + this.tableBytes));
    }
    const size = await this.source.size();
    const maxTables = Math.max(1, Math.floor(MiB / this.tableBytes));
    let count = 1;
    while (count < maxTables && table + count < this.gdEntries) {
      const end = gde * SECTOR + (count + 1) * this.tableBytes;
      if ((await this.gd.get(table + count)) !== gde + (count * this.tableBytes) / SECTOR || end > size) break;
      count++;
    }
    const bytes = await readExact(this.source, gde * SECTOR, count * this.tableBytes, 'a grain table');
    this.batch = { first: table, count, bytes };
    return readGrainTable(bytes.subarray(0, this.tableBytes));
  }
}

function readGrainTable(bytes: Buffer): Uint32Array {
  const gt = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < gt.length; i++) gt[i] = bytes.readUInt32LE(i * 4);
  return gt;
}

function checkNewlines(name: string, block: Buffer, header: SparseHeader): void {
  if (!(header.flags & FLAG_NEWLINE_TEST)) return;
  if (block.toString('latin1', 73, 77) !== '\n \r\n') {
    throw invalidDisk(
      name,
      "the header's newline test characters are garbled: the file was copied in text mode (e.g. FTP ASCII)",
      'Copy the file again in binary mode, then retry.',
    );
  }
}

/** streamOptimized: the real header is the footer, 1024 bytes before the end, between a footer marker and the end-of-stream marker. */
async function streamFooter(source: ByteSource, size: number, first: SparseHeader): Promise<SparseHeader> {
  const name = source.name;
  if (!(first.flags & FLAG_MARKERS)) throw invalidDisk(name, 'the grain directory is "at the end" but the extent has no markers');
  if (size < 3 * SECTOR + SECTOR) throw invalidDisk(name, 'the stream-optimized disk is too short to hold its footer: it is truncated');
  const tail = await readExact(source, size - 3 * SECTOR, 3 * SECTOR, 'the stream footer');
  const footerMarker = tail.subarray(0, SECTOR);
  const footer = tail.subarray(SECTOR, 2 * SECTOR);
  const eos = tail.subarray(2 * SECTOR);
  const isMarker = (m: Buffer, type: number) => m.readUInt32LE(8) === 0 && m.readUInt32LE(12) === type;
  if (!isMarker(footerMarker, MARKER_FOOTER) || !isMarker(eos, MARKER_EOS) || !looksLikeSparseExtent(footer)) {
    throw invalidDisk(name, 'the stream-optimized disk has no footer (missing end-of-stream marker): it is truncated or was not finished');
  }
  const header = parseSparseHeader(footer);
  if (header.gdOffset === GD_AT_END) throw invalidDisk(name, 'the stream footer does not say where the grain directory is');
  return header;
}

/**
 * Reads every grain table once: each allocated grain must lie inside the file, grains must not overlap each
 * other, the grain tables or the header structures. Returns the allocated grains as extents.
 */
async function validate(
  source: ByteSource,
  size: number,
  header: SparseHeader,
  gd: PagedTable<number>,
  gdAt: number,
  gdEntries: number,
  headerSectors: number,
): Promise<Extent[]> {
  const name = source.name;
  const { grainSize, numGTEsPerGT, capacity } = header;
  const compressed = (header.flags & FLAG_COMPRESSED) !== 0;
  const zeroedGrains = (header.flags & FLAG_ZEROED_GRAIN_GTE) !== 0;
  const fileSectors = Math.floor(size / SECTOR);
  const gtSectors = Math.ceil((numGTEsPerGT * 4) / SECTOR);
  const gdSectors = Math.ceil((gdEntries * 4) / SECTOR);
  const metadata: { start: number; end: number; what: string }[] = [{ start: 0, end: headerSectors, what: 'the header' }];
  if (header.descriptorOffset > 0)
    metadata.push({
      start: header.descriptorOffset,
      end: header.descriptorOffset + header.descriptorSize,
      what: 'the embedded descriptor',
    });
  metadata.push({ start: gdAt / SECTOR, end: gdAt / SECTOR + gdSectors, what: 'the grain directory' });
  if (header.flags & FLAG_REDUNDANT_GT && header.rgdOffset > 0)
    metadata.push({ start: header.rgdOffset, end: header.rgdOffset + gdSectors, what: 'the redundant grain directory' });

  // Small grains (ESXi COWD deltas use one sector) are checked on a bitmap of the file's sectors, 1 bit each;
  // larger ones by sorting their start sectors, 4 bytes per grain. Either way memory follows the file size.
  const bitmap = grainSize < 8 && !compressed ? new Uint8Array(Math.ceil(fileSectors / 8)) : undefined;
  // More grains than the file can hold means some share space; stop before collecting them all.
  const maxGrains = bitmap ? 0 : Math.floor(fileSectors / (compressed ? 1 : grainSize)) + 1;
  let starts = new Uint32Array(Math.min(maxGrains, 1024) || 1);
  let count = 0;
  const extents = new ExtentBuilder();
  const grainsTotal = Math.ceil(capacity / grainSize);
  const tables = new GrainTableBatches(source, gd, gdEntries, numGTEsPerGT * 4);
  for (let table = 0; table < gdEntries; table++) {
    const gde = await gd.get(table);
    if (gde === 0) continue;
    if (gde + gtSectors > fileSectors)
      throw invalidDisk(name, `grain directory entry ${table} points to sector ${gde}, past the end of the file (${fileSectors} sectors)`);
    metadata.push({ start: gde, end: gde + gtSectors, what: `grain table ${table}` });
    const gt = await tables.get(table, gde);
    for (let i = 0; i < numGTEsPerGT; i++) {
      const grain = table * numGTEsPerGT + i;
      const gte = gt[i]!;
      if (gte === 0 || grain >= grainsTotal || (gte === GTE_ZEROED && zeroedGrains)) continue;
      const sectors = Math.min(grainSize, capacity - grain * grainSize);
      if (gte + (compressed ? 1 : sectors) > fileSectors) {
        throw invalidDisk(
          name,
          `the grain table entry of grain ${grain} points to sector ${gte}, past the end of the file (${fileSectors} sectors)`,
        );
      }
      extents.add(grain * grainSize * SECTOR, sectors * SECTOR);
      if (bitmap) {
        for (let sector = gte; sector < gte + sectors; sector++) {
          if (bitmap[sector >>> 3]! & (1 << (sector & 7))) throw invalidDisk(name, `two grains overlap at sector ${sector}`);
          bitmap[sector >>> 3]! |= 1 << (sector & 7);
        }
        continue;
      }
      if (count >= maxGrains) throw invalidDisk(name, 'more grains are allocated than the file can hold: grain table entries overlap');
      if (count === starts.length) {
        const grown = new Uint32Array(Math.min(maxGrains, starts.length * 2));
        grown.set(starts);
        starts = grown;
      }
      starts[count++] = gte;
    }
  }
  const sorted = starts.subarray(0, count).sort();
  metadata.sort((a, b) => a.start - b.start);
  for (let i = 1; i < metadata.length; i++) {
    if (metadata[i]!.start < metadata[i - 1]!.end)
      throw invalidDisk(name, `${metadata[i]!.what} overlaps ${metadata[i - 1]!.what} at sector ${metadata[i]!.start}`);
  }
  if (bitmap) {
    for (const m of metadata) {
      for (let sector = m.start; sector < Math.min(m.end, fileSectors); sector++) {
        if (bitmap[sector >>> 3]! & (1 << (sector & 7))) throw invalidDisk(name, `a grain at sector ${sector} overlaps ${m.what}`);
      }
    }
    return extents.extents;
  }
  for (const m of metadata) {
    // The first grain starting after (m.start - grain length) must start at or after m.end.
    let lo = 0;
    let hi = sorted.length;
    const from = m.start - (compressed ? 1 : grainSize) + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    if (lo < sorted.length && sorted[lo]! < m.end) throw invalidDisk(name, `a grain at sector ${sorted[lo]} overlaps ${m.what}`);
  }
  // A compressed grain's length is only known from its marker; there, distinct starts are what can be checked.
  const minGap = compressed ? 1 : grainSize;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]! - sorted[i - 1]! < minGap) throw invalidDisk(name, `two grains overlap at sector ${sorted[i]}`);
  }
  return extents.extents;
}
