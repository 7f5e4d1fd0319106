import { z } from 'zod';
import { method } from './define';
import type { DrillKind, DrillStatus } from './drills';
import type { ErrorBody } from './errors';
import type { HostKind, Vm } from './hosts';

/**
 * Restores started by a person from a VM's page: one disk of a recovery point to a file, a point as a new
 * VM on a host, or a point written over the VM itself. Everything is named by id (VM, point, host); the
 * name a user types is only the new VM's display name. Each restore is a job: follow job.progress /
 * job.finished under its jobId, then read the outcome (with the fix when it failed) from getRestore.
 */
export type PointConsistency = 'app-consistent' | 'crash-consistent' | 'powered-off';

/** A drill or failover that started a VM from this point, with what it proved. */
export interface PointDrill {
  drillId: string;
  plan: string;
  kind: DrillKind;
  /** The drill's verdict for this VM (not the whole drill's). */
  status: DrillStatus;
  startedAt: string;
}

export interface VmPoint {
  id: string;
  time: string;
  targetId: string;
  /** The vault it lives in, by its name in Settings; null when the target was removed. */
  targetName: string | null;
  consistency: PointConsistency;
  /** Virtual size of the VM's disks. */
  sizeBytes: number;
  /** New bytes this point added to the vault. */
  storedBytes: number;
  /** Disk names as the point holds them (what restoreDiskToFile takes), boot disk first. */
  disks: { name: string; sizeBytes: number | null }[];
  drills: PointDrill[];
}

/** Whether an action is possible for this VM here, and in plain words why not. */
export interface Possible {
  ok: boolean;
  reason: string | null;
}

export interface VmRecovery {
  vm: Vm;
  /** Newest first. */
  points: VmPoint[];
  /** The format restored disks are written in: the VM's hypervisor's own (VHDX for Hyper-V, VMDK for VMware). */
  diskFormat: 'vhdx' | 'vmdk';
  /** Where a restored disk file goes unless the user gives a folder. */
  defaultFolder: string;
  /** Hosts a point of this VM can be registered on as a new VM (same hypervisor family), its own host first. */
  newVmHosts: { hostId: string; name: string; kind: HostKind; possible: Possible }[];
  /** Restoring over the VM itself: needs its disks writable from here and the VM turned off. */
  overOriginal: Possible;
}

export type RestoreKind = 'disk' | 'new-vm' | 'over-original';

export interface RestoreOutcome {
  jobId: string;
  kind: RestoreKind;
  vmId: string;
  pointId: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  /** disk: the file written. */
  file: string | null;
  /** new-vm: the VM registered (its catalog id once discovery listed it). */
  newVm: { vmId: string | null; name: string; hostId: string; hostName: string; configPath: string | null } | null;
  /** What was written, in words ("2 VMDK disks, 96 MiB"). */
  summary: string | null;
  error: ErrorBody | null;
}

const id = (what: string) => z.string().trim().min(1, `Give the ${what}.`).max(200);

export const restoreMethods = {
  getVmRecovery: method(
    'A VM with its recovery points (newest first, with the drills that used each) and what can be restored where.',
    z.object({ vmId: id('VM id') }),
  )
    .returns<VmRecovery>()
    .reads('vms', 'hosts', 'points', 'drills', 'jobs'),
  restoreDiskToFile: method(
    "Restore one disk of a recovery point to a new file in the VM's hypervisor format (VHDX or VMDK). The file is named from the VM's and point's ids and never overwrites anything. Returns at once; follow it by its job id.",
    z.object({
      vmId: id('VM id'),
      pointId: id('recovery point id'),
      disk: id('disk name'),
      folder: z.string().trim().min(1).max(1000).optional(),
    }),
  )
    .returns<{ jobId: string; file: string }>()
    .changes('jobs'),
  restoreVmAsNew: method(
    'Restore a recovery point as a new VM with a new name, registered powered off and without a network connection on a host (by default the VM’s own). Returns at once.',
    z.object({
      vmId: id('VM id'),
      pointId: id('recovery point id'),
      name: z.string().trim().min(1, 'Give the new VM a name.').max(80),
      hostId: z.string().trim().min(1).optional(),
    }),
  )
    .returns<{ jobId: string }>()
    .changes('jobs'),
  restoreVmOverOriginal: method(
    "Write a recovery point over the VM's own disks (everything written since is lost). The VM must be off; `confirm` must equal the VM's name. Returns at once.",
    z.object({ vmId: id('VM id'), pointId: id('recovery point id'), confirm: z.string().max(200) }),
  )
    .returns<{ jobId: string }>()
    .changes('jobs'),
  getRestore: method(
    'A restore started from a VM’s page: running, or how it ended (with the fix when it failed).',
    z.object({ jobId: id('job id') }),
  )
    .returns<RestoreOutcome>()
    .reads('jobs'),
};
