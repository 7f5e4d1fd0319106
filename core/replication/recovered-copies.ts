import type { Policy } from '../contract/protection';
import type { JobOutcome, JobRunContext } from '../jobs/queue';

/** Copies a failed-over VM's recovered copy into the policy's vault, as the VM itself. */
export type RecoveredCopy = (policy: Policy, run: JobRunContext) => Promise<JobOutcome>;

/**
 * While a plan is failed over, its VMs' copies must come from the recovered copies at the recovery site
 * (that is where the work happens), not from the stopped sources. The failover room knows the recovery
 * sites and provides this lookup; the replication room is built with it (a required argument, so the
 * protection room cannot exist without it) and asks it before every copy.
 *
 * Returns how to copy this VM while it is failed over, or null when it is not (or its copy cannot be read).
 */
export type RecoveredCopyOf = (vmId: string) => RecoveredCopy | null;
