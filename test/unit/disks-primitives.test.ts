import { describe, expect, it } from 'vitest';
import { readGuid, writeGuid } from '../../core/disks/bytes';
import { crc32c, crc32cWithZeroedField } from '../../core/disks/crc32c';
import { ExtentBuilder, unionExtents } from '../../core/disks/extents';
import { PagedTable } from '../../core/disks/paged-table';
import type { ByteSource } from '../../core/disks/types';
import { formatDescriptor, looksLikeDescriptor, parseDescriptor } from '../../core/disks/vmdk-descriptor';
import { LogOverlaySource } from '../../core/disks/vhdx-log';
import { decodeBatEntry, encodeBatEntry, REGION_BAT } from '../../core/disks/vhdx-format';

function memory(data: Buffer, name = 'mem'): ByteSource & { reads: number } {
  const source = {
    name,
    reads: 0,
    size: async () => data.length,
    read: async (offset: number, length: number) => {
      source.reads++;
      return data.subarray(offset, Math.min(offset + length, data.length));
    },
    close: async () => undefined,
  };
  return source;
}

describe('CRC-32C', () => {
  it('matches the standard check value and known vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43); // 32 bytes of 0xFF
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e); // ascending
  });

  it('continues a running checksum and skips a checksum field', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    expect(crc32c(data.subarray(300), crc32c(data.subarray(0, 300)))).toBe(crc32c(data));
    const withField = Buffer.from(data);
    withField.writeUInt32LE(0xdeadbeef, 4);
    const zeroed = Buffer.from(data);
    zeroed.writeUInt32LE(0, 4);
    expect(crc32cWithZeroedField(withField, 4)).toBe(crc32c(zeroed));
  });
});

describe('GUIDs and BAT entries', () => {
  it('reads and writes Microsoft GUIDs in their mixed-endian layout', () => {
    const bytes = Buffer.from('6677c22d23f600429d64115e9bfd4a08', 'hex'); // the BAT region GUID as stored
    expect(readGuid(bytes, 0)).toBe(REGION_BAT);
    const out = Buffer.alloc(16);
    writeGuid(out, 0, REGION_BAT);
    expect(out.equals(bytes)).toBe(true);
  });

  it('encodes 44-bit file offsets beside the 3-bit state', () => {
    const entry = Buffer.alloc(8);
    const offset = (2 ** 40 + 5) * 2 ** 20;
    encodeBatEntry(entry, 0, 6, offset);
    expect(decodeBatEntry(entry, 0)).toEqual({ state: 6, fileOffset: offset });
  });
});

describe('extents', () => {
  it('merges touching and overlapping extents', () => {
    const b = new ExtentBuilder();
    b.add(0, 10);
    b.add(10, 5);
    b.add(12, 1);
    b.add(20, 0);
    b.add(30, 2);
    expect(b.extents).toEqual([
      { offset: 0, length: 15 },
      { offset: 30, length: 2 },
    ]);
    expect(
      unionExtents(
        [
          { offset: 0, length: 4 },
          { offset: 10, length: 4 },
        ],
        [
          { offset: 2, length: 10 },
          { offset: 20, length: 1 },
        ],
      ),
    ).toEqual([
      { offset: 0, length: 14 },
      { offset: 20, length: 1 },
    ]);
  });
});

describe('PagedTable', () => {
  it('reads entries a page at a time and keeps only a bounded number of pages', async () => {
    const data = Buffer.alloc(4096 * 4);
    for (let i = 0; i < 4096; i++) data.writeUInt32LE(i * 3, i * 4);
    const source = memory(data);
    const table = new PagedTable(source, 0, 4096, 4, (p, at) => p.readUInt32LE(at), 'table', 1024, 2);
    expect(await table.get(5)).toBe(15);
    expect(await table.get(6)).toBe(18);
    expect(source.reads).toBe(1);
    await table.get(300);
    await table.get(600);
    await table.get(5); // evicted: read again
    expect(source.reads).toBe(4);
    let sum = 0;
    await table.scan((v) => (sum += v));
    expect(sum).toBe((3 * 4095 * 4096) / 2);
  });
});

describe('VMDK descriptor', () => {
  const esxi = [
    '# Disk DescriptorFile',
    'version=1',
    'encoding="UTF-8"',
    'CID=fffffffe',
    'parentCID=ffffffff',
    'createType="vmfs"',
    '',
    '# Extent description',
    'RW 83886080 VMFS "SQL01-flat.vmdk"',
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.adapterType = "lsilogic"',
    'ddb.geometry.cylinders = "5221"',
    'ddb.thinProvisioned = "1"',
    'ddb.uuid = "60 00 C2 9a 1b 2c 3d 4e-5f 60 71 82 93 a4 b5 c6"',
  ].join('\r\n');

  it('parses an ESXi descriptor (CRLF, comments, disk database)', () => {
    const d = parseDescriptor('SQL01.vmdk', esxi);
    expect(d).toMatchObject({ cid: 0xfffffffe, parentCid: 0xffffffff, createType: 'vmfs', parentFileNameHint: undefined });
    expect(d.extents).toEqual([{ access: 'RW', sectors: 83886080, type: 'VMFS', file: 'SQL01-flat.vmdk', offset: 0 }]);
    expect(d.values.get('ddb.adapterType')).toBe('lsilogic');
    expect(looksLikeDescriptor(Buffer.from(esxi))).toBe(true);
  });

  it('round-trips what the writers produce', () => {
    const text = formatDescriptor({
      cid: 0x1234,
      parentCid: 0xabcdef01,
      createType: 'monolithicSparse',
      parentFileNameHint: 'Win10.vmdk',
      extents: [
        { access: 'RW', sectors: 100, type: 'FLAT', file: 'a b.vmdk', offset: 7 },
        { access: 'RW', sectors: 50, type: 'ZERO', file: undefined, offset: 0 },
      ],
      ddb: [['ddb.adapterType', 'ide']],
    });
    const d = parseDescriptor('x.vmdk', text);
    expect(d).toMatchObject({ cid: 0x1234, parentCid: 0xabcdef01, parentFileNameHint: 'Win10.vmdk' });
    expect(d.extents).toEqual([
      { access: 'RW', sectors: 100, type: 'FLAT', file: 'a b.vmdk', offset: 7 },
      { access: 'RW', sectors: 50, type: 'ZERO', file: undefined, offset: 0 },
    ]);
  });

  it('does not mistake a disk image for a descriptor', () => {
    const mbr = Buffer.alloc(4096);
    mbr.write('createType="vmfs"\nRW 1 FLAT "x"\n', 3);
    expect(looksLikeDescriptor(mbr)).toBe(false);
  });

  it('refuses a garbled extent line but skips a garbled disk-database line', () => {
    expect(() => parseDescriptor('x.vmdk', esxi.replace('RW 83886080 VMFS', 'RW 8388$080 VMFS'))).toThrow(
      /x\.vmdk: the descriptor has an extent line it cannot read/,
    );
    expect(parseDescriptor('x.vmdk', esxi.replace('ddb.adapterType = "lsilogic"', 'dd\u0001b garbage')).extents).toHaveLength(1);
  });
});

describe('VHDX log overlay', () => {
  it('applies data and zero writes in order over the file, without touching the source buffer', async () => {
    const base = Buffer.alloc(64 * 1024, 0x11);
    const overlay = new LogOverlaySource(memory(base, 'd.vhdx'), base.length, {
      entries: 2,
      lastFileOffset: 2 ** 20 + 4096,
      ops: [
        { kind: 'data', fileOffset: 4096, length: 4096, data: Buffer.alloc(4096, 0x22) },
        { kind: 'zero', fileOffset: 6144, length: 4096 },
        { kind: 'data', fileOffset: 2 ** 20, length: 4096, data: Buffer.alloc(4096, 0x33) },
      ],
    });
    expect(await overlay.size()).toBe(2 * 2 ** 20); // extended to the next MiB
    const view = await overlay.read(4000, 8000);
    expect(view.subarray(0, 96).every((b) => b === 0x11)).toBe(true);
    expect(view.subarray(96, 2144).every((b) => b === 0x22)).toBe(true);
    expect(view.subarray(2144, 6240).every((b) => b === 0)).toBe(true);
    expect(view.subarray(6240).every((b) => b === 0x11)).toBe(true);
    expect((await overlay.read(2 ** 20, 4096)).every((b) => b === 0x33)).toBe(true);
    expect((await overlay.read(100_000, 10)).every((b) => b === 0)).toBe(true);
    expect(base.every((b) => b === 0x11)).toBe(true);
  });
});
