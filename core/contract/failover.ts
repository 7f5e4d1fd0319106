import { z } from 'zod';
import { method } from './define';
import type { Drill, DrillStep } from './drills';

/**
 * Real failover and failback. A failover is recorded like a drill (same record, timed steps and evidence;
 * kind 'planned' | 'unplanned' | 'failback'), so the Drills page, the report and the audit trail read it the
 * same way. What a drill does not have is state: a plan that failed over stays failed over until failback.
 */
export type FailoverMode = 'planned' | 'unplanned';

/** One VM running at the recovery site. */
export interface RecoveredVm {
  vmId: string;
  vm: string;
  /** The recovery site: a registered host, or null for this machine's QEMU standby. */
  hostId: string | null;
  /** Where it runs, in words ("this machine (QEMU standby)", a host name). */
  site: string;
  /** The site's id of the recovered VM (QEMU standby folder, Hyper-V VM id, vSphere moref). */
  recoveryVmId: string;
  /** The point it was started from. */
  pointId: string;
  pointTime: string;
  /** Recovery networks its adapters were connected to (from the plan's network mapping). */
  networks: string[];
  /** The disks' names in the recovery point, boot disk first (the failback copy keeps them). */
  diskNames: string[];
  /** Hyper-V Replica: the VM was failed over by Hyper-V itself (no vault restore). */
  replica: boolean;
}

export interface PlanFailoverState {
  planId: string;
  plan: string;
  mode: FailoverMode;
  /** The failover record that put the plan in this state. */
  failoverId: string;
  since: string;
  vms: RecoveredVm[];
}

/** The CLI's and scripts' summary of a failover or failback. */
export interface FailoverSummary {
  id: string;
  status: Drill['status'];
  mode: FailoverMode | 'failback';
  vms: { name: string; status: 'passed' | 'unverified' | 'failed'; pointTime: string; host: string }[];
  rpoSeconds: number | null;
  rtoSeconds: number | null;
}

const confirm = z.string().max(200);

export const failoverMethods = {
  startFailover: method(
    'Fail a plan over for real: planned (shut the sources down, copy their last changes, start them at the recovery site) or unplanned (the sources are lost: start the latest points). `confirm` must equal the plan name. Returns at once; follow it by its id.',
    z.object({
      planId: z.string().min(1),
      mode: z.enum(['planned', 'unplanned']),
      confirm,
      /** Unplanned only: start from these points instead of the plan's choice (e.g. before a ransomware infection). */
      points: z
        .discriminatedUnion('kind', [
          z.object({ kind: z.literal('latest') }),
          z.object({ kind: z.literal('latest-app-consistent') }),
          z.object({ kind: z.literal('at'), time: z.iso.datetime({ offset: true }) }),
        ])
        .optional(),
      /** Seconds to wait for a guest shutdown before the VM is turned off. */
      shutdownTimeoutSeconds: z.number().int().min(0).max(3600).default(300),
      notes: z.string().max(5000).nullable().default(null),
    }),
  )
    .returns<{ failoverId: string }>()
    .changes('drills', 'jobs'),
  startFailback: method(
    'Bring a failed-over plan home: copy the recovered VMs back into the vault, shut them down, restore their newest point onto the original hosts, start them there and remove the recovery copies. `confirm` must equal the plan name.',
    z.object({
      planId: z.string().min(1),
      confirm,
      shutdownTimeoutSeconds: z.number().int().min(0).max(3600).default(300),
      notes: z.string().max(5000).nullable().default(null),
    }),
  )
    .returns<{ failoverId: string }>()
    .changes('drills', 'jobs'),
  listFailovers: method(
    'Failovers and failbacks, newest first.',
    z.object({ limit: z.number().int().min(1).max(10_000).default(100) }).default({ limit: 100 }),
  )
    .returns<Drill[]>()
    .reads('drills'),
  getFailover: method('A failover or failback with its timed steps.', z.object({ id: z.string().min(1) }))
    .returns<Drill & { steps: DrillStep[] }>()
    .reads('drills'),
  listFailoverStates: method('Plans that are failed over now, with where each VM runs.', z.object({}).default({}))
    .returns<PlanFailoverState[]>()
    .reads('drills', 'plans'),
};
