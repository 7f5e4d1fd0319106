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

describe.skipIf(!qemu)('the drill guest in the QEMU sandbox', () => {
  it.skipIf(!fs.existsSync('/dev/kvm'))(
    'does not sink the drill: the real guest boots, under TCG if KVM failed, and the check says which',
    async () => {
      const dir = tempDir();
      const disk = drillGuestDisk('vmdk', dir);
      const forced = process.env.LIFEBOAT_QEMU_ACCEL;
      process.env.LIFEBOAT_QEMU_ACCEL = 'kvm'; // try KVM even where an earlier run found it unusable
      const sandbox = qemuDrillSandbox(qemu!, path.join(dir, 'work'), 'vmdk');
      const vm = await sandbox.boot(
        { name: 'kvm-probe', key: 'kvm-probe', disks: [disk], memoryMiB: 256, cpus: 1, firmware: 'bios', tcpPorts: [] },
        new AbortController().signal,
      );
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
    },
    240_000,
  );

  it.each(['raw', 'vhdx'] as const)(
    'boots the real guest restored as %s and hears it answer HTTP',
    async (format) => {
      const dir = tempDir();
      const disk = drillGuestDisk(format, dir);
      const vm = await qemuDrillSandbox(qemu!, path.join(dir, 'work'), format).boot(
        { name: `format-${format}`, key: `format-${format}`, disks: [disk], memoryMiB: 256, cpus: 1, firmware: 'bios', tcpPorts: [80] },
        new AbortController().signal,
      );
      try {
        const boot = await vm.checkBoot(180, new AbortController().signal, { readyText: DRILL_GUEST_READY });
        expect(boot.status, boot.detail).toBe('passed');
        const http = await vm.checkTcp(80, 60, new AbortController().signal);
        expect(http.status, http.detail).toBe('passed');
        expect(http.evidence?.[0]?.text).toMatch(/^HTTP\/1\.[01] 200 OK[\s\S]*drill guest OK/);
      } finally {
        await vm.remove();
      }
    },
    240_000,
  );
});
