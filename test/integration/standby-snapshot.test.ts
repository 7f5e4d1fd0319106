import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { findQemu } from '../../core/drills/qemu-sandbox';
import {
  connectQmp,
  removeStandby,
  shutDownStandby,
  standbyControlSocket,
  standbyRunning,
  startStandbyVm,
} from '../../core/failover/qemu-standby';
import { commitLeftoverOverlays, freezeStandbyDisks, overlayOf, thawStandbyDisks } from '../../core/failover/standby-snapshot';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, offset);
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

/** A running standby VM with two raw disks, and writes into them as its guest would make (QEMU's qemu-io). */
async function runningStandby() {
  const dir = tempDir();
  const disks = ['boot.raw', 'data.raw'].map((name) => path.join(dir, name));
  fs.writeFileSync(disks[0]!, Buffer.concat([markerBootSector('LIFEBOAT-BOOT-OK standby'), Buffer.alloc(8 * MiB - 512)]));
  fs.writeFileSync(disks[1]!, Buffer.alloc(8 * MiB));
  const folder = path.join(dir, 'standby');
  await startStandbyVm(findQemu()!, folder, {
    name: 'lifeboat-recovered-snapshot-test',
    disks,
    memoryMiB: 64,
    firmware: 'bios',
    networks: [],
  });
  onTestFinished(() => removeStandby(folder));
  const qmp = await connectQmp(standbyControlSocket(folder)!);
  onTestFinished(() => qmp.close());
  const guestWrite = (drive: string, pattern: number, offset: string) =>
    qmp.execute('human-monitor-command', { 'command-line': `qemu-io ${drive} "write -P ${pattern} ${offset} 64k"` });
  return { folder, disks, qmp, guestWrite };
}

describe('consistent points of a running standby VM (real QEMU, QMP)', () => {
  it('freezes every disk at one instant, keeps the VM running, and merges what it wrote meanwhile back', async () => {
    const { folder, disks, qmp, guestWrite } = await runningStandby();
    await guestWrite('disk1', 0x11, '1M');
    await freezeStandbyDisks(qmp, disks);
    for (const disk of disks) expect(fs.existsSync(overlayOf(disk))).toBe(true);
    // Written after the freeze: goes to the overlay, so the raw file a copy reads stays as it was.
    await guestWrite('disk1', 0x22, '2M');
    await guestWrite('disk0', 0x33, '3M');
    expect(readAt(disks[1]!, 1 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024, 0x11))).toBe(true);
    expect(readAt(disks[1]!, 2 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024))).toBe(true);
    expect(readAt(disks[0]!, 3 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024))).toBe(true);

    await thawStandbyDisks(qmp, disks);
    expect(standbyRunning(folder)).toBe(true);
    expect(readAt(disks[1]!, 2 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024, 0x22))).toBe(true);
    expect(readAt(disks[0]!, 3 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024, 0x33))).toBe(true);
    for (const disk of disks) expect(fs.existsSync(overlayOf(disk))).toBe(false);
    // Writes go to the raw files again, and a second thaw has nothing to do.
    await guestWrite('disk1', 0x44, '4M');
    expect(readAt(disks[1]!, 4 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024, 0x44))).toBe(true);
    await thawStandbyDisks(qmp, disks);
  }, 60_000);

  it('merges overlays a crash left behind: on the next freeze while running, or offline once the VM is stopped', async () => {
    const { folder, disks, qmp, guestWrite } = await runningStandby();
    await freezeStandbyDisks(qmp, disks);
    await guestWrite('disk1', 0x55, '5M');
    // Lifeboat died here. The next freeze merges first, so the new point holds the earlier write.
    await freezeStandbyDisks(qmp, disks);
    expect(readAt(disks[1]!, 5 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024, 0x55))).toBe(true);
    await guestWrite('disk1', 0x66, '6M');
    // Died again, and the VM was stopped (failback shuts it down before copying its disks).
    qmp.close();
    await shutDownStandby(folder, 0);
    expect(readAt(disks[1]!, 6 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024))).toBe(true);
    commitLeftoverOverlays(disks);
    expect(readAt(disks[1]!, 6 * MiB, 64 * 1024).equals(Buffer.alloc(64 * 1024, 0x66))).toBe(true);
    for (const disk of disks) expect(fs.existsSync(overlayOf(disk))).toBe(false);
  }, 60_000);
});
