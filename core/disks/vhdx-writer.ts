/**
 * Writes a dynamic VHDX (MS-VHDX v1.00), the format Hyper-V imports, or a differencing VHDX on top of a
 * parent. Layout, as Hyper-V and qemu lay it out: header section (1 MiB), log (1 MiB, empty), metadata
 * region (1 MiB), BAT, then payload blocks in the order they are first written. Blocks that only ever receive
 * zeros stay NOT_PRESENT. The identifiers and headers are written last, so a restore that dies half-way
 * leaves a file no hypervisor will mistake for a disk.
 */
import { isAllZero, randomGuid, ZERO_GUID } from './bytes';
import { MAX_VIRTUAL_SIZE, MiB, unsupportedDisk } from './errors';
import { checkWriteRange, OutputFile } from './file-writer';
import type { DiskWriter } from './types';
import {
  batGeometry,
  bitmapEntryIndex,
  encodeBatEntry,
  HEADER_OFFSETS,
  ITEM_FILE_PARAMETERS,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PAGE_83,
  ITEM_PARENT_LOCATOR,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_VIRTUAL_DISK_SIZE,
  MAX_BLOCK_SIZE,
  META_IS_REQUIRED,
  META_IS_VIRTUAL_DISK,
  MIN_BLOCK_SIZE,
  PAYLOAD_FULLY_PRESENT,
  PAYLOAD_PARTIALLY_PRESENT,
  payloadEntryIndex,
  REGION_BAT,
  REGION_METADATA,
  REGION_TABLE_OFFSETS,
  SB_PRESENT,
  SECTOR_BITMAP_BLOCK_SIZE,
  serializeHeader,
  serializeMetadataRegion,
  serializeParentLocator,
  serializeRegionTable,
  SIGNATURE_FILE,
  type MetadataItem,
} from './vhdx-format';

/** Hyper-V's own default for dynamic disks. */
export const DEFAULT_VHDX_BLOCK_SIZE = 32 * MiB;
const LOG_OFFSET = MiB;
const LOG_LENGTH = MiB;
const METADATA_OFFSET = 2 * MiB;
const METADATA_LENGTH = MiB;
const BAT_OFFSET = 3 * MiB;

export interface VhdxParentLink {
  /** The parent's DataWriteGuid (what a reader checks the parent against). */
  linkage: string;
  /** Relative to the child's folder, Windows style as Hyper-V writes it (".\\parent.vhdx"). */
  relativePath: string;
  absoluteWin32Path?: string;
  volumePath?: string;
}

export interface VhdxWriterOptions {
  blockSize?: number;
  logicalSectorSize?: 512 | 4096;
  physicalSectorSize?: 512 | 4096;
  /** Makes a differencing disk: ranges never written read from the parent. */
  parent?: VhdxParentLink;
  /** Normally random; fixed only to build test chains. */
  dataWriteGuid?: string;
}

export class VhdxWriter implements DiskWriter {
  readonly format = 'vhdx' as const;
  readonly files: readonly string[];
  readonly dataWriteGuid: string;
  private readonly blockSize: number;
  private readonly logicalSectorSize: number;
  private readonly physicalSectorSize: number;
  private readonly geometry: ReturnType<typeof batGeometry>;
  private readonly batLength: number;
  /** File offset of each allocated payload block. */
  private readonly blocks = new Map<number, number>();
  /** Differencing only: the sector bitmap of each chunk touched, as it will be written. */
  private readonly bitmaps = new Map<number, Buffer>();
  private nextFree: number;

  private constructor(
    private readonly out: OutputFile,
    readonly virtualSize: number,
    private readonly options: VhdxWriterOptions,
  ) {
    this.files = [out.path];
    this.blockSize = options.blockSize ?? DEFAULT_VHDX_BLOCK_SIZE;
    this.logicalSectorSize = options.logicalSectorSize ?? 512;
    this.physicalSectorSize = options.physicalSectorSize ?? 4096;
    this.dataWriteGuid = options.dataWriteGuid ?? randomGuid();
    this.geometry = batGeometry(virtualSize, this.blockSize, this.logicalSectorSize, !!options.parent);
    this.batLength = Math.max(MiB, Math.ceil((this.geometry.totalEntries * 8) / MiB) * MiB);
    this.nextFree = BAT_OFFSET + this.batLength;
  }

  static async create(file: string, virtualSize: number, options: VhdxWriterOptions = {}): Promise<VhdxWriter> {
    const blockSize = options.blockSize ?? DEFAULT_VHDX_BLOCK_SIZE;
    const sector = options.logicalSectorSize ?? 512;
    if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
      throw new RangeError('A VHDX block size is a power of two from 1 MiB to 256 MiB.');
    }
    if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0 || virtualSize > MAX_VIRTUAL_SIZE || virtualSize % sector) {
      throw unsupportedDisk(
        file,
        `a VHDX holds a whole number of ${sector}-byte sectors, at most 64 TiB; this disk is ${virtualSize} bytes`,
        'Restore it as raw.',
      );
    }
    return new VhdxWriter(await OutputFile.create(file), virtualSize, options);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    checkWriteRange(offset, data.length, this.virtualSize);
    const differencing = !!this.options.parent;
    if (differencing && (offset % this.logicalSectorSize || data.length % this.logicalSectorSize)) {
      throw new RangeError('Writes to a differencing VHDX must cover whole sectors.');
    }
    for (let done = 0; done < data.length;) {
      const position = offset + done;
      const block = Math.floor(position / this.blockSize);
      const within = position - block * this.blockSize;
      const piece = data.subarray(done, done + Math.min(this.blockSize - within, data.length - done));
      let blockOffset = this.blocks.get(block);
      // In a differencing disk zeros hide the parent's data, so they are kept.
      if (blockOffset === undefined && (differencing || !isAllZero(piece))) {
        blockOffset = this.nextFree;
        this.nextFree += this.blockSize;
        this.blocks.set(block, blockOffset);
      }
      if (blockOffset !== undefined) {
        await this.out.write(blockOffset + within, piece);
        if (differencing) this.markSectors(block, within, piece.length);
      }
      done += piece.length;
    }
  }

  private markSectors(block: number, within: number, length: number): void {
    const { chunkRatio } = this.geometry;
    const chunk = Math.floor(block / chunkRatio);
    let bits = this.bitmaps.get(chunk);
    if (!bits) {
      bits = Buffer.alloc(SECTOR_BITMAP_BLOCK_SIZE);
      this.bitmaps.set(chunk, bits);
    }
    const sectorsPerBlock = this.blockSize / this.logicalSectorSize;
    const first = (block % chunkRatio) * sectorsPerBlock + within / this.logicalSectorSize;
    for (let s = first; s < first + length / this.logicalSectorSize; s++) bits[s >>> 3]! |= 1 << (s & 7);
  }

  private blockFullyWritten(block: number): boolean {
    const bits = this.bitmaps.get(Math.floor(block / this.geometry.chunkRatio));
    if (!bits) return false;
    const bytes = this.blockSize / this.logicalSectorSize / 8;
    const start = (block % this.geometry.chunkRatio) * bytes;
    return bits.subarray(start, start + bytes).every((b) => b === 0xff);
  }

  async close(): Promise<void> {
    const { chunkRatio, totalEntries } = this.geometry;
    const differencing = !!this.options.parent;
    const bitmapOffsets = new Map<number, number>();
    for (const [chunk, bits] of this.bitmaps) {
      bitmapOffsets.set(chunk, this.nextFree);
      await this.out.write(this.nextFree, bits);
      this.nextFree += SECTOR_BITMAP_BLOCK_SIZE;
    }
    // The BAT, a page at a time so that memory stays small for any disk size.
    const entriesPerPage = MiB / 8;
    for (let first = 0; first < totalEntries; first += entriesPerPage) {
      const page = Buffer.alloc(Math.min(entriesPerPage, totalEntries - first) * 8);
      const set = (index: number, state: number, fileOffset: number) => {
        if (index >= first && index < first + page.length / 8) encodeBatEntry(page, (index - first) * 8, state, fileOffset);
      };
      for (const [block, fileOffset] of this.blocks) {
        const state = !differencing || this.blockFullyWritten(block) ? PAYLOAD_FULLY_PRESENT : PAYLOAD_PARTIALLY_PRESENT;
        set(payloadEntryIndex(block, chunkRatio), state, fileOffset);
      }
      for (const [chunk, fileOffset] of bitmapOffsets) set(bitmapEntryIndex(chunk, chunkRatio), SB_PRESENT, fileOffset);
      await this.out.write(BAT_OFFSET + first * 8, page);
    }
    await this.out.write(METADATA_OFFSET, serializeMetadataRegion(this.metadataItems(), METADATA_LENGTH));
    await this.out.truncate(this.nextFree);
    const table = serializeRegionTable([
      { guid: REGION_BAT, fileOffset: BAT_OFFSET, length: this.batLength, required: true },
      { guid: REGION_METADATA, fileOffset: METADATA_OFFSET, length: METADATA_LENGTH, required: true },
    ]);
    for (const offset of REGION_TABLE_OFFSETS) await this.out.write(offset, table);
    const fileWriteGuid = randomGuid();
    for (const [i, offset] of HEADER_OFFSETS.entries()) {
      const header = serializeHeader({
        sequenceNumber: BigInt(i + 1),
        fileWriteGuid,
        dataWriteGuid: this.dataWriteGuid,
        logGuid: ZERO_GUID,
        logVersion: 0,
        version: 1,
        logLength: LOG_LENGTH,
        logOffset: LOG_OFFSET,
      });
      await this.out.write(offset, header);
    }
    const identifier = Buffer.alloc(512);
    identifier.write(SIGNATURE_FILE, 0, 'ascii');
    identifier.write('Lifeboat', 8, 'utf16le');
    await this.out.write(0, identifier);
    await this.out.finish();
  }

  abort(): Promise<void> {
    return this.out.discard();
  }

  private metadataItems(): MetadataItem[] {
    const u32 = (value: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(value);
      return b;
    };
    const params = Buffer.alloc(8);
    params.writeUInt32LE(this.blockSize, 0);
    params.writeUInt32LE(this.options.parent ? 2 : 0, 4);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(this.virtualSize));
    const page83 = Buffer.alloc(16);
    Buffer.from(randomGuid().replace(/-/g, ''), 'hex').copy(page83);
    const items: MetadataItem[] = [
      { id: ITEM_FILE_PARAMETERS, data: params, flags: META_IS_REQUIRED },
      { id: ITEM_VIRTUAL_DISK_SIZE, data: size, flags: META_IS_REQUIRED | META_IS_VIRTUAL_DISK },
      { id: ITEM_PAGE_83, data: page83, flags: META_IS_REQUIRED | META_IS_VIRTUAL_DISK },
      { id: ITEM_LOGICAL_SECTOR_SIZE, data: u32(this.logicalSectorSize), flags: META_IS_REQUIRED | META_IS_VIRTUAL_DISK },
      { id: ITEM_PHYSICAL_SECTOR_SIZE, data: u32(this.physicalSectorSize), flags: META_IS_REQUIRED | META_IS_VIRTUAL_DISK },
    ];
    const parent = this.options.parent;
    if (parent) {
      const pairs: [string, string][] = [
        ['parent_linkage', `{${parent.linkage.replace(/[{}]/g, '')}}`],
        ['relative_path', parent.relativePath],
      ];
      if (parent.absoluteWin32Path) pairs.push(['absolute_win32_path', parent.absoluteWin32Path]);
      if (parent.volumePath) pairs.push(['volume_path', parent.volumePath]);
      items.push({ id: ITEM_PARENT_LOCATOR, data: serializeParentLocator(pairs), flags: META_IS_REQUIRED });
    }
    return items;
  }
}
