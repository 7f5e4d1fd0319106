import { LifeboatError } from '../contract/errors';
import { fileResolver } from './file-source';
import { RawDiskReader } from './raw';
import { RawDiskWriter } from './raw-writer';
import type { ByteSource, DiskReader, DiskWriter, SourceResolver, WriteFormat } from './types';
import { FixedVhdWriter } from './vhd-fixed-writer';
import { looksLikeVhd, VhdReader } from './vhd';
import { looksLikeVhdx, VhdxReader } from './vhdx';
import { looksLikeVmdk, VmdkReader } from './vmdk';
import { VhdxWriter } from './vhdx-writer';
import { VmdkEsxiWriter, VmdkSparseWriter } from './vmdk-writer';

export * from './types';
// The room's public surface: other rooms import from here (or ./types), never a format's module.
export { fileResolver } from './file-source';
export { markerBootSector, MAX_MARKER_LENGTH } from './marker-mbr';

/**
 * A disk format the reader registry knows: `probe` looks at the first bytes (and may read more), `open`
 * builds the reader. Order matters: raw, which accepts anything, is last.
 */
export interface ReaderFormat {
  name: DiskReader['format'];
  probe(head: Buffer, source: ByteSource): Promise<boolean>;
  open(source: ByteSource, resolver: SourceResolver): Promise<DiskReader>;
}

export const readerFormats: ReaderFormat[] = [
  { name: 'vhdx', probe: async (head) => looksLikeVhdx(head), open: (source, resolver) => VhdxReader.open(source, resolver) },
  { name: 'vhd', probe: (head, source) => looksLikeVhd(head, source), open: (source) => VhdReader.open(source) },
  { name: 'vmdk', probe: async (head) => looksLikeVmdk(head), open: (source, resolver) => VmdkReader.open(source, resolver) },
  { name: 'raw', probe: async () => true, open: (source) => RawDiskReader.open(source) },
];

const PROBE_BYTES = 64 * 1024;

/** Opens a disk by its content, not its extension. */
export async function openDisk(name: string, resolver: SourceResolver = fileResolver): Promise<DiskReader> {
  let source: ByteSource;
  try {
    source = await resolver.open(name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The system's own words repeat the path; say what the code means instead.
    const why =
      code === 'ENOENT'
        ? 'the file is not there (moved, renamed or deleted)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'this account may not read it'
          : (error as Error).message;
    throw new LifeboatError('NOT_FOUND', `Cannot open the disk ${name}: ${why}.`, {
      fix:
        code === 'ENOENT'
          ? "Check the VM's folder or datastore; if the VM was moved, run discovery again (Virtual machines → Refresh)."
          : 'Check the path exists and this account may read it.',
      cause: error,
    });
  }
  try {
    const head = await source.read(0, PROBE_BYTES);
    for (const format of readerFormats) {
      if (await format.probe(head, source)) return await format.open(source, resolver);
    }
    throw new LifeboatError('INTERNAL', `No reader accepts ${name}.`);
  } catch (error) {
    await source.close();
    throw error;
  }
}

/** Writers by output format; vhdx, vmdk and vmdk-esxi register here (issue: virtual disk formats). */
export const writerFormats: Partial<Record<WriteFormat, (file: string, virtualSize: number) => Promise<DiskWriter>>> = {
  raw: (file, virtualSize) => RawDiskWriter.create(file, virtualSize),
  vhdx: (file, virtualSize) => VhdxWriter.create(file, virtualSize),
  vmdk: (file, virtualSize) => VmdkSparseWriter.create(file, virtualSize),
  'vmdk-esxi': (file, virtualSize) => VmdkEsxiWriter.create(file, virtualSize),
  'vhd-fixed': (file, virtualSize) => FixedVhdWriter.create(file, virtualSize),
};

/** Creates a disk file of the given format for a restore. */
export async function createDiskWriter(format: WriteFormat, file: string, virtualSize: number): Promise<DiskWriter> {
  const create = writerFormats[format];
  if (!create) {
    throw new LifeboatError('DISK_UNSUPPORTED', `Lifeboat cannot write ${format} disks yet.`, {
      fix: `Restore as one of: ${Object.keys(writerFormats).join(', ')}.`,
    });
  }
  return create(file, virtualSize);
}
export { azureVirtualSize, FixedVhdWriter } from './vhd-fixed-writer';

/** A local file read as its raw bytes, whatever format it holds: a fixed VHD goes into a page blob footer and all. */
export async function openFileBytes(file: string): Promise<DiskReader> {
  return RawDiskReader.open(await fileResolver.open(file));
}
