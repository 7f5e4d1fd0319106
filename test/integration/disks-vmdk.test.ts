import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../core/disks';
import type { VmdkReader } from '../../core/disks/vmdk';
import { checkReaderAgainstQemu, expectSameBytes, ioCommands, touchedBlocks, type PatternWrite } from '../helpers/disk-check';
import { convertToRaw, G, K, M, qemuImg, qemuIo } from '../helpers/qemu-images';
import { writeCowdDelta } from '../helpers/disk-vmdk-cowd';
import { writeVmwareStreamOptimized } from '../helpers/disk-vmdk-stream';
import { tempDir } from '../helpers/temp';

const GRAIN = 64 * K;

function scattered(size: number): PatternWrite[] {
  return [
    { offset: 0, length: 512, pattern: 0x71 },
    { offset: GRAIN - 512, length: 1024, pattern: 0x72 },
    { offset: 32 * M - 4 * K, length: 8 * K, pattern: 0x73 }, // across a grain table boundary (512 grains)
    { offset: 5 * M + 777, length: 3000, pattern: 0x74 },
    { offset: size - 512, length: 512, pattern: 0x75 },
  ];
}

describe('VMDK reader against qemu', () => {
  for (const subformat of ['monolithicSparse', 'monolithicFlat', 'twoGbMaxExtentFlat'] as const) {
    it(`reads ${subformat}`, async () => {
      const dir = tempDir();
      const file = path.join(dir, `disk-${subformat}.vmdk`);
      const size = 40 * M;
      qemuImg('create', '-q', '-f', 'vmdk', '-o', `subformat=${subformat},adapter_type=lsilogic`, file, String(size));
      qemuIo(file, 'vmdk', ...ioCommands(scattered(size)));
      const sparse = subformat.includes('Sparse');
      const reader = await checkReaderAgainstQemu(file, dir, {
        whole: true,
        qemuMapIsExact: sparse,
        expected: sparse ? undefined : [{ offset: 0, length: size }],
      });
      expect(reader.format).toBe('vmdk');
      await reader.close();
    });
  }

  it('reads twoGbMaxExtentSparse across its 2 GiB extent boundary', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'split.vmdk');
    const size = 5 * G;
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', file, String(size));
    const writes: PatternWrite[] = [
      ...scattered(size),
      { offset: 2 * G - 3 * K, length: 8 * K, pattern: 0x76 },
      { offset: 4 * G - 512, length: 1024, pattern: 0x77 },
    ];
    qemuIo(file, 'vmdk', ...ioCommands(writes));
    expect(fs.readdirSync(dir).filter((f) => /-s\d+\.vmdk$/.test(f)).length).toBe(3);
    const reader = await checkReaderAgainstQemu(file, dir, { qemuMapIsExact: true, expected: touchedBlocks(writes, GRAIN, size) });
    await reader.close();
  });

  it('reads an ESXi vmfs descriptor with its -flat.vmdk', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'esxi.vmdk');
    const size = 40 * M;
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat,adapter_type=lsilogic', file, String(size));
    // ESXi's own descriptor differs from a hosted flat one only by createType and the extent type.
    const text = fs
      .readFileSync(file, 'utf8')
      .replace(/createType="monolithicFlat"/, 'createType="vmfs"')
      .replace(/^RW (\d+) FLAT "(.+)" 0$/m, 'RW $1 VMFS "$2"');
    expect(text).toMatch(/VMFS "esxi-flat.vmdk"/);
    fs.writeFileSync(file, text);
    qemuIo(file, 'vmdk', ...ioCommands(scattered(size)));
    const reader = await checkReaderAgainstQemu(file, dir, { whole: true, expected: [{ offset: 0, length: size }] });
    expect((reader as VmdkReader).descriptor?.createType).toBe('vmfs');
    await reader.close();
  });

  it('reads streamOptimized (OVA exports)', async () => {
    const dir = tempDir();
    const raw = path.join(dir, 'source.raw');
    const size = 40 * M;
    qemuImg('create', '-q', '-f', 'raw', raw, String(size));
    const writes = scattered(size);
    qemuIo(raw, 'raw', ...ioCommands(writes), `write -P 0 ${10 * M} ${GRAIN}`);
    const file = path.join(dir, 'exported.vmdk');
    qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, file);
    const reader = await checkReaderAgainstQemu(file, dir, {
      whole: true,
      qemuMapIsExact: true,
      expected: touchedBlocks(writes, GRAIN, size),
    });
    await reader.close();
  });

  it('reads a VMware-layout streamOptimized disk (grain directory at the end, footer)', async () => {
    const dir = tempDir();
    const size = 40 * M + 3 * 512; // not a whole number of grains
    const disk = Buffer.alloc(size);
    for (const w of scattered(size)) disk.fill(w.pattern, w.offset, w.offset + w.length);
    const file = path.join(dir, 'exported.vmdk');
    writeVmwareStreamOptimized(file, disk);
    const reader = await checkReaderAgainstQemu(file, dir, {
      whole: true,
      qemuMapIsExact: true,
      expected: touchedBlocks(scattered(size), GRAIN, size),
    });
    expect((await reader.read(0, size)).equals(disk)).toBe(true);
    await reader.close();
  });

  it('reads zeroed grain table entries as unallocated zeros', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'zeroed.vmdk');
    const size = 16 * M;
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'zeroed_grain=on', file, String(size));
    qemuIo(file, 'vmdk', `write -P 0x51 0 ${4 * GRAIN}`, `write -z ${GRAIN} ${GRAIN}`, `write -z ${8 * M} ${2 * GRAIN}`);
    const reader = await checkReaderAgainstQemu(file, dir, { whole: true, qemuMapIsExact: true });
    expect(await reader.extents()).toEqual([
      { offset: 0, length: GRAIN },
      { offset: 2 * GRAIN, length: 2 * GRAIN },
    ]);
    await reader.close();
  });

  it('reads a snapshot chain as of each -00000N.vmdk (parentFileNameHint, parentCID)', async () => {
    const dir = tempDir();
    const size = 40 * M;
    const base = path.join(dir, 'Win10.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', base, String(size));
    qemuIo(base, 'vmdk', ...ioCommands(scattered(size)));
    const first = path.join(dir, 'Win10-000001.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'Win10.vmdk', '-F', 'vmdk', first);
    qemuIo(first, 'vmdk', `write -P 0x81 ${GRAIN} ${GRAIN}`, `write -P 0 0 512`, `write -P 0x82 ${20 * M + 100} 5000`);
    const second = path.join(dir, 'Win10-000002.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'Win10-000001.vmdk', '-F', 'vmdk', second);
    qemuIo(second, 'vmdk', `write -P 0x91 ${size - 4 * K} ${4 * K}`, `write -P 0x92 ${GRAIN + 4 * K} 512`);
    expect(fs.readFileSync(second).toString('latin1')).toContain('parentFileNameHint="Win10-000001.vmdk"');
    for (const file of [first, second]) {
      const reader = await checkReaderAgainstQemu(file, dir, { whole: true, qemuMapIsExact: true });
      await reader.close();
    }
    // Reading as of the newest snapshot touches only the chain's allocated grains.
    const reader = await openDisk(second);
    const raw = path.join(dir, 'second.raw');
    convertToRaw(second, raw, 'vmdk');
    for (const e of await reader.extents()) await expectSameBytes(reader, raw, e.offset, e.length);
    expect(reader.stats.bytesReadFromSource).toBeLessThan(2 * M);
    await reader.close();
  });

  it('reads ESXi vmfsSparse snapshots (COWD "-delta.vmdk") on a vmfs base, as of each snapshot', async () => {
    const dir = tempDir();
    const size = 40 * M;
    const base = path.join(dir, 'SQL01.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', base, String(size));
    fs.writeFileSync(
      base,
      fs
        .readFileSync(base, 'utf8')
        .replace(/createType="monolithicFlat"/, 'createType="vmfs"')
        .replace(/^RW (\d+) FLAT "(.+)" 0$/m, 'RW $1 VMFS "$2"'),
    );
    qemuIo(base, 'vmdk', ...ioCommands(scattered(size)));
    const baseCid = /^CID=(\w+)$/m.exec(fs.readFileSync(base, 'utf8'))![1]!;
    const sectors = size / 512;
    const descriptor = (name: string, cid: string, parentCid: string, parent: string, grainSize: number) =>
      `# Disk DescriptorFile\nversion=1\nCID=${cid}\nparentCID=${parentCid}\ncreateType="vmfsSparse"\nparentFileNameHint="${parent}"\n# Extent description\nRW ${sectors} VMFSSPARSE "${name}-delta.vmdk"\n\n# The Disk Data Base\nddb.grain = "${grainSize}"\n`;
    // Snapshot 1: one-sector grains (ESXi's default), writes over the base's data and at the last sector.
    writeCowdDelta(path.join(dir, 'SQL01-000001-delta.vmdk'), sectors, [
      { offset: 512, data: Buffer.alloc(1024, 0xc1) },
      { offset: 32 * M - 512, data: Buffer.alloc(4096, 0xc2) },
      { offset: size - 512, data: Buffer.alloc(512, 0xc3) },
    ]);
    fs.writeFileSync(path.join(dir, 'SQL01-000001.vmdk'), descriptor('SQL01-000001', 'c0ffee01', baseCid, 'SQL01.vmdk', 1));
    // Snapshot 2 on top, with 4 KiB grains.
    writeCowdDelta(
      path.join(dir, 'SQL01-000002-delta.vmdk'),
      sectors,
      [
        { offset: 20 * M, data: Buffer.alloc(8192, 0xd1) },
        { offset: 1024, data: Buffer.alloc(512, 0xd2) },
      ],
      8,
    );
    fs.writeFileSync(path.join(dir, 'SQL01-000002.vmdk'), descriptor('SQL01-000002', 'c0ffee02', 'c0ffee01', 'SQL01-000001.vmdk', 8));
    for (const file of ['SQL01-000001.vmdk', 'SQL01-000002.vmdk']) {
      const reader = await checkReaderAgainstQemu(path.join(dir, file), dir, { whole: true });
      await reader.close();
    }
  });
});
