import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { openDisk } from '../../core/disks';
import { writeGuid } from '../../core/disks/bytes';
import { ITEM_VIRTUAL_DISK_SIZE } from '../../core/disks/vhdx-format';
import { VhdxWriter } from '../../core/disks/vhdx-writer';
import { batEntry, currentHeaderOffset, readFileAt, setBatEntry, vhdxLayout, writeAt } from '../helpers/disk-vhdx-craft';
import { K, M, qemuImg, qemuIo } from '../helpers/qemu-images';
import { writeCowdDelta } from '../helpers/disk-vmdk-cowd';
import { writeVmwareStreamOptimized } from '../helpers/disk-vmdk-stream';
import { tempDir } from '../helpers/temp';

/**
 * Every damaged file is refused with a typed error that names the file and the problem (and offers a fix),
 * whether the damage shows at open, when listing extents or when reading them.
 */
async function expectRefused(
  file: string,
  code: 'DISK_INVALID' | 'DISK_UNSUPPORTED',
  problem: RegExp,
  named = file,
): Promise<LifeboatError> {
  let caught: unknown;
  try {
    const reader = await openDisk(file);
    try {
      for (const e of await reader.extents()) await reader.read(e.offset, Math.min(e.length, 4 * M));
    } finally {
      await reader.close();
    }
  } catch (error) {
    caught = error;
  }
  expect(caught, `${path.basename(file)} was accepted`).toBeInstanceOf(LifeboatError);
  const error = caught as LifeboatError;
  expect(error.message).toMatch(problem);
  expect({ code: error.code, startsWithFile: error.message.startsWith(`${named}: `) }).toEqual({ code, startsWithFile: true });
  expect(error.fix).toBeTruthy();
  return error;
}

function vhdxWithData(dir: string, name = 'disk.vhdx'): string {
  const file = path.join(dir, name);
  qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', file, String(16 * M));
  qemuIo(file, 'vhdx', `write -P 0x5a 0 ${2 * M}`, `write -P 0x5b ${8 * M} ${64 * K}`);
  return file;
}

function flipByte(file: string, offset: number): void {
  writeAt(file, offset, Buffer.from([readFileAt(file, offset, 1)[0]! ^ 0xff]));
}

describe('hostile VHDX files', () => {
  it('truncated inside the header section', async () => {
    const file = vhdxWithData(tempDir());
    fs.truncateSync(file, 100 * K);
    await expectRefused(file, 'DISK_INVALID', /shorter than the 1 MiB VHDX header section/);
  });

  it('truncated after the metadata: data blocks past the end of the file', async () => {
    const file = vhdxWithData(tempDir());
    fs.truncateSync(file, batEntry(file, 1).fileOffset);
    await expectRefused(file, 'DISK_INVALID', /BAT entry of block 1 points to byte \d+, past the end of the file/);
  });

  it('a BAT entry pointing past the end of the file', async () => {
    const file = vhdxWithData(tempDir());
    setBatEntry(file, 3, 6, 4096 * M);
    await expectRefused(file, 'DISK_INVALID', /block 3 points to byte 4294967296, past the end of the file/);
  });

  it('two blocks sharing the same bytes', async () => {
    const file = vhdxWithData(tempDir());
    setBatEntry(file, 5, 6, batEntry(file, 0).fileOffset);
    await expectRefused(file, 'DISK_INVALID', /block 5 overlaps another block or the file's own structures/);
  });

  it('a block placed over the header section', async () => {
    const file = vhdxWithData(tempDir());
    setBatEntry(file, 2, 6, 0);
    await expectRefused(file, 'DISK_INVALID', /block 2 overlaps/);
  });

  it('an absurd virtual size', async () => {
    const file = vhdxWithData(tempDir());
    const item = vhdxLayout(file).items.get(ITEM_VIRTUAL_DISK_SIZE)!;
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(2n ** 60n);
    writeAt(file, item.offset, size);
    await expectRefused(file, 'DISK_INVALID', /virtual size 1152921504606846976 bytes is absurd/);
  });

  it('wrong checksums on both headers', async () => {
    const file = vhdxWithData(tempDir());
    flipByte(file, 64 * K + 100);
    flipByte(file, 128 * K + 100);
    await expectRefused(file, 'DISK_INVALID', /both VHDX headers are damaged/);
  });

  it('wrong checksum on one header only: the other one is used', async () => {
    const file = vhdxWithData(tempDir());
    flipByte(file, currentHeaderOffset(vhdxLayout(file)) + 100);
    const reader = await openDisk(file);
    expect((await reader.read(0, 4096)).every((b) => b === 0x5a)).toBe(true);
    await reader.close();
  });

  it('wrong checksums on both region tables', async () => {
    const file = vhdxWithData(tempDir());
    flipByte(file, 192 * K + 40);
    flipByte(file, 256 * K + 40);
    await expectRefused(file, 'DISK_INVALID', /both region tables are damaged/);
  });

  it('a block size that is not a power of two', async () => {
    const file = vhdxWithData(tempDir());
    const params = vhdxLayout(file).items.get('CAA16737-FA36-4D43-B3B6-33F0AA44E76B')!;
    const value = Buffer.alloc(4);
    value.writeUInt32LE(3 * M);
    writeAt(file, params.offset, value);
    await expectRefused(file, 'DISK_INVALID', /block size 3145728 is not a power of two/);
  });

  it('a parent chain that loops back on itself', async () => {
    const dir = tempDir();
    const guidA = '11111111-2222-4333-8444-555555555555';
    const guidB = '66666666-7777-4888-9999-AAAAAAAAAAAA';
    for (const [name, own, parent, parentFile] of [
      ['a.avhdx', guidA, guidB, '.\\b.avhdx'],
      ['b.avhdx', guidB, guidA, '.\\a.avhdx'],
    ] as const) {
      const w = await VhdxWriter.create(path.join(dir, name), 8 * M, {
        blockSize: M,
        dataWriteGuid: own,
        parent: { linkage: parent, relativePath: parentFile },
      });
      await w.write(0, Buffer.alloc(4096, 1));
      await w.close();
    }
    const file = path.join(dir, 'a.avhdx');
    await expectRefused(file, 'DISK_INVALID', /parent chain loops back on itself \(.*a\.avhdx -> .*b\.avhdx -> .*a\.avhdx\)/);
  });

  it('a missing parent', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'Server_1234.avhdx');
    const w = await VhdxWriter.create(file, 8 * M, {
      blockSize: M,
      parent: {
        linkage: '11111111-2222-4333-8444-555555555555',
        relativePath: '.\\Server.vhdx',
        absoluteWin32Path: 'C:\\Hyper-V\\Server.vhdx',
      },
    });
    await w.close();
    const error = await expectRefused(file, 'DISK_INVALID', /its parent disk is missing \(tried Server\.vhdx, C:\\Hyper-V\\Server\.vhdx\)/);
    expect(error.fix).toMatch(/Copy the parent disk/);
  });

  it('a parent modified after the checkpoint (parent_linkage does not match its DataWriteGuid)', async () => {
    const dir = tempDir();
    vhdxWithData(dir, 'Server.vhdx');
    const file = path.join(dir, 'Server_1234.avhdx');
    const w = await VhdxWriter.create(file, 16 * M, {
      blockSize: M,
      parent: { linkage: '11111111-2222-4333-8444-555555555555', relativePath: '.\\Server.vhdx' },
    });
    await w.close();
    await expectRefused(file, 'DISK_INVALID', /parent disk was modified after this differencing disk was created/);
  });

  it('a required region it does not know', async () => {
    const file = vhdxWithData(tempDir());
    // Add a third, required region entry and fix both tables' checksums.
    const { crc32cWithZeroedField } = await import('../../core/disks/crc32c');
    for (const offset of [192 * K, 256 * K]) {
      const table = readFileAt(file, offset, 64 * K);
      const count = table.readUInt32LE(8);
      const at = 16 + count * 32;
      writeGuid(table, at, '01234567-89AB-4CDE-8F01-23456789ABCD');
      table.writeBigUInt64LE(BigInt(15 * M), at + 16);
      table.writeUInt32LE(M, at + 24);
      table.writeUInt32LE(1, at + 28);
      table.writeUInt32LE(count + 1, 8);
      table.writeUInt32LE(crc32cWithZeroedField(table, 4), 4);
      writeAt(file, offset, table);
    }
    await expectRefused(file, 'DISK_UNSUPPORTED', /requires region 01234567-89AB-4CDE-8F01-23456789ABCD/);
  });
});

function vhdChecksum(block: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < block.length; i++) if (i < at || i >= at + 4) sum += block[i]!;
  return ~sum >>> 0;
}

/** Rewrites the footer at the end (and the copy at the start, for dynamic disks) with a change and a valid checksum. */
function patchVhdFooter(file: string, patch: (footer: Buffer) => void, copyToo = true): void {
  const size = fs.statSync(file).size;
  const footer = readFileAt(file, size - 512, 512);
  patch(footer);
  footer.writeUInt32BE(vhdChecksum(footer, 64), 64);
  writeAt(file, size - 512, footer);
  if (copyToo && readFileAt(file, 0, 8).toString('latin1') === 'conectix') writeAt(file, 0, footer);
}

function vhdBatOffset(file: string): number {
  return Number(readFileAt(file, 512 + 16, 8).readBigUInt64BE(0));
}

describe('hostile VHD files', () => {
  function dynamicVhd(dir: string): string {
    const file = path.join(dir, 'old.vhd');
    qemuImg('create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic,force_size=on', file, String(16 * M));
    qemuIo(file, 'vpc', `write -P 0x3c 0 ${2 * M}`, `write -P 0x3d ${6 * M} ${4 * K}`);
    return file;
  }

  it('truncated: the footer copy at the start is used, and blocks past the end are refused', async () => {
    const file = dynamicVhd(tempDir());
    fs.truncateSync(file, fs.statSync(file).size - 1024 * K);
    await expectRefused(file, 'DISK_INVALID', /BAT entry of block \d+ points to byte \d+, past the end of the data/);
  });

  it('a footer with a wrong checksum (fixed disk: no copy to fall back on)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'fixed.vhd');
    qemuImg('create', '-q', '-f', 'vpc', '-o', 'subformat=fixed,force_size=on', file, String(4 * M));
    flipByte(file, fs.statSync(file).size - 512 + 50);
    await expectRefused(file, 'DISK_INVALID', /VHD footer is damaged/);
  });

  it('a BAT entry pointing past the end of the file', async () => {
    const file = dynamicVhd(tempDir());
    const entry = Buffer.alloc(4);
    entry.writeUInt32BE(0x00ffffff);
    writeAt(file, vhdBatOffset(file) + 4 * 4, entry);
    await expectRefused(file, 'DISK_INVALID', /BAT entry of block 4 points to byte \d+, past the end/);
  });

  it('two blocks sharing the same bytes', async () => {
    const file = dynamicVhd(tempDir());
    writeAt(file, vhdBatOffset(file) + 5 * 4, readFileAt(file, vhdBatOffset(file), 4));
    await expectRefused(file, 'DISK_INVALID', /block \d overlaps block \d/);
  });

  it('an absurd virtual size', async () => {
    const file = dynamicVhd(tempDir());
    patchVhdFooter(file, (f) => f.writeBigUInt64BE(2n ** 50n, 48));
    await expectRefused(file, 'DISK_INVALID', /virtual size 1125899906842624 bytes is absurd/);
  });

  it('a differencing VHD is refused as unsupported, with what to do', async () => {
    const file = dynamicVhd(tempDir());
    patchVhdFooter(file, (f) => f.writeUInt32BE(4, 60));
    const error = await expectRefused(file, 'DISK_UNSUPPORTED', /differencing VHD/);
    expect(error.fix).toMatch(/Merge/);
  });
});

/** Sector of the first grain table and the byte offset of grain table entry `index` in it. */
function vmdkGrainTableEntryOffset(file: string, index: number): number {
  const header = readFileAt(file, 0, 512);
  const gdOffset = Number(header.readBigUInt64LE(56));
  const gt = readFileAt(file, gdOffset * 512, 4).readUInt32LE(0);
  return gt * 512 + index * 4;
}

function sparseVmdk(dir: string, name = 'disk.vmdk'): string {
  const file = path.join(dir, name);
  qemuImg('create', '-q', '-f', 'vmdk', file, String(16 * M));
  qemuIo(file, 'vmdk', `write -P 0x6a 0 ${256 * K}`, `write -P 0x6b ${M} ${64 * K}`);
  return file;
}

function setU32(file: string, offset: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  writeAt(file, offset, b);
}

/** Edits the descriptor embedded in a monolithicSparse file, keeping its size. */
function editEmbeddedDescriptor(file: string, edit: (text: string) => string): void {
  const header = readFileAt(file, 0, 512);
  const at = Number(header.readBigUInt64LE(28)) * 512;
  const size = Number(header.readBigUInt64LE(36)) * 512;
  const text = edit(readFileAt(file, at, size).toString('utf8').replace(/\0+$/, ''));
  const bytes = Buffer.alloc(size);
  bytes.write(text, 'utf8');
  writeAt(file, at, bytes);
}

describe('hostile VMDK files', () => {
  it('a truncated sparse header', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'stub.vmdk');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('KDMV'), Buffer.alloc(96)]));
    await expectRefused(file, 'DISK_INVALID', /too short for a sparse extent header/);
  });

  it('a grain table entry pointing past the end of the file', async () => {
    const file = sparseVmdk(tempDir());
    setU32(file, vmdkGrainTableEntryOffset(file, 2), 0x7fffff00);
    await expectRefused(file, 'DISK_INVALID', /grain 2 points to sector 2147483392, past the end of the file/);
  });

  it('a grain directory entry pointing past the end of the file', async () => {
    const file = sparseVmdk(tempDir());
    const gdOffset = Number(readFileAt(file, 56, 8).readBigUInt64LE(0));
    setU32(file, gdOffset * 512, 0x7fffff00);
    await expectRefused(file, 'DISK_INVALID', /grain directory entry 0 points to sector 2147483392, past the end/);
  });

  it('two grains sharing the same sectors', async () => {
    const file = sparseVmdk(tempDir());
    setU32(file, vmdkGrainTableEntryOffset(file, 9), readFileAt(file, vmdkGrainTableEntryOffset(file, 1), 4).readUInt32LE(0));
    await expectRefused(file, 'DISK_INVALID', /two grains overlap at sector \d+/);
  });

  it('a grain placed over the header structures', async () => {
    const file = sparseVmdk(tempDir());
    setU32(file, vmdkGrainTableEntryOffset(file, 9), 2);
    await expectRefused(file, 'DISK_INVALID', /a grain at sector 2 overlaps the embedded descriptor/);
  });

  it('an absurd capacity', async () => {
    const file = sparseVmdk(tempDir());
    const capacity = Buffer.alloc(8);
    capacity.writeBigUInt64LE(2n ** 50n);
    writeAt(file, 12, capacity);
    await expectRefused(file, 'DISK_INVALID', /capacity of 1125899906842624 sectors is absurd/);
  });

  it('a header garbled by a text-mode transfer', async () => {
    const file = sparseVmdk(tempDir());
    writeAt(file, 75, Buffer.from('\n\n'));
    const error = await expectRefused(file, 'DISK_INVALID', /copied in text mode/);
    expect(error.fix).toMatch(/binary mode/);
  });

  it('a missing parent', async () => {
    const dir = tempDir();
    sparseVmdk(dir, 'base.vmdk');
    const child = path.join(dir, 'base-000001.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', child);
    fs.rmSync(path.join(dir, 'base.vmdk'));
    await expectRefused(child, 'DISK_INVALID', /its parent disk "base\.vmdk" is missing/);
  });

  it('a parent modified after the snapshot (CID mismatch)', async () => {
    const dir = tempDir();
    const base = sparseVmdk(dir, 'base.vmdk');
    const child = path.join(dir, 'base-000001.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', child);
    editEmbeddedDescriptor(base, (t) => t.replace(/^CID=\w+$/m, 'CID=0badc0de'));
    await expectRefused(child, 'DISK_INVALID', /was modified after the snapshot was taken \(parent CID badc0de/);
  });

  it('a parent chain that loops back on itself', async () => {
    const dir = tempDir();
    const base = sparseVmdk(dir, 'base.vmdk');
    const child = path.join(dir, 'base-000001.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', child);
    editEmbeddedDescriptor(base, (t) => t.replace(/^parentCID=\w+$/m, 'parentCID=12345678\nparentFileNameHint="base-000001.vmdk"'));
    await expectRefused(
      child,
      'DISK_INVALID',
      /parent chain loops back on itself \(.*base-000001\.vmdk -> .*base\.vmdk -> .*base-000001\.vmdk\)/,
    );
  });

  it('a descriptor whose extent file is missing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'flat.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', file, String(8 * M));
    fs.rmSync(path.join(dir, 'flat-flat.vmdk'));
    await expectRefused(file, 'DISK_INVALID', /its extent "flat-flat\.vmdk" is missing/);
  });

  it('a flat extent shorter than its descriptor says', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'flat.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', file, String(8 * M));
    const flat = path.join(dir, 'flat-flat.vmdk');
    fs.truncateSync(flat, 4 * M);
    await expectRefused(file, 'DISK_INVALID', /flat extent is 4194304 bytes but the descriptor .* needs 8388608: it is truncated/, flat);
  });

  it('a stream-optimized disk cut short (no footer)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'export.vmdk');
    writeVmwareStreamOptimized(file, Buffer.alloc(8 * M, 0x44));
    fs.truncateSync(file, fs.statSync(file).size - 1024);
    await expectRefused(file, 'DISK_INVALID', /has no footer/);
  });

  it('a compressed grain that does not decompress', async () => {
    const dir = tempDir();
    const raw = path.join(dir, 'src.raw');
    qemuImg('create', '-q', '-f', 'raw', raw, String(8 * M));
    qemuIo(raw, 'raw', `write -P 0x44 0 ${M}`);
    const file = path.join(dir, 'export.vmdk');
    qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, file);
    // Garble grain 0's zlib stream, just after its 12-byte marker.
    const firstGrain = readFileAt(file, vmdkGrainTableEntryOffset(file, 0), 4).readUInt32LE(0) * 512;
    expect(readFileAt(file, firstGrain, 8).readBigUInt64LE(0)).toBe(0n);
    writeAt(file, firstGrain + 12, Buffer.alloc(16, 0xee));
    await expectRefused(file, 'DISK_INVALID', /grain 0 does not decompress/);
  });

  it('an ESXi SEsparse snapshot is refused as unsupported, with what to do', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'vm-000001.vmdk');
    fs.writeFileSync(
      file,
      '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="seSparse"\nRW 16384 SESPARSE "vm-000001-sesparse.vmdk"\n',
    );
    const error = await expectRefused(file, 'DISK_UNSUPPORTED', /SEsparse snapshot delta/);
    expect(error.fix).toMatch(/consolidate/);
  });

  it('an ESXi vmfsSparse delta whose grains overlap its grain table', async () => {
    const dir = tempDir();
    const delta = path.join(dir, 'vm-000001-delta.vmdk');
    writeCowdDelta(delta, 8192, [{ offset: 0, data: Buffer.alloc(4096, 1) }]);
    // Grain 3 moved onto the grain table (sector 5, right after the directory).
    const gt = readFileAt(delta, 4 * 512, 4).readUInt32LE(0);
    setU32(delta, gt * 512 + 3 * 4, gt + 1);
    const file = path.join(dir, 'vm-000001.vmdk');
    fs.writeFileSync(
      file,
      '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="vmfsSparse"\nRW 8192 VMFSSPARSE "vm-000001-delta.vmdk"\n',
    );
    await expectRefused(file, 'DISK_INVALID', /a grain at sector \d+ overlaps grain table 0/, delta);
  });
});
