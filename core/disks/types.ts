/**
 * Virtual disks as the rest of Lifeboat sees them. Offsets and lengths are bytes of the *virtual* disk (what
 * the guest sees), never of the container file. Formats (raw, vhdx, vhd, vmdk) live in their own modules
 * and are chosen by content (see index.ts), never by file extension.
 */

export type DiskFormat = 'raw' | 'vhdx' | 'vhd' | 'vmdk';

/** A run of virtual-disk bytes that may hold data; everything outside the extents reads as zeros. */
export interface Extent {
  offset: number;
  length: number;
}

/**
 * Random access to one container file, local or remote (a datastore over HTTP Range requests), so that
 * format parsers never care where the bytes live.
 */
export interface ByteSource {
  /** For error messages: a path or URL the user recognises. */
  readonly name: string;
  size(): Promise<number>;
  /** Reads exactly `length` bytes unless the source ends first (then fewer). */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens the other files a disk refers to: VMDK extents, VHDX/VMDK parents named relative to the child. */
export interface SourceResolver {
  open(name: string, relativeTo?: ByteSource): Promise<ByteSource>;
}

/** Counts container bytes read, so tests and progress can prove only allocated data was touched. */
export interface ReadStats {
  bytesReadFromSource: number;
}

export interface DiskReader {
  readonly format: DiskFormat;
  readonly name: string;
  readonly virtualSize: number;
  /**
   * Allocated extents, ascending and non-overlapping, adjacent ones merged. A reader may report more than
   * is truly written (e.g. a whole allocated block), never less.
   */
  extents(): Promise<Extent[]>;
  /** Virtual bytes [offset, offset+length); unallocated ranges come back as zeros. */
  read(offset: number, length: number): Promise<Buffer>;
  readonly stats: ReadStats;
  close(): Promise<void>;
}

/** A file that holds virtual-disk bytes at their own offsets; see DiskWriter.positional. */
export interface PositionalTarget {
  readonly file: string;
  /** Bytes another thread wrote into the file (the writer flushes as data accumulates). */
  written(bytes: number): void;
}

export type WriteFormat = 'raw' | 'vhdx' | 'vmdk' | 'vmdk-esxi' | 'vhd-fixed';

/**
 * Builds a disk file for restore. Writes arrive in ascending offset order; ranges never written stay
 * unallocated (holes in raw, absent blocks in VHDX/VMDK). close() finishes the metadata — a disk is only
 * valid after close() resolves.
 */
export interface DiskWriter {
  readonly format: WriteFormat;
  /** Files the writer produced (e.g. a VMDK descriptor and its -flat extent), for cleanup and upload. */
  readonly files: readonly string[];
  write(offset: number, data: Buffer): Promise<void>;
  /**
   * Set by writers whose file takes data at its virtual offset in any order (raw images): a restore may then
   * write blocks straight from its worker threads, in whatever order they finish, and report them here.
   */
  readonly positional?: PositionalTarget;
  close(): Promise<void>;
  /** Removes whatever was written: used when a restore fails or is cancelled. */
  abort(): Promise<void>;
}
