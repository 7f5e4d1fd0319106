import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { WriteFormat } from '../disks/types';
import { startQemuVm, type QemuVm } from './qemu-sandbox';
import type { DrillSandbox, SandboxVm, SandboxVmSpec } from './sandbox';

/** Every lab and test disk prints this on COM1 once it has booted (core/disks/marker-mbr.ts). */
export const BOOT_MARKER = 'LIFEBOAT-BOOT-OK';
/** A guest without the marker counts as booted when it is still running after this long. */
const BOOT_GRACE_SECONDS = 20;

const QEMU_FORMAT: Record<WriteFormat, 'raw' | 'vhdx' | 'vmdk'> = { raw: 'raw', vhdx: 'vhdx', vmdk: 'vmdk', 'vmdk-esxi': 'vmdk' };

/**
 * Drills in QEMU on this machine: works for every source hypervisor (QEMU reads VHDX and VMDK) and needs
 * nothing from production. Used for the sample lab, Workstation hosts, and wherever no hypervisor sandbox
 * is configured.
 */
export function qemuDrillSandbox(qemu: string, workDir: string, diskFormat: WriteFormat): DrillSandbox {
  return {
    isolation: 'QEMU sandbox on the Lifeboat machine: no network adapter (or, for TCP checks, a user network with outbound access blocked)',
    diskFormat,
    async boot(spec: SandboxVmSpec, signal: AbortSignal): Promise<SandboxVm> {
      signal.throwIfAborted();
      const vmDir = path.join(workDir, 'qemu', spec.name.replace(/[^\w.-]+/g, '_'));
      const vm = await startQemuVm(qemu, { name: spec.name, disks: spec.disks.map((file) => ({ file, format: QEMU_FORMAT[diskFormat] })), memoryMiB: spec.memoryMiB, firmware: spec.firmware, forwardPorts: spec.tcpPorts }, vmDir);
      return qemuSandboxVm(vm, spec.name, vmDir);
    },
  };
}

function qemuSandboxVm(vm: QemuVm, name: string, vmDir: string): SandboxVm {
  const started = performance.now();
  return {
    resources: [
      { kind: 'process', hostId: null, ref: { pid: vm.pid }, description: `QEMU sandbox process ${vm.pid} for ${name}` },
      { kind: 'path', hostId: null, ref: { path: vmDir }, description: `sandbox folder ${vmDir}` },
      { kind: 'path', hostId: null, ref: { path: vm.controlSocket }, description: `QEMU control socket ${vm.controlSocket}` },
    ],
    async checkBoot(timeoutSeconds, signal) {
      // A guest that writes nothing at all to its serial port within the grace period has no marker support
      // (a real Windows or Linux guest): still running then is the evidence, with the screenshot.
      const silent = new AbortController();
      const grace = setTimeout(() => {
        if (vm.serialOutput().length === 0) silent.abort();
      }, Math.min(timeoutSeconds, BOOT_GRACE_SECONDS) * 1000);
      try {
        const seconds = await vm.waitForSerial(BOOT_MARKER, timeoutSeconds * 1000, AbortSignal.any([signal, silent.signal]));
        return { status: 'passed', detail: `Boot marker seen on the serial console after ${seconds.toFixed(1)} s.` };
      } catch (error) {
        signal.throwIfAborted();
        if (silent.signal.aborted) {
          const elapsed = (performance.now() - started) / 1000;
          return { status: 'passed', detail: `The VM was still running ${elapsed.toFixed(0)} s after power-on (this guest prints no boot marker; see the screenshot).` };
        }
        return { status: 'failed', detail: (error as Error).message };
      } finally {
        clearTimeout(grace);
      }
    },
    async checkHeartbeat() {
      return { status: 'skipped', detail: 'QEMU has no guest integration services; the boot check and screenshot stand in.' };
    },
    async checkTcp(port, timeoutSeconds, signal) {
      const hostPort = vm.forwarded.get(port);
      if (!hostPort) return { status: 'failed', detail: `Port ${port} was not forwarded into the sandbox.` };
      const deadline = performance.now() + timeoutSeconds * 1000;
      let last = '';
      while (performance.now() < deadline) {
        signal.throwIfAborted();
        last = await probe(hostPort);
        if (last === 'open') return { status: 'passed', detail: `Port ${port} accepted a connection inside the sandbox.` };
        await new Promise((resolve) => setTimeout(resolve, 1000)); // the guest's service may still be starting
      }
      return { status: 'failed', detail: `Port ${port} did not accept a connection within ${timeoutSeconds} s (${last}).` };
    },
    async runScript() {
      return { status: 'skipped', detail: 'In-guest scripts need Hyper-V PowerShell Direct or VMware guest operations; the QEMU sandbox has neither.' };
    },
    async screenshot(file) {
      await vm.screenshot(file);
      return fs.existsSync(file);
    },
    stop: () => vm.stop(),
    async remove() {
      await vm.stop();
      fs.rmSync(vmDir, { recursive: true, force: true });
    },
    async isGone() {
      let alive = true;
      try {
        process.kill(vm.pid, 0);
      } catch {
        alive = false;
      }
      return !alive && !fs.existsSync(vmDir);
    },
  };
}

function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (result: string): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(3000, () => done('timed out'));
    // QEMU's forwarder accepts on the host side even when the guest refuses; a reset right away means closed.
    socket.once('connect', () => socket.once('data', () => done('open')).once('close', () => done('refused by the guest')).setTimeout(1500, () => done('open')));
    socket.once('error', (error) => done(error.message));
  });
}
