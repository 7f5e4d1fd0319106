import { readExact } from './bytes';
import { unionExtents } from './extents';
import type { ByteSource, DiskFormat, DiskReader, Extent, ReadStats } from './types';

/** Where a run of virtual bytes comes from. */
export type Piece =
  | { kind: 'zero'; length: number }
  | { kind: 'parent'; length: number }
  | { kind: 'file'; length: number; source: ByteSource; at: number }
  | { kind: 'bytes'; length: number; data: Buffer };

/**
 * The read path shared by every container format: a format maps a virtual range to pieces (bytes of one of
 * its files, zeros, the parent disk, or bytes it already decoded); this class reads them, merging pieces that
 * are contiguous in the same file into one request, and layers the parent underneath.
 */
export abstract class MappedReader implements DiskReader {
  abstract readonly format: DiskFormat;
  abstract readonly name: string;
  abstract readonly virtualSize: number;

  protected constructor(
    readonly stats: ReadStats,
    protected readonly parent: DiskReader | undefined,
  ) {}

  /** Pieces covering exactly [offset, offset + length), which lies inside the disk. */
  protected abstract map(offset: number, length: number): Promise<Piece[]>;

  /** This file's own allocated extents (the parent's are added by extents()). */
  protected abstract ownExtents(): Promise<Extent[]>;

  protected abstract closeOwn(): Promise<void>;

  async extents(): Promise<Extent[]> {
    const own = await this.ownExtents();
    if (!this.parent) return own;
    const parentExtents = (await this.parent.extents()).filter((e) => e.offset < this.virtualSize);
    const last = parentExtents.at(-1);
    if (last && last.offset + last.length > this.virtualSize) last.length = this.virtualSize - last.offset;
    return unionExtents(own, parentExtents);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeError(`invalid read of ${length} bytes at ${offset}`);
    }
    const inside = Math.max(0, Math.min(offset + length, this.virtualSize) - offset);
    const pieces = inside > 0 ? coalesce(await this.map(offset, inside)) : [];
    const only = pieces[0];
    if (pieces.length === 1 && only?.kind === 'file' && inside === length) {
      return readExact(only.source, only.at, only.length, 'data');
    }
    // Every byte is written below (zeros explicitly), so the buffer need not be cleared first.
    const out = Buffer.allocUnsafe(length);
    let position = 0;
    for (const piece of pieces) {
      if (piece.kind === 'file') {
        (await readExact(piece.source, piece.at, piece.length, 'data')).copy(out, position);
      } else if (piece.kind === 'bytes') {
        piece.data.copy(out, position, 0, piece.length);
      } else if (piece.kind === 'parent' && this.parent) {
        (await this.parent.read(offset + position, piece.length)).copy(out, position);
      } else {
        out.fill(0, position, position + piece.length);
      }
      position += piece.length;
    }
    out.fill(0, position);
    return out;
  }

  async close(): Promise<void> {
    try {
      await this.closeOwn();
    } finally {
      await this.parent?.close();
    }
  }
}

function coalesce(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    if (piece.length <= 0) continue;
    const last = out.at(-1);
    if (last && last.kind === piece.kind) {
      if (piece.kind === 'zero' || piece.kind === 'parent') {
        out[out.length - 1] = { ...last, length: last.length + piece.length };
        continue;
      }
      if (piece.kind === 'file' && last.kind === 'file' && last.source === piece.source && last.at + last.length === piece.at) {
        out[out.length - 1] = { ...last, length: last.length + piece.length };
        continue;
      }
    }
    out.push(piece);
  }
  return out;
}
