import { LifeboatError } from '../contract/errors';
import type { FailoverMode, RecoveredVm } from '../contract/failover';
import type { Vm } from '../contract/hosts';
import type { StepFn } from '../drills/steps';
import type { Hypervisor, HypervReplicaOps } from '../hypervisors/types';

/** What the Hyper-V Replica steps need of the failover engine (a subset of its FailoverDeps). */
export interface ReplicaDeps {
  connect(hostId: string): Hypervisor;
  /** The replica pair of a VM replicated by Hyper-V itself; `primaryServer` is how the replica names the primary. */
  replicaFor(vm: Vm): { primaryServer: string } | null;
}

/** The host's Hyper-V Replica operations; a host without them cannot take part in a Hyper-V Replica failover. */
export function replicaOf(host: Hypervisor, hostId: string): HypervReplicaOps {
  if (host.replica) return host.replica;
  throw new LifeboatError('CONFLICT', `The host ${hostId} is not a Hyper-V host; Hyper-V Replica failover needs Hyper-V on both sides.`, {
    fix: "Check the plan's VMs and their replica hosts on the Virtual machines page.",
  });
}

/** Runs `work` with the Hyper-V Replica operations of a fresh connection to the host, and always closes it. */
export async function withHyperv<T>(
  deps: Pick<ReplicaDeps, 'connect'>,
  hostId: string,
  work: (replica: HypervReplicaOps) => Promise<T>,
): Promise<T> {
  const host = deps.connect(hostId);
  try {
    return await work(replicaOf(host, hostId));
  } finally {
    await host.close().catch(() => undefined);
  }
}

/**
 * A Hyper-V Replica VM home again: a planned failover in the other direction (prepare where it runs, fail
 * over and reverse at the original host). After an unplanned failover the replication must first run
 * backwards: the first failback starts that (initial copy) and says to come back when it is done.
 */
export async function replicaHome(
  vm: Vm,
  recovered: RecoveredVm,
  mode: FailoverMode,
  shutdownTimeoutSeconds: number,
  step: StepFn,
  deps: ReplicaDeps,
): Promise<void> {
  if (mode === 'unplanned') await reverseReplicationFirst(vm, recovered, step, deps);
  await step(
    `Shut down at ${recovered.site} and send the last changes (Hyper-V Replica)`,
    vm.name,
    () => withHyperv(deps, recovered.hostId!, (h) => h.prepareFailover(vm.externalId, shutdownTimeoutSeconds)),
    (r) => `Copy ${r.stopped}; replication ${r.replicationState}.`,
  );
  await step(
    `Start at ${vm.hostName}`,
    vm.name,
    () => withHyperv(deps, vm.hostId, (h) => h.plannedFailover(vm.externalId)),
    (r) => `${r.name} ${r.state}; replication ${r.replicationMode} ${r.replicationState}: back to ${recovered.site} as before.`,
  );
}

/** After an unplanned failover nothing replicates home yet: start that, and stop until Hyper-V has caught up. */
async function reverseReplicationFirst(vm: Vm, recovered: RecoveredVm, step: StepFn, deps: ReplicaDeps): Promise<void> {
  const stats = await step(
    `Check the replication back to ${vm.hostName}`,
    vm.name,
    () => withHyperv(deps, recovered.hostId!, (h) => h.measureReplication(vm.externalId)),
    (r) => `${r.mode}, ${r.state}, health ${r.health}.`,
  );
  if (stats.mode !== 'Primary') {
    const primary = deps.replicaFor(vm)?.primaryServer ?? vm.hostName;
    await step(
      `Reverse the replication towards ${vm.hostName}`,
      vm.name,
      () => withHyperv(deps, recovered.hostId!, (h) => h.reverseReplication(vm.externalId, primary)),
      (r) => `Replication ${r.replicationMode} ${r.replicationState}.`,
    );
  }
  if (stats.mode !== 'Primary' || stats.state !== 'Replicating') {
    throw new LifeboatError('CONFLICT', `Hyper-V is copying ${vm.name} back to ${vm.hostName} first (replication ${stats.state}).`, {
      fix: 'Fail back again once Hyper-V Manager shows its replication as Normal (state Replicating).',
    });
  }
}
