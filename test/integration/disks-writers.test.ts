import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskWriter, openDisk } from '../../core/disks';
import { copyDisk } from '../../core/disks/copy';
import { markerBootSector } from '../../core/disks/marker-mbr';
import type { WriteFormat } from '../../core/disks/types';
import { flatFileFor } from '../../core/disks/vmdk-writer';
import { bootUntilMarker } from '../helpers/disk-boot';
import { ioCommands, touchedBlocks, type PatternWrite } from '../helpers/disk-check';
import { K, M, qemuCheck, qemuCompare, qemuDataExtents, qemuImg, qemuIo } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

const SIZE = 72 * M;
const WRITES: PatternWrite[] = [
  { offset: 0, length: 4 * K, pattern: 0x01 },
  { offset: 32 * M - 512, length: 4 * K, pattern: 0x02 },
  { offset: 40 * M + 333, length: 200 * K, pattern: 0x03 },
  // Explicit zeros: allocated in the source, but must stay unallocated in every output.
  { offset: 48 * M, length: 2 * M, pattern: 0 },
  { offset: SIZE - 512, length: 512, pattern: 0x04 },
];

const SOURCES: [label: string, format: string, create: (file: string) => void][] = [
  ['vhdx', 'vhdx', (f) => qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=8M', f, String(SIZE))],
  ['vhd', 'vpc', (f) => qemuImg('create', '-q', '-f', 'vpc', '-o', 'force_size=on', f, String(SIZE))],
  ['vmdk', 'vmdk', (f) => qemuImg('create', '-q', '-f', 'vmdk', f, String(SIZE))],
  ['raw', 'raw', (f) => qemuImg('create', '-q', '-f', 'raw', f, String(SIZE))],
];

const OUTPUTS: [format: WriteFormat, qemuFormat: string][] = [
  ['vhdx', 'vhdx'],
  ['vmdk', 'vmdk'],
  ['vmdk-esxi', 'vmdk'],
  ['raw', 'raw'],
];

describe('round trip: reader -> writer, refereed by qemu-img check and compare', () => {
  for (const [label, qemuFormat, create] of SOURCES) {
    it(`copies a ${label} disk into every writable format`, async () => {
      const dir = tempDir();
      const source = path.join(dir, `source.${label}`);
      create(source);
      qemuIo(source, qemuFormat, ...ioCommands(WRITES));
      for (const [format, outFormat] of OUTPUTS) {
        const out = path.join(dir, `out-${format}.${format === 'raw' ? 'img' : format.replace('-esxi', '')}`);
        const reader = await openDisk(source);
        const writer = await createDiskWriter(format, out, reader.virtualSize);
        await copyDisk(reader, writer);
        await reader.close();
        if (outFormat !== 'raw') {
          const check = qemuCheck(out, outFormat);
          expect(check.status, `${format}: ${check.output}`).toBe(0);
        }
        const compare = qemuCompare(source, qemuFormat, out, outFormat);
        expect(compare.status, `${label} -> ${format}: ${compare.output}`).toBe(0);
        // A restored disk holds everything the VM held: this account only.
        for (const file of writer.files)
          if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777, `${format} ${file}`).toBe(0o600);
        expect(compare.output).toContain('Images are identical');
        // Zero blocks stay unallocated: nothing of the explicit-zero range is stored.
        if (format === 'vmdk') {
          const data = qemuDataExtents(out, 'vmdk');
          const nonZero = WRITES.filter((w) => w.pattern !== 0);
          expect(data).toEqual(touchedBlocks(nonZero, 64 * K, SIZE));
        }
        if (format === 'vhdx') {
          const back = await openDisk(out);
          expect(await back.extents()).toEqual(
            touchedBlocks(
              WRITES.filter((w) => w.pattern !== 0),
              32 * M,
              SIZE,
            ),
          );
          await back.close();
        }
        if (format === 'vmdk-esxi') {
          expect(fs.readFileSync(out, 'utf8')).toMatch(/createType="vmfs"[\s\S]*RW \d+ VMFS "out-vmdk-esxi-flat\.vmdk"/);
          expect(fs.statSync(flatFileFor(out)).size).toBe(SIZE);
          expect(fs.statSync(flatFileFor(out)).blocks * 512).toBeLessThan(M);
        }
      }
    });
  }

  it('refuses a disk size the format cannot hold, and says to restore as raw', async () => {
    const dir = tempDir();
    for (const format of ['vhdx', 'vmdk', 'vmdk-esxi'] as const) {
      const out = path.join(dir, `odd.${format}`);
      await expect(createDiskWriter(format, out, 1000)).rejects.toMatchObject({ code: 'DISK_UNSUPPORTED', fix: 'Restore it as raw.' });
    }
    await expect(createDiskWriter('vmdk', path.join(dir, 'huge.vmdk'), 4 * 2 ** 40)).rejects.toMatchObject({
      code: 'DISK_UNSUPPORTED',
      message: expect.stringMatching(/at most 2 TiB/),
    });
  });

  it('removes the half-written output when a restore is aborted', async () => {
    const dir = tempDir();
    for (const format of ['vhdx', 'vmdk', 'vmdk-esxi'] as const) {
      const out = path.join(dir, `aborted-${format}.vmdk`);
      const writer = await createDiskWriter(format, out, 8 * M);
      await writer.write(0, Buffer.alloc(64 * K, 1));
      await writer.abort();
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });
});

describe('a restored VHDX boots', () => {
  it('boots in QEMU from the VHDX writer output when the source booted', async () => {
    const dir = tempDir();
    const marker = 'LIFEBOAT-BOOT-OK';
    const raw = path.join(dir, 'boot.raw');
    fs.writeFileSync(raw, Buffer.alloc(8 * M));
    const fd = fs.openSync(raw, 'r+');
    fs.writeSync(fd, markerBootSector(marker), 0, 512, 0);
    fs.closeSync(fd);
    const source = path.join(dir, 'source.vhdx');
    qemuImg('convert', '-f', 'raw', '-O', 'vhdx', raw, source);
    expect(await bootUntilMarker(source, 'vhdx', marker)).toContain(marker);

    const restored = path.join(dir, 'restored.vhdx');
    const reader = await openDisk(source);
    await copyDisk(reader, await createDiskWriter('vhdx', restored, reader.virtualSize));
    await reader.close();
    expect(qemuCheck(restored, 'vhdx').status).toBe(0);
    expect(await bootUntilMarker(restored, 'vhdx', marker)).toContain(marker);

    const vmdk = path.join(dir, 'restored.vmdk');
    const again = await openDisk(restored);
    await copyDisk(again, await createDiskWriter('vmdk', vmdk, again.virtualSize));
    await again.close();
    expect(await bootUntilMarker(vmdk, 'vmdk', marker)).toContain(marker);
  });
});
