/**
 * A streamOptimized VMDK laid out as VMware writes it for OVA exports ("Virtual Disk Format 5.0",
 * stream-optimized extents): the header says the grain directory is at the end; grains carry markers and
 * zlib data; grain tables and the directory follow with their markers; then a footer (the header again,
 * with the directory's offset) and an end-of-stream marker. qemu-img writes a different layout (directory
 * up front), so tests build this one from the specification.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { formatDescriptor } from '../../core/disks/vmdk-descriptor';
import { serializeSparseHeader } from '../../core/disks/vmdk-sparse';

const SECTOR = 512;
const GRAIN = 128;
const GTES = 512;

function marker(numSectors: number, type: number): Buffer {
  const m = Buffer.alloc(SECTOR);
  m.writeBigUInt64LE(BigInt(numSectors), 0);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(type, 12);
  return m;
}

export function writeVmwareStreamOptimized(file: string, disk: Buffer): void {
  const capacity = disk.length / SECTOR;
  const grains = Math.ceil(capacity / GRAIN);
  const tables = Math.ceil(grains / GTES);
  const descriptor = Buffer.alloc(SECTOR * 2);
  descriptor.write(
    formatDescriptor({
      cid: 0x1234abcd,
      parentCid: 0xffffffff,
      createType: 'streamOptimized',
      extents: [{ access: 'RW', sectors: capacity, type: 'SPARSE', file: 'exported.vmdk', offset: 0 }],
      ddb: [['ddb.adapterType', 'lsilogic']],
    }),
    'utf8',
  );
  const header = (gdOffset: bigint) => {
    const h = serializeSparseHeader({
      version: 3,
      flags: 0x30001,
      capacity,
      grainSize: GRAIN,
      descriptorOffset: 1,
      descriptorSize: 2,
      numGTEsPerGT: GTES,
      rgdOffset: 0,
      gdOffset: 0,
      overHead: 128,
    });
    h.writeBigUInt64LE(gdOffset, 56);
    h.writeUInt16LE(1, 77); // deflate
    return h;
  };
  const parts: Buffer[] = [header(0xffffffffffffffffn), descriptor, Buffer.alloc((128 - 3) * SECTOR)];
  let sector = 128;
  const push = (b: Buffer) => {
    const padded = Buffer.alloc(Math.ceil(b.length / SECTOR) * SECTOR);
    b.copy(padded);
    parts.push(padded);
    sector += padded.length / SECTOR;
  };
  const gts = Array.from({ length: tables }, () => new Uint32Array(GTES));
  for (let g = 0; g < grains; g++) {
    const data = disk.subarray(g * GRAIN * SECTOR, (g + 1) * GRAIN * SECTOR);
    if (data.every((b) => b === 0)) continue;
    const compressed = zlib.deflateSync(data);
    const m = Buffer.alloc(12);
    m.writeBigUInt64LE(BigInt(g * GRAIN), 0);
    m.writeUInt32LE(compressed.length, 8);
    gts[Math.floor(g / GTES)]![g % GTES] = sector;
    push(Buffer.concat([m, compressed]));
  }
  const gd = Buffer.alloc(Math.ceil((tables * 4) / SECTOR) * SECTOR);
  gts.forEach((gt, t) => {
    push(marker(4, 1));
    gd.writeUInt32LE(sector, t * 4);
    const bytes = Buffer.alloc(GTES * 4);
    gt.forEach((v, i) => bytes.writeUInt32LE(v, i * 4));
    push(bytes);
  });
  push(marker(gd.length / SECTOR, 2));
  const gdOffset = sector;
  push(gd);
  push(marker(1, 3));
  push(header(BigInt(gdOffset)));
  push(Buffer.alloc(SECTOR)); // end of stream
  fs.writeFileSync(file, Buffer.concat(parts));
}
