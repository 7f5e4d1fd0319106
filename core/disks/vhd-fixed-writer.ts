import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { RawDiskWriter } from './raw-writer';
import type { DiskWriter, PositionalTarget } from './types';

const MiB = 1024 * 1024;
const FOOTER_SIZE = 512;
/** Seconds from the Unix epoch to the VHD epoch, 2000-01-01T00:00:00Z. */
const VHD_EPOCH = 946_684_800;

/** Azure takes only fixed VHDs whose virtual size is a whole number of MiB: the tail past the data reads as zeros. */
export const azureVirtualSize = (size: number): number => Math.ceil(size / MiB) * MiB;

/**
 * A fixed VHD (Microsoft "Virtual Hard Disk Image Format Specification" 1.0): the disk's bytes, then a 512-byte
 * footer. The format Azure imports as a managed disk, so its size is rounded up to a whole MiB. Ranges never
 * written stay holes in the file, which a page-blob upload skips.
 */
export class FixedVhdWriter implements DiskWriter {
  readonly format = 'vhd-fixed' as const;
  readonly files: readonly string[];
  readonly positional: PositionalTarget;

  private constructor(
    private readonly file: string,
    private readonly raw: RawDiskWriter,
    private readonly virtualSize: number,
  ) {
    this.files = [file];
    this.positional = raw.positional;
  }

  static async create(file: string, size: number): Promise<FixedVhdWriter> {
    const virtualSize = azureVirtualSize(size);
    return new FixedVhdWriter(file, await RawDiskWriter.create(file, virtualSize), virtualSize);
  }

  write(offset: number, data: Buffer): Promise<void> {
    return this.raw.write(offset, data);
  }

  async close(): Promise<void> {
    await this.raw.close();
    const handle = await fs.open(this.file, 'r+');
    try {
      await handle.write(fixedVhdFooter(this.virtualSize), 0, FOOTER_SIZE, this.virtualSize);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  abort(): Promise<void> {
    return this.raw.abort();
  }
}

/** The footer of a fixed disk of `size` bytes (a multiple of 512). */
export function fixedVhdFooter(size: number, now = new Date(), uniqueId = randomBytes(16)): Buffer {
  const footer = Buffer.alloc(FOOTER_SIZE);
  footer.write('conectix', 0, 'latin1');
  footer.writeUInt32BE(0x00000002, 8); // features: the reserved bit, always set
  footer.writeUInt32BE(0x00010000, 12); // format version 1.0
  footer.writeBigUInt64BE(0xffffffffffffffffn, 16); // data offset: none for a fixed disk
  footer.writeUInt32BE(Math.max(0, Math.floor(now.getTime() / 1000) - VHD_EPOCH), 24);
  // Creator application: Lifeboat's own tag, not one it is not. Hyper-V and Azure take the current size below;
  // qemu does so only for creators it knows ("win ", "qem2", …) and needs force_size_calc=current_size here.
  footer.write('lfbt', 28, 'latin1');
  footer.writeUInt32BE(0x00010000, 32);
  footer.write('Wi2k', 36, 'latin1'); // creator host OS: the spec knows Windows and Macintosh only
  footer.writeBigUInt64BE(BigInt(size), 40); // original size
  footer.writeBigUInt64BE(BigInt(size), 48); // current size
  const { cylinders, heads, sectorsPerTrack } = chsGeometry(size);
  footer.writeUInt16BE(cylinders, 56);
  footer.writeUInt8(heads, 58);
  footer.writeUInt8(sectorsPerTrack, 59);
  footer.writeUInt32BE(2, 60); // disk type: fixed
  uniqueId.copy(footer, 68, 0, 16);
  let sum = 0;
  for (const byte of footer) sum += byte;
  footer.writeUInt32BE(~sum >>> 0, 64);
  return footer;
}

/** The CHS geometry the specification's appendix computes from the size (capped at 65535/16/255). */
export function chsGeometry(size: number): { cylinders: number; heads: number; sectorsPerTrack: number } {
  const totalSectors = Math.min(Math.floor(size / 512), 65535 * 16 * 255);
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (totalSectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    heads = Math.max(4, Math.floor((cylinderTimesHeads + 1023) / 1024));
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}
