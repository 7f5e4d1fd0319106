/**
 * VMDK writers for restore (VMware "Virtual Disk Format 5.0"):
 * - monolithicSparse, one file VMware Workstation/Fusion opens: header, embedded descriptor, redundant and
 *   primary grain directories with all grain tables preallocated (as VMware and qemu lay them out), then
 *   64 KiB grains in the order they are first written. Grains that only ever receive zeros stay unallocated.
 * - ESXi (createType "vmfs"): a descriptor plus a "-flat.vmdk" of raw bytes, the pair one uploads to a
 *   datastore. Zero ranges are never written, so the flat file stays sparse on the local disk.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { isAllZero } from './bytes';
import { MAX_VIRTUAL_SIZE, unsupportedDisk } from './errors';
import { checkWriteRange, OutputFile } from './file-writer';
import type { DiskWriter } from './types';
import { formatDescriptor, NO_PARENT_CID } from './vmdk-descriptor';
import { SECTOR, serializeSparseHeader } from './vmdk-sparse';

const GRAIN_SECTORS = 128;
const GTES_PER_GT = 512;
const DESCRIPTOR_SECTORS = 20;
const FLAGS = (1 << 0) | (1 << 1); // newline test valid, redundant grain tables
/** Grain offsets are 32-bit sector numbers: a hosted sparse file cannot pass 2 TiB. */
const MAX_SPARSE_FILE_SECTORS = 0xffffffff;

export type AdapterType = 'ide' | 'lsilogic' | 'buslogic' | 'legacyESX';

function diskDatabase(capacitySectors: number, adapter: AdapterType): [string, string][] {
  const [heads, sectors, maxCylinders] = adapter === 'ide' ? [16, 63, 16383] : [255, 63, 65535];
  const cylinders = Math.min(Math.max(1, Math.floor(capacitySectors / (heads * sectors))), maxCylinders);
  return [
    ['ddb.virtualHWVersion', '4'],
    ['ddb.geometry.cylinders', String(cylinders)],
    ['ddb.geometry.heads', String(heads)],
    ['ddb.geometry.sectors', String(sectors)],
    ['ddb.adapterType', adapter],
    ['ddb.longContentID', crypto.randomBytes(16).toString('hex')],
    ['ddb.uuid', [...crypto.randomBytes(16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')],
  ];
}

function randomCid(): number {
  // Neither the "no parent" marker nor the value VMware reserves for "not yet written".
  let cid = NO_PARENT_CID;
  while (cid === NO_PARENT_CID || cid === 0xfffffffe) cid = crypto.randomBytes(4).readUInt32LE();
  return cid;
}

function checkSize(file: string, virtualSize: number): void {
  if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0 || virtualSize % SECTOR || virtualSize > MAX_VIRTUAL_SIZE) {
    throw unsupportedDisk(
      file,
      `a VMDK holds a whole number of 512-byte sectors, at most 64 TiB; this disk is ${virtualSize} bytes`,
      'Restore it as raw.',
    );
  }
}

export interface VmdkWriterOptions {
  adapterType?: AdapterType;
}

export class VmdkSparseWriter implements DiskWriter {
  readonly format = 'vmdk' as const;
  readonly files: readonly string[];
  readonly cid = randomCid();
  private readonly capacity: number;
  private readonly tables: number;
  private readonly gdSectors: number;
  private readonly gtSectors = (GTES_PER_GT * 4) / SECTOR;
  private readonly rgdOffset = 1 + DESCRIPTOR_SECTORS;
  private readonly gdOffset: number;
  private readonly overHead: number;
  /** Grain tables that received at least one grain, by index. */
  private readonly grainTables = new Map<number, Uint32Array>();
  private nextGrain: number;

  private constructor(
    private readonly out: OutputFile,
    readonly virtualSize: number,
    private readonly options: VmdkWriterOptions,
  ) {
    this.files = [out.path];
    this.capacity = virtualSize / SECTOR;
    this.tables = Math.ceil(this.capacity / (GRAIN_SECTORS * GTES_PER_GT));
    this.gdSectors = Math.ceil((this.tables * 4) / SECTOR);
    this.gdOffset = this.rgdOffset + this.gdSectors + this.tables * this.gtSectors;
    this.overHead = Math.ceil((this.gdOffset + this.gdSectors + this.tables * this.gtSectors) / GRAIN_SECTORS) * GRAIN_SECTORS;
    this.nextGrain = this.overHead;
  }

  static async create(file: string, virtualSize: number, options: VmdkWriterOptions = {}): Promise<VmdkSparseWriter> {
    checkSize(file, virtualSize);
    const capacity = virtualSize / SECTOR;
    if (capacity + Math.ceil(capacity / 128 / 512) * 8 + 1024 > MAX_SPARSE_FILE_SECTORS) {
      throw unsupportedDisk(
        file,
        `a ${virtualSize}-byte disk is too large for a monolithicSparse VMDK (at most 2 TiB)`,
        'Restore it as vmdk-esxi (descriptor + flat file) or vhdx.',
      );
    }
    return new VmdkSparseWriter(await OutputFile.create(file), virtualSize, options);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    checkWriteRange(offset, data.length, this.virtualSize);
    const grainBytes = GRAIN_SECTORS * SECTOR;
    for (let done = 0; done < data.length;) {
      const position = offset + done;
      const grain = Math.floor(position / grainBytes);
      const within = position - grain * grainBytes;
      const piece = data.subarray(done, done + Math.min(grainBytes - within, data.length - done));
      done += piece.length;
      const table = Math.floor(grain / GTES_PER_GT);
      let gt = this.grainTables.get(table);
      let sector = gt?.[grain % GTES_PER_GT] ?? 0;
      if (sector === 0) {
        if (isAllZero(piece)) continue;
        if (!gt) {
          gt = new Uint32Array(GTES_PER_GT);
          this.grainTables.set(table, gt);
        }
        sector = this.nextGrain;
        this.nextGrain += GRAIN_SECTORS;
        gt[grain % GTES_PER_GT] = sector;
      }
      await this.out.write(sector * SECTOR + within, piece);
    }
  }

  async close(): Promise<void> {
    const rgtStart = this.rgdOffset + this.gdSectors;
    const gtStart = this.gdOffset + this.gdSectors;
    for (const [table, gt] of this.grainTables) {
      const bytes = Buffer.alloc(GTES_PER_GT * 4);
      gt.forEach((v, i) => bytes.writeUInt32LE(v, i * 4));
      await this.out.write((rgtStart + table * this.gtSectors) * SECTOR, bytes);
      await this.out.write((gtStart + table * this.gtSectors) * SECTOR, bytes);
    }
    // Directories point at every table, written or not: an all-zero table means "no grains here".
    const directory = (first: number) => {
      const gd = Buffer.alloc(this.gdSectors * SECTOR);
      for (let t = 0; t < this.tables; t++) gd.writeUInt32LE(first + t * this.gtSectors, t * 4);
      return gd;
    };
    await this.out.write(this.rgdOffset * SECTOR, directory(rgtStart));
    await this.out.write(this.gdOffset * SECTOR, directory(gtStart));
    const descriptor = Buffer.from(
      formatDescriptor({
        cid: this.cid,
        parentCid: NO_PARENT_CID,
        createType: 'monolithicSparse',
        extents: [{ access: 'RW', sectors: this.capacity, type: 'SPARSE', file: path.basename(this.out.path), offset: 0 }],
        ddb: diskDatabase(this.capacity, this.options.adapterType ?? 'lsilogic'),
      }),
      'utf8',
    );
    if (descriptor.length > DESCRIPTOR_SECTORS * SECTOR) throw new RangeError('descriptor too long');
    await this.out.write(SECTOR, Buffer.concat([descriptor, Buffer.alloc(DESCRIPTOR_SECTORS * SECTOR - descriptor.length)]));
    await this.out.truncate(this.nextGrain * SECTOR);
    await this.out.write(
      0,
      serializeSparseHeader({
        version: 1,
        flags: FLAGS,
        capacity: this.capacity,
        grainSize: GRAIN_SECTORS,
        descriptorOffset: 1,
        descriptorSize: DESCRIPTOR_SECTORS,
        numGTEsPerGT: GTES_PER_GT,
        rgdOffset: this.rgdOffset,
        gdOffset: this.gdOffset,
        overHead: this.overHead,
      }),
    );
    await this.out.finish();
  }

  abort(): Promise<void> {
    return this.out.discard();
  }
}

/** "disk.vmdk" -> "disk-flat.vmdk", next to it. */
export function flatFileFor(descriptorFile: string): string {
  const parsed = path.parse(descriptorFile);
  return path.join(parsed.dir, `${parsed.ext.toLowerCase() === '.vmdk' ? parsed.name : parsed.base}-flat.vmdk`);
}

const FLAT_CHUNK = 64 * 1024;

export class VmdkEsxiWriter implements DiskWriter {
  readonly format = 'vmdk-esxi' as const;
  readonly files: readonly string[];

  private constructor(
    private readonly descriptorFile: string,
    private readonly flat: OutputFile,
    readonly virtualSize: number,
    private readonly options: VmdkWriterOptions,
  ) {
    this.files = [descriptorFile, flat.path];
  }

  static async create(file: string, virtualSize: number, options: VmdkWriterOptions = {}): Promise<VmdkEsxiWriter> {
    checkSize(file, virtualSize);
    return new VmdkEsxiWriter(file, await OutputFile.create(flatFileFor(file)), virtualSize, options);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    checkWriteRange(offset, data.length, this.virtualSize);
    for (let done = 0; done < data.length; done += FLAT_CHUNK) {
      const piece = data.subarray(done, done + FLAT_CHUNK);
      if (!isAllZero(piece)) await this.flat.write(offset + done, piece);
    }
  }

  async close(): Promise<void> {
    await this.flat.truncate(this.virtualSize);
    await this.flat.finish();
    const capacity = this.virtualSize / SECTOR;
    const text = formatDescriptor({
      cid: randomCid(),
      parentCid: NO_PARENT_CID,
      createType: 'vmfs',
      extents: [{ access: 'RW', sectors: capacity, type: 'VMFS', file: path.basename(this.flat.path), offset: 0 }],
      ddb: diskDatabase(capacity, this.options.adapterType ?? 'lsilogic'),
    });
    const descriptor = await OutputFile.create(this.descriptorFile);
    await descriptor.write(0, Buffer.from(text, 'utf8'));
    await descriptor.finish();
  }

  async abort(): Promise<void> {
    await this.flat.discard();
    await OutputFile.discardPath(this.descriptorFile);
  }
}
