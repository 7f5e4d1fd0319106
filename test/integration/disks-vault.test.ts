import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { VhdxWriter } from '../../core/disks/vhdx-writer';
import { openDisk } from '../../core/disks';
import type { VhdxReader } from '../../core/disks/vhdx';
import { runCli } from '../helpers/cli';
import { bootUntilMarker } from '../helpers/disk-boot';
import { ioCommands, type PatternWrite } from '../helpers/disk-check';
import { writeVmwareStreamOptimized } from '../helpers/disk-vmdk-stream';
import { convertToRaw, K, M, qemuCheck, qemuCompare, qemuImg, qemuIo } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

/**
 * The disk formats through the vault as a user drives it: `lifeboat vault backup-disk` reads every format
 * (detected by content), `lifeboat vault restore-disk --format` writes every format; qemu-img checks each
 * output and compares it with the source.
 */
const ENV = { LIFEBOAT_PASSPHRASE: 'correct horse battery staple' };
const SIZE = 48 * M;
const WRITES: PatternWrite[] = [
  { offset: 0, length: 4 * K, pattern: 0x0a },
  { offset: 8 * M - 512, length: 8 * K, pattern: 0x0b },
  { offset: 30 * M + 99, length: 300 * K, pattern: 0x0c },
  { offset: SIZE - 512, length: 512, pattern: 0x0d },
];

function cli(...args: string[]): string {
  const result = runCli(args, ENV);
  expect(result.status, `lifeboat ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

function backup(vault: string, file: string, disk: string): string {
  return (JSON.parse(cli('vault', 'backup-disk', vault, file, '--vm', 'lab', '--disk', disk, '--json')) as { id: string }).id;
}

function restore(vault: string, point: string, disk: string, out: string, format: string): void {
  cli('vault', 'restore-disk', vault, point, disk, out, '--format', format, '--json');
}

describe('round trip through the vault (lifeboat vault backup-disk / restore-disk --format)', () => {
  it('backs up every readable format and restores into every writable one, identical per qemu-img compare', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    cli('vault', 'init', vault);

    const sources: { name: string; file: string; qemuFormat: string }[] = [];
    const add = (name: string, qemuFormat: string, create: (file: string) => void) => {
      const file = path.join(dir, name);
      create(file);
      sources.push({ name, file, qemuFormat });
    };
    add('hyperv.vhdx', 'vhdx', (f) => {
      qemuImg('create', '-q', '-f', 'vhdx', f, String(SIZE));
      qemuIo(f, 'vhdx', ...ioCommands(WRITES));
    });
    add('gen1.vhd', 'vpc', (f) => {
      qemuImg('create', '-q', '-f', 'vpc', '-o', 'force_size=on', f, String(SIZE));
      qemuIo(f, 'vpc', ...ioCommands(WRITES));
    });
    add('workstation.vmdk', 'vmdk', (f) => {
      qemuImg('create', '-q', '-f', 'vmdk', f, String(SIZE));
      qemuIo(f, 'vmdk', ...ioCommands(WRITES));
    });
    add('export.vmdk', 'vmdk', (f) => {
      const disk = Buffer.alloc(SIZE);
      for (const w of WRITES) disk.fill(w.pattern, w.offset, w.offset + w.length);
      writeVmwareStreamOptimized(f, disk);
    });

    const outputs: [format: string, qemuFormat: string, ext: string][] = [
      ['vhdx', 'vhdx', 'vhdx'],
      ['vmdk', 'vmdk', 'vmdk'],
      ['vmdk-esxi', 'vmdk', 'vmdk'],
      ['raw', 'raw', 'img'],
    ];
    for (const [i, source] of sources.entries()) {
      const point = backup(vault, source.file, `disk${i}`);
      // Every writer for the first source; one each, in turn, for the others (the suite stays quick).
      const formats = i === 0 ? outputs : [outputs[i % outputs.length]!];
      for (const [format, qemuFormat, ext] of formats) {
        const out = path.join(dir, `restored-${i}-${format}.${ext}`);
        restore(vault, point, `disk${i}`, out, format);
        if (qemuFormat !== 'raw') {
          const check = qemuCheck(out, qemuFormat);
          expect(check.status, `${source.name} -> ${format}: ${check.output}`).toBe(0);
        }
        const compare = qemuCompare(source.file, source.qemuFormat, out, qemuFormat);
        expect(compare.status, `${source.name} -> ${format}: ${compare.output}`).toBe(0);
      }
    }
  });

  it('backs up a Hyper-V checkpoint as of the child and restores it as one dynamic VHDX', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    cli('vault', 'init', vault);
    const base = path.join(dir, 'Server.vhdx');
    qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', base, String(SIZE));
    qemuIo(base, 'vhdx', ...ioCommands(WRITES));
    const reader = (await openDisk(base)) as VhdxReader;
    const checkpoint = path.join(dir, 'Server_A1B2.avhdx');
    const writer = await VhdxWriter.create(checkpoint, SIZE, {
      blockSize: M,
      parent: { linkage: reader.details.dataWriteGuid, relativePath: '.\\Server.vhdx' },
    });
    await reader.close();
    const childWrites: PatternWrite[] = [
      { offset: 512, length: 512, pattern: 0x1a },
      { offset: 20 * M, length: M, pattern: 0x1b },
    ];
    for (const w of childWrites) await writer.write(w.offset, Buffer.alloc(w.length, w.pattern));
    await writer.close();
    const expected = path.join(dir, 'expected.raw');
    convertToRaw(base, expected, 'vhdx');
    qemuIo(expected, 'raw', ...ioCommands(childWrites));

    const point = backup(vault, checkpoint, 'disk0');
    const out = path.join(dir, 'merged.vhdx');
    restore(vault, point, 'disk0', out, 'vhdx');
    expect(qemuCheck(out, 'vhdx').status).toBe(0);
    expect(qemuCompare(expected, 'raw', out, 'vhdx').status).toBe(0);
  });

  it('a VHDX restored from the vault boots when its source booted', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    cli('vault', 'init', vault);
    const marker = 'LIFEBOAT-VAULT-BOOT';
    const raw = path.join(dir, 'boot.raw');
    fs.writeFileSync(raw, Buffer.alloc(8 * M));
    const fd = fs.openSync(raw, 'r+');
    fs.writeSync(fd, markerBootSector(marker), 0, 512, 0);
    fs.closeSync(fd);
    const source = path.join(dir, 'boot.vhdx');
    qemuImg('convert', '-f', 'raw', '-O', 'vhdx', raw, source);
    expect(await bootUntilMarker(source, 'vhdx', marker)).toContain(marker);
    const point = backup(vault, source, 'disk0');
    const restored = path.join(dir, 'restored.vhdx');
    restore(vault, point, 'disk0', restored, 'vhdx');
    expect(await bootUntilMarker(restored, 'vhdx', marker)).toContain(marker);
  });
});
