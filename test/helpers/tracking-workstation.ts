import type { Extent } from '../../core/disks/types';
import { defaultProviders } from '../../core/hypervisors/registry';
import type { Hypervisor, HypervisorProvider } from '../../core/hypervisors/types';

/**
 * The Workstation provider plus change tracking, as VMware CBT gives it: the test records which ranges it
 * writes (with qemu-io) between runs, and the provider reports exactly those. Everything else is real: the
 * lab's VMDKs, the vault, the replication run.
 */
export function trackingWorkstation(changes: Map<string, Extent[]>): HypervisorProvider {
  const real = defaultProviders().workstation;
  let generation = 0;
  return {
    kind: 'workstation',
    connect(host) {
      const inner = real.connect(host);
      const wrapped: Hypervisor = Object.create(inner) as Hypervisor;
      wrapped.createCheckpoint = async (vmId, options) => {
        const checkpoint = await inner.createCheckpoint(vmId, options);
        generation++;
        return { ...checkpoint, disks: checkpoint.disks.map((d) => ({ ...d, changeId: `52 ab ${generation}` })) };
      };
      wrapped.changedAreas = async (_checkpoint, diskKey) => ({ kind: 'changes', extents: changes.get(diskKey) ?? [] });
      return wrapped;
    },
  };
}
