import path from 'node:path';
import { expect } from 'vitest';
import { openDisk } from '../../core/disks';
import type { DiskReader, Extent, SourceResolver } from '../../core/disks/types';
import { convertToRaw, qemuDataExtents, readFileRange, virtualSizeOf } from './qemu-images';

/** Writes as qemu-io commands and as ranges, so expectations can be computed from the same list. */
export interface PatternWrite {
  offset: number;
  length: number;
  pattern: number;
}

export function ioCommands(writes: readonly PatternWrite[]): string[] {
  return writes.map((w) => `write -P ${w.pattern} ${w.offset} ${w.length}`);
}

/** The blocks (or grains) a list of writes allocates, as merged extents clipped to the disk. */
export function touchedBlocks(
  writes: readonly Pick<PatternWrite, 'offset' | 'length'>[],
  blockSize: number,
  virtualSize: number,
): Extent[] {
  const blocks = new Set<number>();
  for (const w of writes) {
    for (let b = Math.floor(w.offset / blockSize); b * blockSize < w.offset + w.length; b++) blocks.add(b);
  }
  const out: Extent[] = [];
  for (const b of [...blocks].sort((x, y) => x - y)) {
    const offset = b * blockSize;
    const length = Math.min(blockSize, virtualSize - offset);
    const last = out.at(-1);
    if (last && last.offset + last.length === offset) last.length += length;
    else out.push({ offset, length });
  }
  return out;
}

export function covers(outer: readonly Extent[], inner: readonly Extent[]): boolean {
  return inner.every((e) => outer.some((o) => o.offset <= e.offset && e.offset + e.length <= o.offset + o.length));
}

function firstDifference(a: Buffer, b: Buffer): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return Math.min(a.length, b.length);
}

/** Reads [offset, offset+length) through the reader and compares with the same range of a raw file. */
export async function expectSameBytes(reader: DiskReader, raw: string, offset: number, length: number): Promise<void> {
  const chunk = 8 * 1024 * 1024;
  for (let at = offset; at < offset + length; at += chunk) {
    const n = Math.min(chunk, offset + length - at);
    const mine = await reader.read(at, n);
    const theirs = readFileRange(raw, at, n);
    if (!mine.equals(theirs)) {
      const i = firstDifference(mine, theirs);
      expect.fail(`${reader.name}: byte ${at + i} differs (reader ${mine[i]}, qemu ${theirs[i]})`);
    }
  }
}

export interface ReaderCheck {
  /** Extents the reader must report exactly (else: qemu's map when `qemuMapIsExact`). */
  expected?: Extent[];
  /** qemu-img map of this format reports allocation precisely (VHD, VMDK; not VHDX, whose driver has no block status). */
  qemuMapIsExact?: boolean;
  /** Compare the whole virtual disk, not only the extents (small disks). */
  whole?: boolean;
  format?: string;
  resolver?: SourceResolver;
}

/**
 * The referee: qemu-img converts the image to a sparse raw file; the reader must report the same virtual
 * size, extents that cover every byte of data in that raw file (and match the expectation), and the same
 * bytes everywhere it is asked.
 */
export async function checkReaderAgainstQemu(file: string, workDir: string, check: ReaderCheck = {}): Promise<DiskReader> {
  const reader = await openDisk(file, check.resolver);
  try {
    expect(reader.virtualSize).toBe(virtualSizeOf(file, check.format));
    const raw = path.join(workDir, `${path.basename(file)}.referee.raw`);
    convertToRaw(file, raw, check.format);
    const extents = await reader.extents();
    if (check.expected) expect(extents).toEqual(check.expected);
    if (check.qemuMapIsExact) expect(extents).toEqual(qemuDataExtents(file, check.format));
    // Every non-zero byte of the referee's copy lies inside the extents. (qemu-img convert always writes the
    // raw file's first 4 KiB, so a data range outside the extents must hold zeros.)
    for (const e of qemuDataExtents(raw, 'raw')) {
      if (covers(extents, [e])) continue;
      const bytes = readFileRange(raw, e.offset, Math.min(e.length, 64 * 1024 * 1024));
      expect(
        bytes.every((b) => b === 0),
        `non-zero data at ${e.offset} outside the extents ${JSON.stringify(extents)}`,
      ).toBe(true);
    }
    if (check.whole) {
      await expectSameBytes(reader, raw, 0, reader.virtualSize);
    } else {
      for (const e of extents) await expectSameBytes(reader, raw, e.offset, e.length);
    }
    // Unaligned reads, and one running past the end (zeros there).
    const size = reader.virtualSize;
    for (const [offset, length] of [
      [1, 1000],
      [Math.max(0, size - 700), 700],
      [Math.floor(size / 3) + 123, 70_000],
    ] as const) {
      await expectSameBytes(reader, raw, offset, Math.min(length, size - offset));
    }
    const tail = await reader.read(size - 512, 1024);
    expect(tail.subarray(512).every((b) => b === 0)).toBe(true);
    expect(tail.subarray(0, 512).equals(readFileRange(raw, size - 512, 512))).toBe(true);
    return reader;
  } catch (error) {
    await reader.close();
    throw error;
  }
}
