import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskWriter, fileResolver, openDisk } from '../../core/disks';
import { chsGeometry } from '../../core/disks/vhd-fixed-writer';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;

function qemu(args: string[]): string {
  const result = spawnSync('qemu-img', args, { encoding: 'utf8' });
  expect(result.status, result.stdout + result.stderr).toBe(0);
  return result.stdout;
}

describe('fixed VHD writer (the format Azure imports)', () => {
  it('rounds the size up to a whole MiB, ends in a valid footer, and holds the same bytes as the source', async () => {
    const dir = tempDir();
    const size = 10 * MiB + 4096; // not a whole MiB: Azure would refuse it as is
    const source = path.join(dir, 'source.img');
    fs.writeFileSync(source, Buffer.alloc(0));
    fs.truncateSync(source, size);
    const pattern = Buffer.alloc(64 * 1024, 0x5a);
    const fd = fs.openSync(source, 'r+');
    fs.writeSync(fd, pattern, 0, pattern.length, 0);
    fs.writeSync(fd, pattern, 0, pattern.length, 7 * MiB + 512);
    fs.writeSync(fd, pattern.subarray(0, 4096), 0, 4096, size - 4096);
    fs.closeSync(fd);

    const out = path.join(dir, 'disk.vhd');
    const writer = await createDiskWriter('vhd-fixed', out, size);
    const reader = await openDisk(source, fileResolver);
    for (const extent of await reader.extents()) await writer.write(extent.offset, await reader.read(extent.offset, extent.length));
    await reader.close();
    await writer.close();

    // qemu recognises a fixed VHD only when told (its probe looks for the cookie at the start, where only dynamic
    // VHDs have it), and takes the footer's current size, as Hyper-V and Azure do, only for creators it knows.
    const vpc = `driver=vpc,force_size_calc=current_size,file.filename=${out}`;
    const info = JSON.parse(qemu(['info', '--output=json', '--image-opts', vpc])) as { format: string; 'virtual-size': number };
    expect(info).toMatchObject({ format: 'vpc', 'virtual-size': 11 * MiB });
    expect(fs.statSync(out).size).toBe(11 * MiB + 512); // fixed: data, then the 512-byte footer
    const footer = fs.readFileSync(out).subarray(11 * MiB);
    expect(footer.toString('latin1', 0, 8)).toBe('conectix');
    expect(footer.readUInt32BE(60)).toBe(2); // disk type: fixed
    qemu(['compare', '--image-opts', `driver=raw,file.filename=${source}`, vpc]); // the MiB tail reads as zeros
    // Holes stay holes: only what was written takes space.
    expect(fs.statSync(out).blocks * 512).toBeLessThan(2 * MiB);

    // Lifeboat's own VHD reader takes it back.
    const back = await openDisk(out, fileResolver);
    expect(back).toMatchObject({ format: 'vhd', virtualSize: 11 * MiB });
    expect((await back.read(7 * MiB + 512, 16)).equals(pattern.subarray(0, 16))).toBe(true);
    await back.close();
  });

  it('computes the geometry of the specification appendix', () => {
    expect(chsGeometry(11 * MiB)).toEqual({ cylinders: 331, heads: 4, sectorsPerTrack: 17 });
    expect(chsGeometry(127 * 1024 * MiB)).toEqual({ cylinders: 65278, heads: 16, sectorsPerTrack: 255 });
    expect(chsGeometry(2040 * 1024 * MiB)).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 }); // the cap
  });
});
