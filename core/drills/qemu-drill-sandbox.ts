import fs from 'node:fs';
import path from 'node:path';
import type { WriteFormat } from '../disks/types';
import { watchBoot, type BootConsole } from './boot-watch';
import { probeTcp } from './tcp-probe';
import { markKvmBroken, startQemuVm, type QemuVm, type QemuVmSpec } from './qemu-sandbox';
import type { BootCheckOptions, CheckResult, DrillSandbox, SandboxVm, SandboxVmSpec } from './sandbox';
import { wait } from './steps';

export { BOOT_MARKER } from './boot-evidence';

const QEMU_FORMAT: Record<WriteFormat, 'raw' | 'vhdx' | 'vmdk' | 'vpc'> = {
  raw: 'raw',
  vhdx: 'vhdx',
  vmdk: 'vmdk',
  'vmdk-esxi': 'vmdk',
  'vhd-fixed': 'vpc',
};

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
      const vmDir = path.join(workDir, 'qemu', spec.key ?? spec.name.replace(/[^\w.-]+/g, '_'));
      const qemuSpec: QemuVmSpec = {
        name: spec.name,
        disks: spec.disks.map((file) => ({ file, format: QEMU_FORMAT[diskFormat] })),
        memoryMiB: spec.memoryMiB,
        firmware: spec.firmware,
        forwardPorts: spec.tcpPorts,
      };
      const vm = await startQemuVm(qemu, qemuSpec, vmDir);
      return qemuSandboxVm(vm, { qemu, spec: qemuSpec, vmDir, name: spec.name });
    },
  };
}

interface Restart {
  qemu: string;
  spec: QemuVmSpec;
  vmDir: string;
  name: string;
}

function qemuSandboxVm(first: QemuVm, restart: Restart): SandboxVm {
  let vm = first;
  let poweredOn = performance.now();
  const { vmDir, name } = restart;
  const bootConsole = (): BootConsole => ({
    serial: () => vm.serialOutput(),
    screen: () => vm.screenText(),
    exitStatus: () => vm.exitStatus(),
    kvmFailed: () => vm.kvmFailed(),
    poweredOn: () => poweredOn,
  });

  return {
    get resources() {
      return [
        { kind: 'process' as const, hostId: null, ref: { pid: vm.pid }, description: `QEMU sandbox process ${vm.pid} for ${name}` },
        { kind: 'path' as const, hostId: null, ref: { path: vmDir }, description: `sandbox folder ${vmDir}` },
        { kind: 'path' as const, hostId: null, ref: { path: vm.controlSocket }, description: `QEMU control socket ${vm.controlSocket}` },
      ];
    },
    get address() {
      return vm.forwarded.size ? { host: '127.0.0.1', ports: Object.fromEntries(vm.forwarded) } : null;
    },
    checkBoot(timeoutSeconds: number, signal: AbortSignal, options?: BootCheckOptions): Promise<CheckResult> {
      return watchBoot(bootConsole(), {
        timeoutSeconds,
        signal,
        readyText: options?.readyText ?? null,
        restartUnderTcg: async () => {
          // A KVM that opens but cannot run the guest: later VMs of this process skip it.
          markKvmBroken();
          await vm.stop();
          vm = await startQemuVm(restart.qemu, { ...restart.spec, accel: 'tcg' }, vmDir);
          poweredOn = performance.now();
          return bootConsole();
        },
      });
    },
    async checkHeartbeat() {
      return {
        status: 'skipped',
        detail: 'QEMU has no guest integration services, so there is no heartbeat to read.',
        fix: "Use a TCP check or the boot check's readiness text in QEMU drills.",
      };
    },
    async checkTcp(port, timeoutSeconds, signal) {
      const hostPort = vm.forwarded.get(port);
      if (!hostPort) return { status: 'failed', detail: `Port ${port} was not forwarded into the sandbox.` };
      const deadline = performance.now() + timeoutSeconds * 1000;
      let last = await probeTcp(hostPort, port);
      while (last.state !== 'answered' && performance.now() < deadline) {
        await wait(1000, signal); // the guest's service may still be starting
        last = await probeTcp(hostPort, port);
      }
      if (last.state === 'answered')
        return {
          status: 'passed',
          detail: `Port ${port} answered inside the sandbox: "${last.answer.split('\n')[0]}".`,
          evidence: [{ kind: 'tcp-answer', text: last.answer }],
        };
      if (last.state === 'silent') {
        return {
          status: 'unverified',
          detail: `Port ${port} accepted a connection but sent nothing back within ${timeoutSeconds} s; QEMU's port forwarder accepts on its own, so that does not prove the guest answered.`,
          fix: `Check a port whose service speaks first or answers HTTP (web, SSH, SMTP), or add an in-guest check.`,
        };
      }
      return {
        status: 'failed',
        detail: `Port ${port} did not answer within ${timeoutSeconds} s (${last.state === 'refused' ? 'the guest refused the connection' : last.message}).`,
        fix: `Check that the service on port ${port} starts by itself when the VM boots.`,
      };
    },
    async runScript() {
      return {
        status: 'skipped',
        detail: 'In-guest scripts need Hyper-V PowerShell Direct or VMware guest operations; the QEMU sandbox has neither.',
        fix: "Use a TCP check in QEMU drills, or drill on the VM's own hypervisor.",
      };
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
