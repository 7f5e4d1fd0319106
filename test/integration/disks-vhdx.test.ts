import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../core/disks';
import { randomGuid, writeGuid } from '../../core/disks/bytes';
import { unionExtents } from '../../core/disks/extents';
import type { VhdxReader } from '../../core/disks/vhdx';
import { VhdxWriter } from '../../core/disks/vhdx-writer';
import { checkReaderAgainstQemu, expectSameBytes, ioCommands, touchedBlocks, type PatternWrite } from '../helpers/disk-check';
import {
  batEntry,
  currentHeaderOffset,
  logEntry,
  patchHeader,
  readFileAt,
  setLogicalSectorSize,
  vhdxLayout,
  writeLogEntry,
} from '../helpers/disk-vhdx-craft';
import { clusterSizeOf, convertToRaw, G, K, M, qemuCheck, qemuImg, qemuIo } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

/** Scattered writes: first sector, across a block boundary, unaligned, and the very last sector. */
function scattered(size: number, blockSize: number): PatternWrite[] {
  return [
    { offset: 0, length: 512, pattern: 0x11 },
    { offset: blockSize - 4 * K, length: 8 * K, pattern: 0x22 },
    { offset: 3 * blockSize + 512, length: 64 * K, pattern: 0x33 },
    { offset: size - 512, length: 512, pattern: 0x44 },
  ].filter((w) => w.offset + w.length <= size);
}

describe('VHDX reader against qemu', () => {
  for (const [label, size, options] of [
    ['dynamic, default block size', 64 * M, ''],
    ['dynamic, 1 MiB blocks', 48 * M, 'block_size=1M'],
    ['dynamic, 256 MiB blocks, virtual size not a block multiple', 300 * M, 'block_size=256M'],
    ['fixed (qemu marks unwritten blocks ZERO)', 40 * M, 'subformat=fixed,block_size=8M'],
    ['fixed, every block present', 40 * M, 'subformat=fixed,block_size=8M,block_state_zero=off'],
  ] as const) {
    it(`reads a ${label} image`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'disk.vhdx');
      qemuImg('create', '-q', '-f', 'vhdx', ...(options ? ['-o', options] : []), file, String(size));
      const blockSize = clusterSizeOf(file);
      const writes = scattered(size, blockSize);
      qemuIo(file, 'vhdx', ...ioCommands(writes));
      const expected = options.includes('block_state_zero=off') ? [{ offset: 0, length: size }] : touchedBlocks(writes, blockSize, size);
      const reader = await checkReaderAgainstQemu(file, dir, { expected, whole: true });
      await reader.close();
    });
  }

  it('maps blocks after a sector bitmap entry (more blocks than one chunk)', async () => {
    // 1 MiB blocks with 512-byte sectors: chunk ratio 4096, so block 4096 sits after the first bitmap entry.
    const dir = tempDir();
    const file = path.join(dir, 'big.vhdx');
    const size = 5 * G;
    qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', file, String(size));
    const writes: PatternWrite[] = [
      { offset: 4095 * M + 7 * K, length: 64 * K, pattern: 0x55 },
      { offset: 4096 * M, length: 4 * K, pattern: 0x66 },
      { offset: 4097 * M - 512, length: 1024, pattern: 0x67 },
      { offset: size - 4 * K, length: 4 * K, pattern: 0x77 },
    ];
    qemuIo(file, 'vhdx', ...ioCommands(writes));
    const reader = await checkReaderAgainstQemu(file, dir, { expected: touchedBlocks(writes, M, size) });
    await reader.close();
    expect(fs.statSync(file).size).toBeLessThan(32 * M);
  });
});

describe('VHDX with 4096-byte logical sectors', () => {
  it('reads a 4K-sector image (qemu 7.2 cannot open these, so a qemu image is relabelled before it is read)', async () => {
    // With fewer blocks than one chunk the BAT layout does not depend on the sector size, so qemu's bytes
    // from before the relabelling are the expectation.
    const dir = tempDir();
    const file = path.join(dir, 'disk4k.vhdx');
    const size = 40 * M;
    qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=2M', file, String(size));
    const writes = scattered(size, 2 * M).map((w) => ({
      ...w,
      offset: Math.floor(w.offset / 4096) * 4096,
      length: Math.max(4096, w.length),
    }));
    qemuIo(file, 'vhdx', ...ioCommands(writes));
    const raw = path.join(dir, 'expected.raw');
    convertToRaw(file, raw, 'vhdx');
    setLogicalSectorSize(file, 4096);
    const reader = (await openDisk(file)) as VhdxReader;
    expect(reader.details.logicalSectorSize).toBe(4096);
    expect(await reader.extents()).toEqual(touchedBlocks(writes, 2 * M, size));
    await expectSameBytes(reader, raw, 0, size);
    await reader.close();
  });
});

describe('VHDX log', () => {
  it('replays a dirty log in memory, as qemu-img check -r all replays it on disk, and leaves the file untouched', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'dirty.vhdx');
    const size = 16 * M;
    qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M,log_size=1M', file, String(size));
    qemuIo(file, 'vhdx', `write -P 0x11 0 ${M}`, `write -P 0x22 ${2 * M} ${64 * K}`);
    const layout = vhdxLayout(file);
    const header = layout.headers.find((h) => h.offset === currentHeaderOffset(layout))!;
    const { logOffset, logLength } = header;
    const block0 = batEntry(file, 0).fileOffset;
    const block2 = batEntry(file, 2).fileOffset;
    const fileSize = fs.statSync(file).size;
    const newBlock = Math.ceil(fileSize / M) * M;
    // The BAT sector holding block 5's entry, as the log would rewrite it: block 5 moves to a new block past EOF.
    const batSector = readFileAt(file, layout.bat.offset, 4096);
    const entry5 = Buffer.alloc(8);
    entry5.writeUInt32LE((((newBlock / M) % 4096) << 20) | 6, 0);
    entry5.copy(batSector, 5 * 8);
    const logGuid = randomGuid();
    const fill = (byte: number) => Buffer.alloc(4096, byte);
    const stale = logEntry({
      sequence: 5n,
      tail: 64 * K,
      logGuid,
      flushedFileOffset: fileSize,
      lastFileOffset: fileSize,
      descriptors: [{ kind: 'data', fileOffset: block0, data: fill(0xee) }],
    });
    const first = logEntry({
      sequence: 41n,
      tail: logLength - 12 * K,
      logGuid,
      flushedFileOffset: fileSize,
      lastFileOffset: fileSize,
      descriptors: [{ kind: 'data', fileOffset: block0 + 4096, data: fill(0xa1) }],
    });
    const second = logEntry({
      sequence: 42n,
      tail: logLength - 12 * K,
      logGuid,
      flushedFileOffset: fileSize,
      // Not 1 MiB-aligned on purpose: qemu only extends the file when it is not (block/vhdx-log.c).
      lastFileOffset: newBlock + M - 4096,
      descriptors: [
        { kind: 'data', fileOffset: layout.bat.offset, data: batSector },
        { kind: 'data', fileOffset: newBlock + 8 * K, data: fill(0xb2) },
        { kind: 'zero', fileOffset: block2, length: 8 * K },
      ],
    });
    expect(second.length).toBe(12 * K);
    writeLogEntry(file, logOffset, logLength, 64 * K, stale);
    writeLogEntry(file, logOffset, logLength, logLength - 12 * K, first);
    // The second entry wraps around the end of the circular log.
    writeLogEntry(file, logOffset, logLength, logLength - 4 * K, second);
    patchHeader(file, currentHeaderOffset(layout), (h) => writeGuid(h, 48, logGuid));
    const before = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

    // qemu refuses to read it as it is, and replays it when allowed to write.
    expect(() => qemuImg('convert', '-U', '-O', 'raw', file, path.join(dir, 'never.raw'))).toThrow(/replay|log/i);
    const copy = path.join(dir, 'replayed.vhdx');
    fs.copyFileSync(file, copy);
    qemuCheck(copy, 'vhdx');
    qemuImg('check', '-r', 'all', '-f', 'vhdx', copy);
    const raw = path.join(dir, 'replayed.raw');
    convertToRaw(copy, raw, 'vhdx');

    const reader = (await openDisk(file)) as VhdxReader;
    expect(reader.details.replayedLogEntries).toBe(2);
    expect(await reader.extents()).toEqual([
      { offset: 0, length: M },
      { offset: 2 * M, length: M },
      { offset: 5 * M, length: M },
    ]);
    await expectSameBytes(reader, raw, 0, size);
    expect((await reader.read(5 * M + 8 * K, 4096)).every((b) => b === 0xb2)).toBe(true);
    expect((await reader.read(4096, 4096)).every((b) => b === 0xa1)).toBe(true);
    expect((await reader.read(0, 4096)).every((b) => b === 0x11)).toBe(true);
    await reader.close();
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(before);
  });

  it('ignores a log whose entries fail their checksum (no active sequence), as qemu does', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'torn.vhdx');
    qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', file, String(8 * M));
    qemuIo(file, 'vhdx', `write -P 0x31 0 ${M}`);
    const layout = vhdxLayout(file);
    const header = layout.headers.find((h) => h.offset === currentHeaderOffset(layout))!;
    const logGuid = randomGuid();
    const entry = logEntry({
      sequence: 7n,
      tail: 0,
      logGuid,
      flushedFileOffset: 0,
      lastFileOffset: 0,
      descriptors: [{ kind: 'data', fileOffset: batEntry(file, 0).fileOffset, data: Buffer.alloc(4096, 0x99) }],
    });
    entry.writeUInt8(entry[5000]! ^ 0xff, 5000); // a torn write: the checksum no longer matches
    writeLogEntry(file, header.logOffset, header.logLength, 0, entry);
    patchHeader(file, currentHeaderOffset(layout), (h) => writeGuid(h, 48, logGuid));
    const reader = (await openDisk(file)) as VhdxReader;
    expect(reader.details.replayedLogEntries).toBe(0);
    expect((await reader.read(0, 4096)).every((b) => b === 0x31)).toBe(true);
    await reader.close();
  });
});

describe('VHDX differencing chains (Hyper-V checkpoints)', () => {
  async function writeAll(writer: VhdxWriter, writes: readonly PatternWrite[]): Promise<void> {
    for (const w of writes) await writer.write(w.offset, Buffer.alloc(w.length, w.pattern));
    await writer.close();
  }

  it('reads a chain as of each child: qemu-made base, two .avhdx checkpoints', async () => {
    const dir = tempDir();
    const size = 24 * M;
    const base = path.join(dir, 'Server.vhdx');
    qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', base, String(size));
    const baseWrites: PatternWrite[] = [
      { offset: 0, length: 64 * K, pattern: 0x10 },
      { offset: 3 * M, length: M, pattern: 0x11 },
      { offset: 9 * M + 512, length: 8 * K, pattern: 0x12 },
    ];
    qemuIo(base, 'vhdx', ...ioCommands(baseWrites));
    const baseReader = (await openDisk(base)) as VhdxReader;
    const baseGuid = baseReader.details.dataWriteGuid;
    await baseReader.close();

    // Checkpoint 1: partial blocks (sector bitmap), a whole block, zeros hiding the parent's data, last sector.
    const child = path.join(dir, 'Server_6A1B.avhdx');
    const childWrites: PatternWrite[] = [
      { offset: 512, length: 1024, pattern: 0x20 },
      { offset: 3 * M + 4 * K, length: 4 * K, pattern: 0 },
      { offset: 5 * M, length: M, pattern: 0x21 },
      { offset: 9 * M + 4 * K, length: M, pattern: 0x22 },
      { offset: size - 512, length: 512, pattern: 0x23 },
    ];
    const w1 = await VhdxWriter.create(child, size, {
      blockSize: M,
      parent: { linkage: baseGuid, relativePath: '.\\Server.vhdx', absoluteWin32Path: 'C:\\Hyper-V\\Server.vhdx' },
    });
    await writeAll(w1, childWrites);
    // Checkpoint 2 on top of checkpoint 1; its locator only has an absolute Windows path from another host.
    const grandchild = path.join(dir, 'Server_77C2.avhdx');
    const grandchildWrites: PatternWrite[] = [
      { offset: 1024, length: 512, pattern: 0x30 },
      { offset: 5 * M + 512, length: 512, pattern: 0x31 },
      { offset: 20 * M, length: 2 * M, pattern: 0x32 },
    ];
    const w2 = await VhdxWriter.create(grandchild, size, {
      blockSize: M,
      parent: { linkage: w1.dataWriteGuid, relativePath: '', absoluteWin32Path: 'D:\\VMs\\Server\\Server_6A1B.avhdx' },
    });
    await writeAll(w2, grandchildWrites);

    // The expectation: qemu's raw copy of the base, with the same writes applied by qemu-io in order.
    const expectedChild = path.join(dir, 'child.raw');
    convertToRaw(base, expectedChild, 'vhdx');
    qemuIo(expectedChild, 'raw', ...ioCommands(childWrites));
    const expectedGrandchild = path.join(dir, 'grandchild.raw');
    fs.copyFileSync(expectedChild, expectedGrandchild);
    qemuIo(expectedGrandchild, 'raw', ...ioCommands(grandchildWrites));

    const asOfChild = await openDisk(child);
    expect(await asOfChild.extents()).toEqual(unionExtents(touchedBlocks(baseWrites, M, size), touchedBlocks(childWrites, M, size)));
    await expectSameBytes(asOfChild, expectedChild, 0, size);
    await asOfChild.close();

    const asOfGrandchild = await openDisk(grandchild);
    expect(await asOfGrandchild.extents()).toEqual(
      unionExtents(touchedBlocks([...baseWrites, ...childWrites], M, size), touchedBlocks(grandchildWrites, M, size)),
    );
    await expectSameBytes(asOfGrandchild, expectedGrandchild, 0, size);
    // Only the chain's allocated data was read: three small files, not three times the virtual size.
    expect(asOfGrandchild.stats.bytesReadFromSource).toBeLessThan(16 * M);
    await asOfGrandchild.close();
  });

  it('reads a 4K-sector chain written by the VHDX writer', async () => {
    const dir = tempDir();
    const size = 12 * M;
    const base = path.join(dir, 'base.vhdx');
    const model = Buffer.alloc(size);
    const apply = (writes: PatternWrite[]) => writes.forEach((w) => model.fill(w.pattern, w.offset, w.offset + w.length));
    const baseWrites: PatternWrite[] = [
      { offset: 0, length: 8 * K, pattern: 0x41 },
      { offset: 4 * M - 4 * K, length: 8 * K, pattern: 0x42 },
    ];
    const w0 = await VhdxWriter.create(base, size, { blockSize: M, logicalSectorSize: 4096 });
    await writeAll(w0, baseWrites);
    apply(baseWrites);
    const childWrites: PatternWrite[] = [
      { offset: 4 * K, length: 4 * K, pattern: 0x51 },
      { offset: 4 * M, length: 4 * K, pattern: 0x52 },
      { offset: size - 4 * K, length: 4 * K, pattern: 0x53 },
    ];
    const child = path.join(dir, 'child.avhdx');
    const w1 = await VhdxWriter.create(child, size, {
      blockSize: M,
      logicalSectorSize: 4096,
      parent: { linkage: w0.dataWriteGuid, relativePath: '.\\base.vhdx' },
    });
    await writeAll(w1, childWrites);
    apply(childWrites);
    const reader = (await openDisk(child)) as VhdxReader;
    expect(reader.details.logicalSectorSize).toBe(4096);
    expect((await reader.read(0, size)).equals(model)).toBe(true);
    await reader.close();
  });
});
