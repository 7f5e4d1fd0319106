/**
 * VHD reader (Microsoft "Virtual Hard Disk Image Format Specification" 1.0): fixed and dynamic disks, as
 * legacy Gen1 Hyper-V VMs and Virtual PC left them. All integers are big-endian.
 *
 * Fixed: the data, then a 512-byte footer. Dynamic: footer copy, dynamic header, BAT of 32-bit sector
 * offsets (0xFFFFFFFF = unallocated); each block is a sector bitmap followed by the data. Like qemu, an
 * allocated block is read whole and its sector bitmap is not consulted: writers fill unwritten sectors of a
 * new block with zeros. Differencing VHDs are refused (DISK_UNSUPPORTED).
 */
import { readExact } from './bytes';
import { descend, rootContext, type ChainContext } from './chain';
import { invalidDisk, unsupportedDisk } from './errors';
import { ExtentBuilder } from './extents';
import { MappedReader, type Piece } from './mapped-reader';
import { MeteredSource } from './metered-source';
import { PagedTable } from './paged-table';
import type { ByteSource, Extent } from './types';

const FOOTER_SIZE = 512;
const DYNAMIC_HEADER_SIZE = 1024;
const UNALLOCATED = 0xffffffff;
/** The VHD format's own limit (2040 GiB); anything larger is a damaged footer. */
const MAX_VHD_SIZE = 2040 * 2 ** 30;
const DISK_FIXED = 2;
const DISK_DYNAMIC = 3;
const DISK_DIFFERENCING = 4;

export async function looksLikeVhd(head: Buffer, source: ByteSource): Promise<boolean> {
  if (head.length >= 8 && head.toString('latin1', 0, 8) === 'conectix') return true;
  const size = await source.size();
  if (size < FOOTER_SIZE) return false;
  const tail = await source.read(size - FOOTER_SIZE, 8);
  return tail.toString('latin1') === 'conectix';
}

/** Ones' complement of the byte sum, with the checksum field itself counted as zero. */
function vhdChecksum(data: Buffer, checksumAt: number): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) if (i < checksumAt || i >= checksumAt + 4) sum += data[i]!;
  return ~sum >>> 0;
}

interface Footer {
  diskType: number;
  currentSize: number;
  dataOffset: number;
  version: number;
}

function parseFooter(block: Buffer): Footer | null {
  if (block.length < FOOTER_SIZE || block.toString('latin1', 0, 8) !== 'conectix') return null;
  if (block.readUInt32BE(64) !== vhdChecksum(block.subarray(0, FOOTER_SIZE), 64)) return null;
  return {
    version: block.readUInt32BE(12),
    dataOffset: Number(block.readBigUInt64BE(16)),
    currentSize: Number(block.readBigUInt64BE(48)),
    diskType: block.readUInt32BE(60),
  };
}

interface Layout {
  kind: 'fixed' | 'dynamic';
  virtualSize: number;
  blockSize: number;
  bitmapBytes: number;
}

export class VhdReader extends MappedReader {
  readonly format = 'vhd' as const;

  private constructor(
    private readonly source: ByteSource,
    private readonly layout: Layout,
    private readonly bat: PagedTable<number> | undefined,
    private readonly own: Extent[],
    stats: ChainContext['stats'],
  ) {
    super(stats, undefined);
  }

  get name(): string {
    return this.source.name;
  }

  get virtualSize(): number {
    return this.layout.virtualSize;
  }

  static async open(raw: ByteSource, ctx: ChainContext = rootContext()): Promise<VhdReader> {
    const source = new MeteredSource(raw, ctx.stats);
    const name = source.name;
    descend(ctx, name, []);
    const size = await source.size();
    if (size < FOOTER_SIZE) throw invalidDisk(name, `the file is ${size} bytes, too short for a VHD footer: it is truncated`);
    const atEnd = parseFooter(await readExact(source, size - FOOTER_SIZE, FOOTER_SIZE, 'the VHD footer'));
    // Dynamic disks keep a copy of the footer at the start, for exactly the case of a damaged end.
    const atStart = atEnd ? null : parseFooter(await readExact(source, 0, FOOTER_SIZE, 'the VHD footer copy'));
    const footer = atEnd ?? (atStart?.diskType === DISK_DYNAMIC ? atStart : null);
    if (!footer) throw invalidDisk(name, 'the VHD footer is damaged (wrong cookie or checksum) and no valid copy exists');
    if (footer.version >>> 16 !== 1) {
      throw unsupportedDisk(
        name,
        `VHD format version ${footer.version >>> 16}.${footer.version & 0xffff} is not supported`,
        'Convert the disk to VHDX with Hyper-V (Convert-VHD), then retry.',
      );
    }
    if (footer.diskType === DISK_DIFFERENCING) {
      throw unsupportedDisk(
        name,
        'differencing VHD files (legacy checkpoints) are not supported',
        'Merge the checkpoint into its parent in Hyper-V Manager (or convert the chain with Convert-VHD), then back up the merged disk.',
      );
    }
    if (footer.diskType !== DISK_FIXED && footer.diskType !== DISK_DYNAMIC)
      throw invalidDisk(name, `the VHD disk type ${footer.diskType} is not fixed (2), dynamic (3) or differencing (4)`);
    const virtualSize = footer.currentSize;
    if (!Number.isSafeInteger(virtualSize) || virtualSize > MAX_VHD_SIZE || virtualSize % 512) {
      throw invalidDisk(name, `the virtual size ${virtualSize} bytes is absurd (a VHD holds whole sectors, at most 2040 GiB)`);
    }
    // Data never extends into the footer at the end.
    const dataLimit = atEnd ? size - FOOTER_SIZE : size;
    if (footer.diskType === DISK_FIXED) {
      if (virtualSize > dataLimit)
        throw invalidDisk(name, `the fixed VHD declares ${virtualSize} bytes of data but the file holds ${dataLimit}: it is truncated`);
      return new VhdReader(
        source,
        { kind: 'fixed', virtualSize, blockSize: 0, bitmapBytes: 0 },
        undefined,
        virtualSize ? [{ offset: 0, length: virtualSize }] : [],
        ctx.stats,
      );
    }
    const dynamic = await openDynamic(source, footer, dataLimit);
    return new VhdReader(source, dynamic.layout, dynamic.bat, dynamic.own, ctx.stats);
  }

  protected async ownExtents(): Promise<Extent[]> {
    return this.own.map((e) => ({ ...e }));
  }

  protected closeOwn(): Promise<void> {
    return this.source.close();
  }

  protected async map(offset: number, length: number): Promise<Piece[]> {
    if (this.layout.kind === 'fixed') return [{ kind: 'file', source: this.source, at: offset, length }];
    const { blockSize, bitmapBytes } = this.layout;
    const pieces: Piece[] = [];
    for (let position = offset; position < offset + length;) {
      const block = Math.floor(position / blockSize);
      const within = position - block * blockSize;
      const n = Math.min(blockSize - within, offset + length - position);
      const sector = await this.bat!.get(block);
      pieces.push(
        sector === UNALLOCATED
          ? { kind: 'zero', length: n }
          : { kind: 'file', source: this.source, at: sector * 512 + bitmapBytes + within, length: n },
      );
      position += n;
    }
    return pieces;
  }
}

async function openDynamic(
  source: ByteSource,
  footer: Footer,
  dataLimit: number,
): Promise<{ layout: Layout; bat: PagedTable<number>; own: Extent[] }> {
  const name = source.name;
  const virtualSize = footer.currentSize;
  const headerAt = footer.dataOffset;
  if (!Number.isSafeInteger(headerAt) || headerAt < FOOTER_SIZE || headerAt + DYNAMIC_HEADER_SIZE > dataLimit) {
    throw invalidDisk(name, `the dynamic header offset ${headerAt} lies outside the file (${dataLimit} bytes of data)`);
  }
  const header = await readExact(source, headerAt, DYNAMIC_HEADER_SIZE, 'the dynamic disk header');
  if (header.toString('latin1', 0, 8) !== 'cxsparse') throw invalidDisk(name, 'the dynamic disk header has a wrong cookie');
  if (header.readUInt32BE(36) !== vhdChecksum(header, 36)) throw invalidDisk(name, 'the dynamic disk header checksum is wrong');
  const tableOffset = Number(header.readBigUInt64BE(16));
  const maxTableEntries = header.readUInt32BE(28);
  const blockSize = header.readUInt32BE(32);
  if (blockSize < 512 || blockSize > 256 * 2 ** 20 || (blockSize & (blockSize - 1)) !== 0) {
    throw invalidDisk(name, `the block size ${blockSize} is not a power of two between 512 bytes and 256 MiB`);
  }
  const blocks = Math.ceil(virtualSize / blockSize);
  if (maxTableEntries < blocks)
    throw invalidDisk(name, `the BAT has ${maxTableEntries} entries but the ${virtualSize}-byte disk needs ${blocks}`);
  if (!Number.isSafeInteger(tableOffset) || tableOffset + blocks * 4 > dataLimit) {
    throw invalidDisk(
      name,
      `the BAT (${blocks * 4} bytes at byte ${tableOffset}) runs past the end of the file (${dataLimit} bytes of data)`,
    );
  }
  const bitmapBytes = Math.ceil(blockSize / 512 / 8 / 512) * 512;
  const bat = new PagedTable(source, tableOffset, blocks, 4, (page, at) => page.readUInt32BE(at), 'the BAT');

  // Every allocated block inside the file, none overlapping another or the disk's own structures.
  const reserved = [
    { start: 0, end: FOOTER_SIZE, what: 'the footer copy' },
    { start: headerAt, end: headerAt + DYNAMIC_HEADER_SIZE, what: 'the dynamic header' },
    { start: tableOffset, end: tableOffset + Math.ceil((maxTableEntries * 4) / 512) * 512, what: 'the BAT' },
  ];
  const maxBlocksInFile = Math.floor(dataLimit / (bitmapBytes + Math.min(blockSize, virtualSize || blockSize))) + 1;
  const starts: { start: number; end: number; what: string }[] = [];
  const extents = new ExtentBuilder();
  await bat.scan((sector, block) => {
    if (sector === UNALLOCATED) return;
    const length = Math.min(blockSize, virtualSize - block * blockSize);
    const start = sector * 512;
    const end = start + bitmapBytes + length;
    if (end > dataLimit)
      throw invalidDisk(name, `the BAT entry of block ${block} points to byte ${start}, past the end of the data (${dataLimit} bytes)`);
    if (starts.length >= maxBlocksInFile) throw invalidDisk(name, `more blocks are allocated than the file can hold: some of them overlap`);
    starts.push({ start, end, what: `block ${block}` });
    extents.add(block * blockSize, length);
  });
  const all = [...reserved, ...starts].sort((a, b) => a.start - b.start);
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.start < all[i - 1]!.end) throw invalidDisk(name, `${all[i]!.what} overlaps ${all[i - 1]!.what} at byte ${all[i]!.start}`);
  }
  return { layout: { kind: 'dynamic', virtualSize, blockSize, bitmapBytes }, bat, own: extents.extents };
}
