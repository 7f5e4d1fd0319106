import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomGuid, writeGuid } from '../../core/disks/bytes';
import { crc32cWithZeroedField } from '../../core/disks/crc32c';
import { openDisk } from '../../core/disks';
import type { VhdxReader } from '../../core/disks/vhdx';
import { VhdxWriter } from '../../core/disks/vhdx-writer';
import { runFuzz, type Seed } from '../helpers/disk-fuzz';
import { batEntry, currentHeaderOffset, logEntry, patchHeader, vhdxLayout, writeLogEntry } from '../helpers/disk-vhdx-craft';
import { writeCowdDelta } from '../helpers/disk-vmdk-cowd';
import { writeVmwareStreamOptimized } from '../helpers/disk-vmdk-stream';
import { K, M, qemuImg, qemuIo } from '../helpers/qemu-images';
import { tempDirManual } from '../helpers/temp';

/**
 * Random mutations of valid images, deterministic by seed: every parser either reads the damaged file or
 * refuses it with a typed error naming the file; never a crash, a hang, or a read larger than a block.
 */
const CASES = Number(process.env.LIFEBOAT_FUZZ_CASES ?? 2000);
/** Another value explores other mutations (a failure message prints the seed and case to replay). */
const SEED = Number(process.env.LIFEBOAT_FUZZ_SEED ?? 1);

let work: { dir: string; remove(): void };
const seeds: Record<string, Seed[]> = {};

function load(file: string, hot: [number, number][]): Seed {
  return { name: path.basename(file), data: fs.readFileSync(file), hot };
}

/** Recomputes checksums a mutation broke, so some mutations get past them to the fields behind. */
function fixVhdxChecksums(patches: Map<number, number>, data: Buffer): void {
  if ([...patches.keys()].length % 3 === 0) return; // leave a third of the cases with broken checksums
  for (const [offset, size] of [
    [64 * K, 4 * K],
    [128 * K, 4 * K],
    [192 * K, 64 * K],
    [256 * K, 64 * K],
  ] as const) {
    if (![...patches.keys()].some((at) => at >= offset && at < offset + size)) continue;
    const block = Buffer.from(data.subarray(offset, offset + size));
    for (const [at, value] of patches) if (at >= offset && at < offset + size) block[at - offset] = value;
    const crc = crc32cWithZeroedField(block, 4);
    for (let i = 0; i < 4; i++) patches.set(offset + 4 + i, (crc >>> (8 * i)) & 0xff);
  }
}

function vhdSum(block: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < block.length; i++) if (i < at || i >= at + 4) sum += block[i]!;
  return ~sum >>> 0;
}

function fixVhdChecksums(patches: Map<number, number>, data: Buffer): void {
  if ([...patches.keys()].length % 3 === 0) return;
  for (const [offset, size, at] of [
    [0, 512, 64],
    [512, 1024, 36],
    [data.length - 512, 512, 64],
  ] as const) {
    if (![...patches.keys()].some((p) => p >= offset && p < offset + size)) continue;
    const block = Buffer.from(data.subarray(offset, offset + size));
    for (const [p, value] of patches) if (p >= offset && p < offset + size) block[p - offset] = value;
    const sum = vhdSum(block, at);
    for (let i = 0; i < 4; i++) patches.set(offset + at + i, (sum >>> (8 * (3 - i))) & 0xff);
  }
}

beforeAll(async () => {
  work = tempDirManual('lifeboat-fuzz-');
  const dir = work.dir;

  // VHDX, dynamic, with a dirty log so that the log parser is fuzzed too.
  const vhdx = path.join(dir, 'dirty.vhdx');
  qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', vhdx, String(8 * M));
  qemuIo(vhdx, 'vhdx', `write -P 0x11 0 ${M}`, `write -P 0x12 ${5 * M + 512} 4096`);
  const layout = vhdxLayout(vhdx);
  const header = layout.headers.find((h) => h.offset === currentHeaderOffset(layout))!;
  const logGuid = randomGuid();
  const size = fs.statSync(vhdx).size;
  const entry = logEntry({
    sequence: 9n,
    tail: 0,
    logGuid,
    flushedFileOffset: size,
    lastFileOffset: size,
    descriptors: [
      { kind: 'data', fileOffset: batEntry(vhdx, 0).fileOffset, data: Buffer.alloc(4096, 0x77) },
      { kind: 'zero', fileOffset: batEntry(vhdx, 0).fileOffset + 8 * K, length: 8 * K },
    ],
  });
  writeLogEntry(vhdx, header.logOffset, header.logLength, 0, entry);
  patchHeader(vhdx, currentHeaderOffset(layout), (h) => writeGuid(h, 48, logGuid));
  const check = (await openDisk(vhdx)) as VhdxReader;
  expect(check.details.replayedLogEntries).toBe(1);
  await check.close();
  seeds.vhdx = [
    load(vhdx, [
      [0, 320 * K],
      [header.logOffset, header.logOffset + entry.length],
      [layout.bat.offset, layout.bat.offset + 512],
      [layout.metadata.offset, layout.metadata.offset + 64 * K + 512],
    ]),
  ];

  // A differencing VHDX (sector bitmaps, parent locator) on a qemu parent.
  const parent = path.join(dir, 'parent.vhdx');
  qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', parent, String(8 * M));
  qemuIo(parent, 'vhdx', `write -P 0x21 0 ${2 * M}`);
  const parentReader = (await openDisk(parent)) as VhdxReader;
  const child = path.join(dir, 'child.avhdx');
  const writer = await VhdxWriter.create(child, 8 * M, {
    blockSize: M,
    parent: { linkage: parentReader.details.dataWriteGuid, relativePath: '.\\parent.vhdx' },
  });
  await parentReader.close();
  await writer.write(4096, Buffer.alloc(8192, 0x31));
  await writer.write(3 * M, Buffer.alloc(M, 0x32));
  await writer.close();
  const childLayout = vhdxLayout(child);
  seeds.differencing = [
    load(child, [
      [0, 320 * K],
      [childLayout.bat.offset, childLayout.bat.offset + 512],
      [childLayout.metadata.offset, childLayout.metadata.offset + 64 * K + 1024],
      [fs.statSync(child).size - M, fs.statSync(child).size - M + 1024],
    ]),
    load(parent, [[0, 320 * K]]),
  ];

  // VHD, dynamic.
  const vhd = path.join(dir, 'old.vhd');
  qemuImg('create', '-q', '-f', 'vpc', '-o', 'force_size=on', vhd, String(8 * M));
  qemuIo(vhd, 'vpc', `write -P 0x41 0 ${M}`, `write -P 0x42 ${6 * M} 4096`);
  const vhdSize = fs.statSync(vhd).size;
  seeds.vhd = [
    load(vhd, [
      [0, 2048],
      [vhdSize - 512, vhdSize],
    ]),
  ];

  // VMDK snapshot chain: monolithicSparse child on a monolithicSparse base.
  const base = path.join(dir, 'base.vmdk');
  qemuImg('create', '-q', '-f', 'vmdk', base, String(8 * M));
  qemuIo(base, 'vmdk', `write -P 0x51 0 ${256 * K}`, `write -P 0x52 ${7 * M} 4096`);
  const snapshot = path.join(dir, 'base-000001.vmdk');
  qemuImg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', snapshot);
  qemuIo(snapshot, 'vmdk', `write -P 0x53 ${64 * K} ${128 * K}`);
  seeds.vmdkSparse = [load(snapshot, [[0, 64 * K]]), load(base, [[0, 64 * K]])];

  // VMDK streamOptimized in VMware's layout (directory and footer at the end).
  const stream = path.join(dir, 'exported.vmdk');
  const disk = Buffer.alloc(4 * M);
  disk.fill(0x61, 0, 200 * K);
  disk.fill(0x62, 3 * M, 3 * M + 4096);
  writeVmwareStreamOptimized(stream, disk);
  const streamSize = fs.statSync(stream).size;
  seeds.vmdkStream = [
    load(stream, [
      [0, 1536],
      [streamSize - 6 * K, streamSize],
    ]),
  ];

  // A text descriptor with a sparse extent (twoGbMaxExtentSparse) and a flat one beside it.
  const split = path.join(dir, 'split.vmdk');
  qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', split, String(8 * M));
  qemuIo(split, 'vmdk', `write -P 0x71 ${M} 4096`);
  const text = fs.readFileSync(split, 'utf8');
  seeds.vmdkDescriptor = [load(split, [[0, text.length]]), load(path.join(dir, 'split-s001.vmdk'), [[0, 64 * K]])];

  // An ESXi vmfsSparse snapshot: descriptor, COWD delta (mutated most), vmfs base descriptor and flat file.
  const esxBase = path.join(dir, 'esx.vmdk');
  qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', esxBase, String(4 * M));
  fs.writeFileSync(
    esxBase,
    fs
      .readFileSync(esxBase, 'utf8')
      .replace(/createType="monolithicFlat"/, 'createType="vmfs"')
      .replace(/^RW (\d+) FLAT "(.+)" 0$/m, 'RW $1 VMFS "$2"'),
  );
  const baseCid = /^CID=(\w+)$/m.exec(fs.readFileSync(esxBase, 'utf8'))![1]!;
  const delta = path.join(dir, 'esx-000001-delta.vmdk');
  writeCowdDelta(delta, 8192, [
    { offset: 4096, data: Buffer.alloc(8192, 0x91) },
    { offset: 3 * M, data: Buffer.alloc(512, 0x92) },
  ]);
  const snapshotDescriptor = path.join(dir, 'esx-000001.vmdk');
  fs.writeFileSync(
    snapshotDescriptor,
    `# Disk DescriptorFile\nversion=1\nCID=0badf00d\nparentCID=${baseCid}\ncreateType="vmfsSparse"\nparentFileNameHint="esx.vmdk"\nRW 8192 VMFSSPARSE "esx-000001-delta.vmdk"\n`,
  );
  seeds.vmdkCowd = [
    { ...load(snapshotDescriptor, [[0, 300]]), weight: 1 },
    { ...load(delta, [[0, 4 * 512 + 64]]), weight: 6 },
    load(esxBase, [[0, 400]]),
    load(path.join(dir, 'esx-flat.vmdk'), [[0, 512]]),
  ];
});

afterAll(() => work?.remove());

describe('fuzzing each parser with mutated images', () => {
  for (const [format, maxRead, fix] of [
    ['vhdx', 1024 * K, fixVhdxChecksums],
    ['differencing', 1024 * K, fixVhdxChecksums],
    ['vhd', 2 * M, fixVhdChecksums],
    ['vmdkSparse', 1024 * K, undefined],
    ['vmdkStream', 1024 * K, undefined],
    ['vmdkDescriptor', 1024 * K, undefined],
    ['vmdkCowd', 1024 * K, undefined],
  ] as const) {
    it(`${format}: ${CASES} mutated images are read or refused with a typed error`, async () => {
      const outcome = await runFuzz(format, seeds[format]!, CASES, SEED * 7919 + format.length, { fix, maxRead });
      if (process.env.LIFEBOAT_FUZZ_REPORT)
        console.log(
          format,
          outcome.opened,
          [...outcome.refused].sort((a, b) => b[1] - a[1]),
        );
      // Both outcomes must occur, or the mutations are not reaching the parser.
      expect(outcome.opened).toBeGreaterThan(CASES / 20);
      expect([...outcome.refused.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(CASES / 20);
    }, 120_000);
  }
});
