import crypto from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../core/disks';
import { FileSource } from '../../core/disks/file-source';
import type { ByteSource, SourceResolver } from '../../core/disks/types';
import { G, M, qemuImg, qemuIo } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

/** Counts every byte any reader pulls from the files, below the readers' own accounting. */
function countingResolver(): { resolver: SourceResolver; bytes: () => number; calls: () => number } {
  let bytes = 0;
  let calls = 0;
  const wrap = (source: ByteSource): ByteSource => ({
    name: source.name,
    size: () => source.size(),
    read: async (offset, length) => {
      const data = await source.read(offset, length);
      bytes += data.length;
      calls++;
      return data;
    },
    close: () => source.close(),
  });
  const resolver: SourceResolver = {
    open: async (name, relativeTo) =>
      wrap(await FileSource.open(relativeTo && !path.isAbsolute(name) ? path.join(path.dirname(relativeTo.name), name) : name)),
  };
  return { resolver, bytes: () => bytes, calls: () => calls };
}

// 200 MiB in five runs spread over a 16 GiB disk.
const RUNS = [0, 3, 7, 11, 15].map((gib, i) => ({ offset: gib * G + (i === 4 ? 512 * M : 0), length: 40 * M, pattern: 0x30 + i }));

describe('only allocated data is read', () => {
  for (const [format, options] of [
    ['vhdx', 'block_size=8M'],
    ['vmdk', 'subformat=monolithicSparse'],
  ] as const) {
    it(`reads a 16 GiB ${format} holding 200 MiB with under 220 MiB of file reads`, async () => {
      const dir = tempDir();
      const file = path.join(dir, `big.${format}`);
      qemuImg('create', '-q', '-f', format, '-o', options, file, String(16 * G));
      qemuIo(file, format, ...RUNS.map((r) => `write -P ${r.pattern} ${r.offset} ${r.length}`));
      const counter = countingResolver();
      const reader = await openDisk(file, counter.resolver);
      const extents = await reader.extents();
      expect(extents).toEqual(RUNS.map(({ offset, length }) => ({ offset, length })));
      for (const [i, { offset, length }] of extents.entries()) {
        const expected = crypto.createHash('sha256').update(Buffer.alloc(length, RUNS[i]!.pattern)).digest('hex');
        const hash = crypto.createHash('sha256');
        for (let at = offset; at < offset + length; at += 4 * M) hash.update(await reader.read(at, Math.min(4 * M, offset + length - at)));
        expect(hash.digest('hex')).toBe(expected);
      }
      await reader.close();
      const total = counter.bytes();
      console.log(
        `${format}: 200 MiB allocated in a 16 GiB disk; ${(total / M).toFixed(1)} MiB read from the file in ${counter.calls()} reads`,
      );
      expect(total).toBeGreaterThanOrEqual(200 * M);
      expect(total).toBeLessThan(220 * M);
      expect(reader.stats.bytesReadFromSource).toBeLessThanOrEqual(total);
    });
  }
});
