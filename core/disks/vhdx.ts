/**
 * VHDX reader (MS-VHDX v1.00): fixed, dynamic and differencing files, 512 or 4096-byte logical sectors,
 * block sizes 1..256 MiB. Both headers (2.2.2) and both region tables (2.2.3) are checked; a dirty log (2.3)
 * is replayed in memory (vhdx-log.ts); the BAT (2.5) is read in pages and fully validated at open (entries
 * past the end of the file, overlapping blocks, reserved states); a differencing file (2.6.2.6) opens its
 * parent through the SourceResolver and checks the parent_linkage against the parent's DataWriteGuid.
 */
import path from 'node:path';
import { normalizeGuid, readExact, readGuid, ZERO_GUID } from './bytes';
import { descend, rootContext, type ChainContext } from './chain';
import { invalidDisk, MAX_VIRTUAL_SIZE, MiB, unsupportedDisk } from './errors';
import { ExtentBuilder } from './extents';
import { MappedReader, type Piece } from './mapped-reader';
import { MeteredSource } from './metered-source';
import { PagedTable } from './paged-table';
import type { ByteSource, Extent, SourceResolver } from './types';
import {
  batGeometry,
  bitmapEntryIndex,
  decodeBatEntry,
  HEADER_OFFSETS,
  HEADER_SECTION_SIZE,
  HEADER_SIZE,
  headerChecksumOk,
  ITEM_FILE_PARAMETERS,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PAGE_83,
  ITEM_PARENT_LOCATOR,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_VIRTUAL_DISK_SIZE,
  LOCATOR_TYPE_VHDX,
  MAX_BLOCK_SIZE,
  META_IS_REQUIRED,
  METADATA_TABLE_SIZE,
  MIN_BLOCK_SIZE,
  parseHeader,
  PAYLOAD_FULLY_PRESENT,
  PAYLOAD_NOT_PRESENT,
  PAYLOAD_PARTIALLY_PRESENT,
  PAYLOAD_UNDEFINED,
  PAYLOAD_UNMAPPED,
  PAYLOAD_UNMAPPED_V095,
  PAYLOAD_ZERO,
  payloadEntryIndex,
  REGION_BAT,
  REGION_METADATA,
  REGION_TABLE_OFFSETS,
  REGION_TABLE_SIZE,
  regionTableChecksumOk,
  SB_NOT_PRESENT,
  SB_PRESENT,
  SECTOR_BITMAP_BLOCK_SIZE,
  SIGNATURE_FILE,
  type BatEntry,
  type RegionEntry,
  type VhdxHeader,
} from './vhdx-format';
import { LogOverlaySource, readActiveLog } from './vhdx-log';

const KNOWN_ITEMS = new Set([
  ITEM_FILE_PARAMETERS,
  ITEM_VIRTUAL_DISK_SIZE,
  ITEM_PAGE_83,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_PARENT_LOCATOR,
]);
const MAX_METADATA_ITEM = MiB;

export function looksLikeVhdx(head: Buffer): boolean {
  return head.length >= 8 && head.toString('latin1', 0, 8) === SIGNATURE_FILE;
}

interface Geometry {
  blockSize: number;
  logicalSectorSize: number;
  physicalSectorSize: number;
  virtualSize: number;
  hasParent: boolean;
  fixed: boolean;
  chunkRatio: number;
  dataBlocks: number;
}

export interface VhdxDetails {
  blockSize: number;
  logicalSectorSize: number;
  physicalSectorSize: number;
  fixed: boolean;
  hasParent: boolean;
  dataWriteGuid: string;
  /** Log entries replayed in memory at open (0 when the file was closed cleanly). */
  replayedLogEntries: number;
  parentLocator: ReadonlyMap<string, string> | undefined;
}

export class VhdxReader extends MappedReader {
  readonly format = 'vhdx' as const;
  private bitmapCache: { block: number; bits: Buffer } | undefined;

  private constructor(
    private readonly view: ByteSource,
    private readonly geometry: Geometry,
    private readonly bat: PagedTable<BatEntry>,
    private readonly own: Extent[],
    readonly details: VhdxDetails,
    stats: ChainContext['stats'],
    parent: VhdxReader | undefined,
  ) {
    super(stats, parent);
  }

  get name(): string {
    return this.view.name;
  }

  get virtualSize(): number {
    return this.geometry.virtualSize;
  }

  static async open(raw: ByteSource, resolver: SourceResolver, ctx: ChainContext = rootContext()): Promise<VhdxReader> {
    const metered = new MeteredSource(raw, ctx.stats);
    const name = metered.name;
    const fileSize = await metered.size();
    if (fileSize < HEADER_SECTION_SIZE) {
      throw invalidDisk(name, `the file is ${fileSize} bytes, shorter than the 1 MiB VHDX header section: it is truncated`);
    }
    const head = await readExact(metered, 0, REGION_TABLE_OFFSETS[1] + REGION_TABLE_SIZE, 'the VHDX header section');
    if (!looksLikeVhdx(head)) throw invalidDisk(name, 'this is not a VHDX file (no "vhdxfile" signature at its start)');

    const header = currentHeader(name, head);
    const { view, replayed } = await replayLog(metered, header, fileSize);
    const viewSize = await view.size();
    const regions = await readRegions(view, name);
    const metadata = await readMetadata(view, name, regions.metadata);
    const geometry = checkGeometry(name, metadata);
    const { totalEntries } = batGeometry(geometry.virtualSize, geometry.blockSize, geometry.logicalSectorSize, geometry.hasParent);
    if (totalEntries * 8 > regions.bat.length) {
      throw invalidDisk(
        name,
        `the BAT region holds ${Math.floor(regions.bat.length / 8)} entries but a ${geometry.virtualSize}-byte disk with ${geometry.blockSize / MiB} MiB blocks needs ${totalEntries}`,
      );
    }

    const used = new SpaceMap(name, viewSize);
    used.claim(0, HEADER_SECTION_SIZE, 'the header section');
    if (header.logLength > 0) used.claim(header.logOffset, header.logLength, 'the log');
    used.claim(regions.bat.fileOffset, regions.bat.length, 'the BAT region');
    used.claim(regions.metadata.fileOffset, regions.metadata.length, 'the metadata region');

    const bat = new PagedTable(view, regions.bat.fileOffset, totalEntries, 8, decodeBatEntry, 'the BAT');
    const own = await validateBat(name, bat, geometry, used, viewSize);

    const details: VhdxDetails = {
      blockSize: geometry.blockSize,
      logicalSectorSize: geometry.logicalSectorSize,
      physicalSectorSize: geometry.physicalSectorSize,
      fixed: geometry.fixed,
      hasParent: geometry.hasParent,
      dataWriteGuid: header.dataWriteGuid,
      replayedLogEntries: replayed,
      parentLocator: metadata.locator,
    };
    const parentCtx = descend(ctx, name, [header.dataWriteGuid]);
    const parent = geometry.hasParent ? await openParent(view, metadata.locator!, geometry, resolver, parentCtx) : undefined;
    return new VhdxReader(view, geometry, bat, own, details, ctx.stats, parent);
  }

  protected async ownExtents(): Promise<Extent[]> {
    return this.own.map((e) => ({ ...e }));
  }

  protected async closeOwn(): Promise<void> {
    await this.view.close();
  }

  protected async map(offset: number, length: number): Promise<Piece[]> {
    const { blockSize, chunkRatio } = this.geometry;
    const pieces: Piece[] = [];
    const end = offset + length;
    for (let position = offset; position < end;) {
      const block = Math.floor(position / blockSize);
      const within = position - block * blockSize;
      const n = Math.min(blockSize - within, end - position);
      const entry = await this.bat.get(payloadEntryIndex(block, chunkRatio));
      if (entry.state === PAYLOAD_FULLY_PRESENT) {
        pieces.push({ kind: 'file', source: this.view, at: entry.fileOffset + within, length: n });
      } else if (entry.state === PAYLOAD_PARTIALLY_PRESENT) {
        for (const piece of await this.partialPieces(block, entry.fileOffset, within, n)) pieces.push(piece);
      } else if (entry.state === PAYLOAD_NOT_PRESENT && this.parent) {
        pieces.push({ kind: 'parent', length: n });
      } else {
        // ZERO, UNDEFINED, UNMAPPED and (without a parent) NOT_PRESENT read as zeros (MS-VHDX 2.5.1.1 allows it).
        pieces.push({ kind: 'zero', length: n });
      }
      position += n;
    }
    return pieces;
  }

  /** A partially present block (differencing files): its sector bitmap says, sector by sector, child or parent. */
  private async partialPieces(block: number, blockOffset: number, within: number, n: number): Promise<Piece[]> {
    const sector = this.geometry.logicalSectorSize;
    const bits = await this.blockBitmap(block);
    const pieces: Piece[] = [];
    const first = Math.floor(within / sector);
    const last = Math.ceil((within + n) / sector);
    let runStart = first;
    const bit = (s: number) => (bits[s >>> 3]! >>> (s & 7)) & 1;
    for (let s = first + 1; s <= last; s++) {
      if (s < last && bit(s) === bit(runStart)) continue;
      const from = Math.max(within, runStart * sector);
      const to = Math.min(within + n, s * sector);
      pieces.push(
        bit(runStart)
          ? { kind: 'file', source: this.view, at: blockOffset + from, length: to - from }
          : { kind: 'parent', length: to - from },
      );
      runStart = s;
    }
    return pieces;
  }

  private async blockBitmap(block: number): Promise<Buffer> {
    if (this.bitmapCache?.block === block) return this.bitmapCache.bits;
    const { blockSize, chunkRatio, logicalSectorSize } = this.geometry;
    const sb = await this.bat.get(bitmapEntryIndex(Math.floor(block / chunkRatio), chunkRatio));
    const sectorsPerBlock = blockSize / logicalSectorSize;
    const byteOffset = ((block % chunkRatio) * sectorsPerBlock) / 8;
    const bits = await readExact(this.view, sb.fileOffset + byteOffset, sectorsPerBlock / 8, 'a sector bitmap');
    this.bitmapCache = { block, bits };
    return bits;
  }
}

function currentHeader(name: string, head: Buffer): VhdxHeader {
  const valid = HEADER_OFFSETS.map((offset) => head.subarray(offset, offset + HEADER_SIZE))
    .filter((block) => block.toString('latin1', 0, 4) === 'head' && headerChecksumOk(block))
    .map(parseHeader);
  if (valid.length === 0) throw invalidDisk(name, 'both VHDX headers are damaged (wrong signature or CRC-32C checksum)');
  const header = valid.reduce((a, b) => (b.sequenceNumber > a.sequenceNumber ? b : a));
  if (header.version !== 1) {
    throw unsupportedDisk(
      name,
      `VHDX version ${header.version} is not supported (only version 1 is)`,
      'Convert the disk with Hyper-V (Convert-VHD) to a current VHDX, then retry.',
    );
  }
  return header;
}

async function replayLog(source: MeteredSource, header: VhdxHeader, fileSize: number): Promise<{ view: ByteSource; replayed: number }> {
  const { logOffset, logLength } = header;
  if (logLength > 0 && (logOffset % MiB || logLength % MiB || logOffset < HEADER_SECTION_SIZE || logOffset + logLength > fileSize)) {
    throw invalidDisk(
      source.name,
      `the log region (${logLength} bytes at byte ${logOffset}) is misplaced: it must be 1 MiB-aligned, after the header section and inside the file (${fileSize} bytes)`,
    );
  }
  if (header.logGuid === ZERO_GUID) return { view: source, replayed: 0 };
  if (header.logVersion !== 0) {
    throw unsupportedDisk(
      source.name,
      `the log has version ${header.logVersion}, which Lifeboat cannot replay`,
      'Attach the disk to Hyper-V once so the log is replayed, then retry.',
    );
  }
  const log = await readActiveLog(source, header, fileSize);
  return log ? { view: new LogOverlaySource(source, fileSize, log), replayed: log.entries } : { view: source, replayed: 0 };
}

async function readRegions(view: ByteSource, name: string): Promise<{ bat: RegionEntry; metadata: RegionEntry }> {
  const size = await view.size();
  let table: Buffer | undefined;
  for (const offset of REGION_TABLE_OFFSETS) {
    const candidate = await readExact(view, offset, REGION_TABLE_SIZE, 'a region table');
    if (candidate.toString('latin1', 0, 4) === 'regi' && regionTableChecksumOk(candidate) && candidate.readUInt32LE(8) <= 2047) {
      table = candidate;
      break;
    }
  }
  if (!table) throw invalidDisk(name, 'both region tables are damaged (wrong signature, CRC-32C checksum or entry count)');
  const found = new Map<string, RegionEntry>();
  const count = table.readUInt32LE(8);
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 32;
    const entry: RegionEntry = {
      guid: readGuid(table, at),
      fileOffset: Number(table.readBigUInt64LE(at + 16)),
      length: table.readUInt32LE(at + 24),
      required: (table.readUInt32LE(at + 28) & 1) === 1,
    };
    if (found.has(entry.guid)) throw invalidDisk(name, `the region table lists region ${entry.guid} twice`);
    found.set(entry.guid, entry);
    if (entry.guid !== REGION_BAT && entry.guid !== REGION_METADATA && entry.required) {
      throw unsupportedDisk(
        name,
        `the file requires region ${entry.guid}, which this VHDX reader does not know`,
        'The disk uses a newer VHDX feature. Convert it with Hyper-V (Convert-VHD) to a plain dynamic VHDX, then retry.',
      );
    }
  }
  const region = (guid: string, label: string): RegionEntry => {
    const entry = found.get(guid);
    if (!entry) throw invalidDisk(name, `the region table has no ${label} region`);
    if (entry.fileOffset % MiB || entry.length % MiB || entry.length === 0 || entry.fileOffset < HEADER_SECTION_SIZE) {
      throw invalidDisk(
        name,
        `the ${label} region (${entry.length} bytes at byte ${entry.fileOffset}) is not 1 MiB-aligned after the header section`,
      );
    }
    if (entry.fileOffset + entry.length > size) {
      throw invalidDisk(
        name,
        `the ${label} region (${entry.length} bytes at byte ${entry.fileOffset}) runs past the end of the file (${size} bytes)`,
      );
    }
    return entry;
  };
  return { bat: region(REGION_BAT, 'BAT'), metadata: region(REGION_METADATA, 'metadata') };
}

interface Metadata {
  items: Map<string, Buffer>;
  locator: Map<string, string> | undefined;
}

async function readMetadata(view: ByteSource, name: string, region: RegionEntry): Promise<Metadata> {
  if (region.length < METADATA_TABLE_SIZE) throw invalidDisk(name, 'the metadata region is smaller than its 64 KiB table');
  const table = await readExact(view, region.fileOffset, METADATA_TABLE_SIZE, 'the metadata table');
  if (table.toString('latin1', 0, 8) !== 'metadata') throw invalidDisk(name, 'the metadata table has a wrong signature');
  const count = table.readUInt16LE(10);
  if (count > 2047) throw invalidDisk(name, `the metadata table claims ${count} entries (at most 2047 are allowed)`);
  const items = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const at = 32 + i * 32;
    const id = readGuid(table, at);
    const offset = table.readUInt32LE(at + 16);
    const length = table.readUInt32LE(at + 20);
    const flags = table.readUInt32LE(at + 24);
    if (items.has(id)) throw invalidDisk(name, `the metadata table lists item ${id} twice`);
    if (!KNOWN_ITEMS.has(id)) {
      if (flags & META_IS_REQUIRED) {
        throw unsupportedDisk(
          name,
          `the file requires metadata item ${id}, which this VHDX reader does not know`,
          'The disk uses a newer VHDX feature. Convert it with Hyper-V (Convert-VHD) to a plain dynamic VHDX, then retry.',
        );
      }
      continue;
    }
    if (length > MAX_METADATA_ITEM || (length > 0 && offset < METADATA_TABLE_SIZE) || offset + length > region.length) {
      throw invalidDisk(name, `metadata item ${id} (${length} bytes at ${offset}) lies outside the metadata region`);
    }
    items.set(id, await readExact(view, region.fileOffset + offset, length, `metadata item ${id}`));
  }
  const hasParent = ((items.get(ITEM_FILE_PARAMETERS)?.readUInt32LE(4) ?? 0) & 2) === 2;
  const locatorItem = items.get(ITEM_PARENT_LOCATOR);
  if (hasParent && !locatorItem) throw invalidDisk(name, 'the file is a differencing disk but has no parent locator');
  return { items, locator: hasParent && locatorItem ? parseLocator(name, locatorItem) : undefined };
}

function fixedItem(name: string, items: Map<string, Buffer>, id: string, label: string, length: number): Buffer {
  const item = items.get(id);
  if (!item) throw invalidDisk(name, `the metadata has no ${label}`);
  if (item.length !== length) throw invalidDisk(name, `the ${label} metadata item is ${item.length} bytes (expected ${length})`);
  return item;
}

function checkGeometry(name: string, { items }: Metadata): Geometry {
  const params = fixedItem(name, items, ITEM_FILE_PARAMETERS, 'file parameters', 8);
  const blockSize = params.readUInt32LE(0);
  const flags = params.readUInt32LE(4);
  const hasParent = (flags & 2) === 2;
  const exactSize = fixedItem(name, items, ITEM_VIRTUAL_DISK_SIZE, 'virtual disk size', 8).readBigUInt64LE(0);
  const virtualSize = Number(exactSize);
  const logicalSectorSize = fixedItem(name, items, ITEM_LOGICAL_SECTOR_SIZE, 'logical sector size', 4).readUInt32LE(0);
  const physicalSectorSize = fixedItem(name, items, ITEM_PHYSICAL_SECTOR_SIZE, 'physical sector size', 4).readUInt32LE(0);
  if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw invalidDisk(name, `the block size ${blockSize} is not a power of two between 1 MiB and 256 MiB`);
  }
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096)
    throw invalidDisk(name, `the logical sector size ${logicalSectorSize} is neither 512 nor 4096`);
  if (physicalSectorSize !== 512 && physicalSectorSize !== 4096)
    throw invalidDisk(name, `the physical sector size ${physicalSectorSize} is neither 512 nor 4096`);
  if (!Number.isSafeInteger(virtualSize) || virtualSize > MAX_VIRTUAL_SIZE) {
    throw invalidDisk(name, `the virtual size ${exactSize} bytes is absurd (VHDX disks hold at most 64 TiB)`);
  }
  if (virtualSize % logicalSectorSize)
    throw invalidDisk(name, `the virtual size ${virtualSize} is not a whole number of ${logicalSectorSize}-byte sectors`);
  const { chunkRatio, dataBlocks } = batGeometry(virtualSize, blockSize, logicalSectorSize, hasParent);
  return {
    blockSize,
    logicalSectorSize,
    physicalSectorSize,
    virtualSize,
    hasParent,
    fixed: !hasParent && (flags & 1) === 1,
    chunkRatio,
    dataBlocks,
  };
}

function parseLocator(name: string, item: Buffer): Map<string, string> {
  if (item.length < 20) throw invalidDisk(name, 'the parent locator is shorter than its header');
  const type = readGuid(item, 0);
  if (type !== LOCATOR_TYPE_VHDX) {
    throw unsupportedDisk(
      name,
      `the parent locator has type ${type}; only VHDX parents are supported`,
      'Merge the differencing disk into its parent with Hyper-V (Edit Disk > Merge), then retry.',
    );
  }
  const count = item.readUInt16LE(18);
  if (20 + count * 12 > item.length) throw invalidDisk(name, `the parent locator claims ${count} entries, more than it holds`);
  const entries = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const at = 20 + i * 12;
    const keyOffset = item.readUInt32LE(at);
    const valueOffset = item.readUInt32LE(at + 4);
    const keyLength = item.readUInt16LE(at + 8);
    const valueLength = item.readUInt16LE(at + 10);
    if (keyOffset + keyLength > item.length || valueOffset + valueLength > item.length || keyLength % 2 || valueLength % 2) {
      throw invalidDisk(name, `parent locator entry ${i} points outside the locator`);
    }
    entries.set(
      item.toString('utf16le', keyOffset, keyOffset + keyLength),
      item.toString('utf16le', valueOffset, valueOffset + valueLength),
    );
  }
  if (!entries.get('parent_linkage')) throw invalidDisk(name, 'the parent locator has no parent_linkage');
  return entries;
}

/** Which MiB units of the file are taken, so that no two structures or blocks share bytes. */
class SpaceMap {
  private readonly bits: Uint8Array;

  constructor(
    private readonly name: string,
    size: number,
  ) {
    this.bits = new Uint8Array(Math.ceil(Math.ceil(size / MiB) / 8) + 1);
  }

  claim(offset: number, length: number, what: string): void {
    const first = Math.floor(offset / MiB);
    const end = Math.ceil((offset + length) / MiB);
    for (let unit = first; unit < end; unit++) {
      const mask = 1 << (unit & 7);
      if (this.bits[unit >>> 3]! & mask) {
        throw invalidDisk(this.name, `${what} overlaps another block or the file's own structures at byte ${unit * MiB}`);
      }
      this.bits[unit >>> 3]! |= mask;
    }
  }
}

async function validateBat(name: string, bat: PagedTable<BatEntry>, g: Geometry, used: SpaceMap, fileSize: number): Promise<Extent[]> {
  const extents = new ExtentBuilder();
  let chunkHasPartial = false;
  const stride = g.chunkRatio + 1;
  const inside = (offset: number, length: number, what: string) => {
    if (offset + length > fileSize) {
      throw invalidDisk(name, `the BAT entry of ${what} points to byte ${offset}, past the end of the file (${fileSize} bytes)`);
    }
    used.claim(offset, length, what);
  };
  await bat.scan((entry, index) => {
    if (index % stride === g.chunkRatio) {
      const chunk = Math.floor(index / stride);
      // Sector bitmaps only matter to differencing files; others may leave anything there.
      if (!g.hasParent) return;
      if (entry.state === SB_PRESENT) inside(entry.fileOffset, SECTOR_BITMAP_BLOCK_SIZE, `sector bitmap ${chunk}`);
      else if (entry.state !== SB_NOT_PRESENT)
        throw invalidDisk(name, `the sector bitmap entry of chunk ${chunk} has the invalid state ${entry.state}`);
      else if (chunkHasPartial) throw invalidDisk(name, `chunk ${chunk} has partially present blocks but no sector bitmap`);
      chunkHasPartial = false;
      return;
    }
    const block = index - Math.floor(index / stride);
    if (block >= g.dataBlocks) return;
    const start = block * g.blockSize;
    const length = Math.min(g.blockSize, g.virtualSize - start);
    switch (entry.state) {
      case PAYLOAD_PARTIALLY_PRESENT:
        if (!g.hasParent) throw invalidDisk(name, `block ${block} is marked partially present, which only differencing disks may use`);
        chunkHasPartial = true;
        inside(entry.fileOffset, length, `block ${block}`);
        extents.add(start, length);
        return;
      case PAYLOAD_FULLY_PRESENT:
        inside(entry.fileOffset, length, `block ${block}`);
        extents.add(start, length);
        return;
      case PAYLOAD_NOT_PRESENT:
      case PAYLOAD_UNDEFINED:
      case PAYLOAD_ZERO:
      case PAYLOAD_UNMAPPED:
      case PAYLOAD_UNMAPPED_V095:
        return;
      default:
        throw invalidDisk(name, `block ${block} has the reserved BAT state ${entry.state}`);
    }
  });
  return extents.extents;
}

/** Windows locator paths (".\\parent.vhdx", "C:\\VMs\\parent.vhdx") as names a SourceResolver can try. */
function parentCandidates(locator: ReadonlyMap<string, string>): string[] {
  const names: string[] = [];
  for (const key of ['relative_path', 'volume_path', 'absolute_win32_path']) {
    const value = locator.get(key);
    if (!value) continue;
    names.push(key === 'relative_path' ? value.replace(/\\/g, '/').replace(/^(\.\/)+/, '') : value);
  }
  // A chain copied to another folder or host keeps its file names: look next to the child last.
  for (const value of [...names]) {
    const base = path.win32.basename(value.replace(/\//g, '\\'));
    if (base) names.push(base);
  }
  return [...new Set(names)];
}

async function openParent(
  child: ByteSource,
  locator: ReadonlyMap<string, string>,
  g: Geometry,
  resolver: SourceResolver,
  ctx: ChainContext,
): Promise<VhdxReader> {
  const linkages = [locator.get('parent_linkage'), locator.get('parent_linkage2')].filter((v): v is string => !!v).map(normalizeGuid);
  const tried: string[] = [];
  let mismatch: string | undefined;
  for (const candidate of parentCandidates(locator)) {
    let source: ByteSource;
    try {
      source = await resolver.open(candidate, child);
    } catch {
      tried.push(candidate);
      continue;
    }
    const head = await source.read(0, 8).catch(() => Buffer.alloc(0));
    if (!looksLikeVhdx(head)) {
      await source.close();
      tried.push(`${candidate} (not a VHDX file)`);
      continue;
    }
    const parent = await VhdxReader.open(source, resolver, ctx).catch(async (error: unknown) => {
      await source.close().catch(() => undefined);
      throw error;
    });
    if (linkages.includes(parent.details.dataWriteGuid)) {
      if (parent.details.logicalSectorSize !== g.logicalSectorSize) {
        await parent.close();
        throw invalidDisk(
          child.name,
          `its parent ${parent.name} has ${parent.details.logicalSectorSize}-byte sectors, the child ${g.logicalSectorSize}-byte sectors`,
        );
      }
      return parent;
    }
    mismatch = `${parent.name} has DataWriteGuid {${parent.details.dataWriteGuid}} but the child was taken from {${linkages[0]}}`;
    await parent.close();
  }
  if (mismatch) {
    throw invalidDisk(
      child.name,
      `the parent disk was modified after this differencing disk was created (${mismatch})`,
      'The checkpoint chain is broken: restore the chain from a copy taken together, or merge the checkpoints in Hyper-V and back up the merged disk.',
    );
  }
  throw invalidDisk(
    child.name,
    `its parent disk is missing (tried ${tried.join(', ') || 'no path: the locator names none'})`,
    `Copy the parent disk (${locator.get('relative_path') ?? locator.get('absolute_win32_path') ?? 'see the checkpoint chain'}) next to this file, or back up the whole checkpoint chain together.`,
  );
}
