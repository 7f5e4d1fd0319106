import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { qemuDrillSandbox } from '../../core/drills/qemu-drill-sandbox';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { DRILL_GUEST_READY, drillGuestDisk } from '../helpers/drill-guest';
import { tempDir } from '../helpers/temp';

// On this machine kind /dev/kvm opens but QEMU stops with "KVM internal error" once a real kernel runs: the
// drill must notice, start the VM again under TCG and say so. On a host whose KVM works the guest simply boots.
const qemu = findQemu();

describe.skipIf(!qemu || !fs.existsSync('/dev/kvm'))('a KVM that exists but cannot run the guest', () => {
  it('does not sink the drill: the real guest boots, under TCG if KVM failed, and the check says which', async () => {
    const dir = tempDir();
    const disk = drillGuestDisk('vmdk', dir);
    const forced = process.env.LIFEBOAT_QEMU_ACCEL;
    process.env.LIFEBOAT_QEMU_ACCEL = 'kvm'; // try KVM even where an earlier run found it unusable
    const sandbox = qemuDrillSandbox(qemu!, path.join(dir, 'work'), 'vmdk');
    const vm = await sandbox.boot({ name: 'kvm-probe', key: 'kvm-probe', disks: [disk], memoryMiB: 256, cpus: 1, firmware: 'bios', tcpPorts: [] }, new AbortController().signal);
    try {
      const boot = await vm.checkBoot(180, new AbortController().signal, { readyText: DRILL_GUEST_READY });
      expect(boot.status, boot.detail).toBe('passed');
      const pid = (vm.resources.find((r) => r.kind === 'process')!.ref as { pid: number }).pid;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (boot.detail.includes('restarted under software emulation (TCG)')) expect(cmdline).toContain('pc,accel=tcg');
      else expect(cmdline).toContain('pc,accel=kvm:tcg');
    } finally {
      if (forced === undefined) delete process.env.LIFEBOAT_QEMU_ACCEL;
      else process.env.LIFEBOAT_QEMU_ACCEL = forced;
      await vm.remove();
    }
    expect(await vm.isGone()).toBe(true);
  }, 240_000);
});
