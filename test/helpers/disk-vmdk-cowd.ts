/**
 * An ESXi vmfsSparse snapshot delta ("-delta.vmdk", COWD format, VMware "Virtual Disk Format 5.0", ESX
 * Server sparse extents) built from the specification: a 2 KiB header, a grain directory at sector 4, grain
 * tables of 4096 entries allocated as needed, then grains. qemu-img reads these but cannot create them.
 */
import fs from 'node:fs';

const SECTOR = 512;
const GTES = 4096;

export function writeCowdDelta(
  file: string,
  capacitySectors: number,
  writes: { offset: number; data: Buffer }[],
  grainSize = 1,
  parentFileName = '',
): void {
  const gdEntries = Math.ceil(capacitySectors / (grainSize * GTES));
  const gdSectors = Math.ceil((gdEntries * 4) / SECTOR);
  const gd = new Uint32Array(gdEntries);
  const tables = new Map<number, Uint32Array>();
  const grains = new Map<number, Buffer>();
  let next = 4 + gdSectors;
  const grainBytes = grainSize * SECTOR;
  // Allocate tables first (in grain order), then grains after all of them: a simple valid layout.
  for (const { offset, data } of writes) {
    for (let at = offset; at < offset + data.length; at += SECTOR) {
      const grain = Math.floor(at / grainBytes);
      const table = Math.floor(grain / GTES);
      if (!tables.has(table)) {
        tables.set(table, new Uint32Array(GTES));
        gd[table] = next;
        next += (GTES * 4) / SECTOR;
      }
      let bytes = grains.get(grain);
      if (!bytes) grains.set(grain, (bytes = Buffer.alloc(grainBytes)));
      data.copy(bytes, at - grain * grainBytes, at - offset, at - offset + SECTOR);
    }
  }
  for (const grain of [...grains.keys()].sort((a, b) => a - b)) {
    tables.get(Math.floor(grain / GTES))![grain % GTES] = next;
    next += grainSize;
  }
  const out = Buffer.alloc(next * SECTOR);
  out.write('COWD', 0, 'latin1');
  out.writeUInt32LE(1, 4); // version
  out.writeUInt32LE(3, 8); // flags
  out.writeUInt32LE(capacitySectors, 12);
  out.writeUInt32LE(grainSize, 16);
  out.writeUInt32LE(4, 20); // grain directory offset
  out.writeUInt32LE(gdEntries, 24);
  out.writeUInt32LE(next, 28); // next free sector
  out.write(parentFileName, 32, 'latin1');
  gd.forEach((v, i) => out.writeUInt32LE(v, 4 * SECTOR + i * 4));
  for (const [table, gt] of tables) gt.forEach((v, i) => out.writeUInt32LE(v, gd[table]! * SECTOR + i * 4));
  for (const [grain, bytes] of grains) bytes.copy(out, tables.get(Math.floor(grain / GTES))![grain % GTES]! * SECTOR);
  fs.writeFileSync(file, out);
}
