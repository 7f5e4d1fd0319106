import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskWriter } from '../../core/disks';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { findQemu, startQemuVm } from '../../core/drills/qemu-sandbox';
import { tempDir } from '../helpers/temp';

const qemu = findQemu();

async function markerDisk(dir: string, format: 'vmdk' | 'vhdx', message: string): Promise<string> {
  const file = path.join(dir, `boot.${format}`);
  const writer = await createDiskWriter(format, file, 8 * 1024 * 1024);
  await writer.write(0, markerBootSector(message));
  await writer.close();
  return file;
}

describe.skipIf(!qemu)('QEMU sandbox', () => {
  it('boots a restored disk without a network, sees the serial marker, takes a screenshot, and stops', async () => {
    const dir = tempDir();
    const disk = await markerDisk(dir, 'vmdk', 'LIFEBOAT-BOOT-OK lab-web01');
    const vm = await startQemuVm(
      qemu!,
      { name: 'drill-web01', disks: [{ file: disk, format: 'vmdk' }], memoryMiB: 64, firmware: 'bios', forwardPorts: [] },
      path.join(dir, 'work'),
    );
    expect(vm.isolation).toContain('no network adapter');
    const seconds = await vm.waitForSerial('LIFEBOAT-BOOT-OK lab-web01', 60_000, new AbortController().signal);
    expect(seconds).toBeGreaterThan(0);
    const shot = path.join(dir, 'evidence', 'web01.png');
    await vm.screenshot(shot);
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    await vm.stop();
    expect(() => process.kill(vm.pid, 0)).toThrow();
  });

  it('reports a disk that never boots, and an abort, without leaving QEMU running', async () => {
    const dir = tempDir();
    const blank = path.join(dir, 'blank.raw');
    fs.writeFileSync(blank, Buffer.alloc(1024 * 1024));
    const vm = await startQemuVm(
      qemu!,
      { name: 'drill-blank', disks: [{ file: blank, format: 'raw' }], memoryMiB: 64, firmware: 'bios', forwardPorts: [] },
      path.join(dir, 'work'),
    );
    const controller = new AbortController();
    const waiting = vm.waitForSerial('LIFEBOAT-BOOT-OK', 120_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(vm.waitForSerial('LIFEBOAT-BOOT-OK', 1500, new AbortController().signal)).rejects.toMatchObject({
      message: expect.stringContaining('did not print'),
    });
    await vm.stop();
    expect(() => process.kill(vm.pid, 0)).toThrow();
  });
});
