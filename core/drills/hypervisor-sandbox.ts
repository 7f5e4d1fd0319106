import type { WriteFormat } from '../disks/types';
import type { Hypervisor } from '../hypervisors/types';
import type { CheckResult, DrillSandbox, SandboxVm, SandboxVmSpec } from './sandbox';

export interface HypervisorSandboxOptions {
  hypervisor: Hypervisor;
  hostId: string;
  diskFormat: WriteFormat;
  /** Hyper-V: the private switch drills use; null: the VM gets no network adapter at all. */
  isolatedNetwork: string | null;
  /**
   * Makes restored files visible to the host: Hyper-V on this machine reads them where they are; a vSphere
   * host needs them uploaded to a datastore. Returns the host's names for them and how to remove them.
   */
  stage(files: string[], vmName: string, signal: AbortSignal): Promise<{ hostPaths: string[]; remove(): Promise<void> }>;
  /** Seconds between heartbeat polls of the host. */
  pollSeconds?: number;
}

/**
 * Drills on the production hypervisor, isolated: Hyper-V VMs with no adapter or on a private switch, vSphere
 * VMs with no NIC. The VM is created powered off from the restored disks, started, watched through the
 * host's heartbeat (integration services / VMware Tools), then turned off and deleted.
 */
export function hypervisorDrillSandbox(options: HypervisorSandboxOptions): DrillSandbox {
  const { hypervisor, isolatedNetwork } = options;
  const poll = (options.pollSeconds ?? 5) * 1000;
  return {
    isolation: isolatedNetwork ? `isolated network "${isolatedNetwork}" (private switch: no route to production)` : 'no network adapter',
    diskFormat: options.diskFormat,
    async boot(spec: SandboxVmSpec, signal: AbortSignal): Promise<SandboxVm> {
      const staged = await options.stage(spec.disks, spec.name, signal);
      const created = await hypervisor.createIsolatedVm({
        name: spec.name,
        cpus: spec.cpus,
        memoryMiB: spec.memoryMiB,
        firmware: spec.firmware,
        disks: staged.hostPaths,
        ...(isolatedNetwork ? { isolatedNetwork } : {}),
      });
      await hypervisor.powerOn(created.vmId);
      return hostSandboxVm(hypervisor, options.hostId, created.vmId, `drill VM ${created.name}`, poll, signal, async () => {
        await hypervisor.powerOff(created.vmId, { hard: true }).catch(() => undefined);
        await hypervisor.removeVm(created.vmId);
        await staged.remove();
      });
    },
    close: () => hypervisor.close(),
  };
}

/**
 * Checks and evidence of a VM on a hypervisor, read through the host: boot and heartbeat from integration
 * services / VMware Tools. Drills use it for their isolated VMs, real failovers for VMs started on a host.
 */
export function hostSandboxVm(hypervisor: Hypervisor, hostId: string, vmId: string, description: string, poll: number, signal: AbortSignal, remove: () => Promise<void>): SandboxVm {
  const heartbeatUntil = async (accept: (state: string) => boolean, timeoutSeconds: number): Promise<string> => {
    const deadline = performance.now() + timeoutSeconds * 1000;
    let state = await hypervisor.heartbeat(vmId);
    while (!accept(state) && performance.now() < deadline) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, poll)); // the host is polled, as its own console does
      state = await hypervisor.heartbeat(vmId);
    }
    return state;
  };
  return {
    resources: [{ kind: 'vm', hostId, ref: { vmId }, description }],
    async checkBoot(timeoutSeconds): Promise<CheckResult> {
      const state = await heartbeatUntil((s) => s === 'ok' || s === 'degraded' || s === 'not-installed', timeoutSeconds);
      if (state === 'ok' || state === 'degraded') return { status: 'passed', detail: `The guest answered its heartbeat (${state}).` };
      if (state === 'not-installed') return { status: 'passed', detail: 'The VM is running; it has no integration services, so its heartbeat cannot be read.' };
      return { status: 'failed', detail: `No guest heartbeat within ${timeoutSeconds} s (last state: ${state}).` };
    },
    async checkHeartbeat(timeoutSeconds): Promise<CheckResult> {
      const state = await heartbeatUntil((s) => s === 'ok', timeoutSeconds);
      return state === 'ok' ? { status: 'passed', detail: 'Guest heartbeat OK.' } : { status: 'failed', detail: `Guest heartbeat ${state} after ${timeoutSeconds} s.` };
    },
    async checkTcp(port): Promise<CheckResult> {
      return { status: 'skipped', detail: `Port ${port}: the VM is on a network Lifeboat cannot reach by design; use an in-guest script check.` };
    },
    async runScript(): Promise<CheckResult> {
      return { status: 'skipped', detail: 'In-guest scripts are not available through this host connection yet.' };
    },
    async screenshot(): Promise<boolean> {
      return false;
    },
    async stop() {
      await hypervisor.powerOff(vmId, { hard: true });
    },
    remove,
    async isGone() {
      return !(await hypervisor.listVms()).some((listed) => listed.externalId === vmId);
    },
  };
}
