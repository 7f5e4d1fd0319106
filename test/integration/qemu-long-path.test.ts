import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskWriter } from '../../core/disks';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { findQemu, startQemuVm } from '../../core/drills/qemu-sandbox';
import { tempDir } from '../helpers/temp';

const qemu = findQemu();

describe.skipIf(!qemu)('QEMU sandbox under a deep data folder', () => {
  it('boots although the work folder is too deep for a unix socket path, and leaves no socket folder behind', async () => {
    const dir = tempDir();
    const disk = path.join(dir, 'boot.vmdk');
    const writer = await createDiskWriter('vmdk', disk, 8 * 1024 * 1024);
    await writer.write(0, markerBootSector('LIFEBOAT-BOOT-OK deep'));
    await writer.close();
    // Like <data>/drills/<drill uuid>/qemu/lifeboat-drill-<vm>: well over the 107-byte limit of sun_path.
    const workDir = path.join(dir, 'drills', '90b4b761-dae2-4628-81af-d8ff6bb38ae0', 'qemu', 'lifeboat-drill-lab-files01-with-a-long-name');
    expect(path.join(workDir, 'qmp.sock').length).toBeGreaterThan(107);
    const before = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('lb-qmp-')).length;
    const vm = await startQemuVm(qemu!, { name: 'deep', disks: [{ file: disk, format: 'vmdk' }], memoryMiB: 64, firmware: 'bios', forwardPorts: [] }, workDir);
    expect(await vm.waitForSerial('LIFEBOAT-BOOT-OK deep', 60_000, new AbortController().signal)).toBeGreaterThan(0);
    await vm.screenshot(path.join(dir, 'deep.png'));
    expect(fs.readFileSync(path.join(dir, 'deep.png')).subarray(1, 4).toString()).toBe('PNG');
    await vm.stop();
    expect(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('lb-qmp-')).length).toBe(before);
  });
});
