import { DEFAULT_COPY_RETRIES } from '../contract/types';
import type { ConsoleApi, MethodParsedInput } from '../contract/api';
import { jobKeys } from '../jobs/keys';
import { LifeboatError } from '../contract/errors';
import type { Job, Policy } from '../contract/protection';
import { CronSchedule } from '../schedule/cron';
import { bandwidthLimitAt } from '../schedule/bandwidth';
import { evaluateRpo } from '../schedule/rpo';
import { Scheduler } from '../schedule/scheduler';
import type { RoomDeps } from '../service-context';
import { AlertsStore } from '../store/alerts';
import { FailoverStateStore } from '../store/failovers';
import { PlansStore } from '../store/plans';
import { JobsStore } from '../store/jobs';
import { PoliciesStore, type PolicyFields } from '../store/policies';
import { RecoveryPointsStore } from '../store/recovery-points';
import { VmsStore } from '../store/vms';
import { replicateVm, type ReplicationDeps } from './run';
import { openVaultPort, type VaultPortDeps } from './vault-adapter';
import type { RecoveredCopyOf } from './recovered-copies';

/** What this module needs from the engine (see RoomDeps). */
export type ProtectionDeps = RoomDeps<
  'audit' | 'bus' | 'clock' | 'db' | 'hosts' | 'jobs' | 'onStartBackground' | 'onTick' | 'operator' | 'settings' | 'targets'
> &
  VaultPortDeps;

type ProtectionApi = Pick<
  ConsoleApi,
  | 'listPolicies'
  | 'createPolicy'
  | 'updatePolicy'
  | 'deletePolicy'
  | 'getRpoStatus'
  | 'listJobs'
  | 'getJob'
  | 'cancelJob'
  | 'listAlerts'
  | 'runNow'
  | 'listPoints'
  | 'getSchedulesPaused'
  | 'setSchedulesPaused'
>;

/** The room's stores and the two helpers every copy goes through. */
interface ProtectionRoom {
  ctx: ProtectionDeps;
  policies: PoliciesStore;
  vms: VmsStore;
  scheduler: Scheduler;
  startRun: (policy: Policy, vmId: string, trigger: Job['trigger']) => Job;
  failingOver: (vmId: string) => string | null;
}

/** Protection policies, their RPO standing, and the jobs and alerts they produce. */
export function protectionApi(ctx: ProtectionDeps, recoveredCopyOf: RecoveredCopyOf): ProtectionApi {
  const policies = new PoliciesStore(ctx.db);
  const jobs = new JobsStore(ctx.db);
  const alerts = new AlertsStore(ctx.db);
  const vms = new VmsStore(ctx.db);
  const deps = replicationDeps(ctx, jobs);
  const startRun = runStarter(ctx, vms, deps, recoveredCopyOf);
  const failingOver = planFailingOver(ctx);
  const scheduler = startScheduler(ctx, { policies, jobs, alerts }, startRun, failingOver, recoveredCopyOf);
  const room: ProtectionRoom = { ctx, policies, vms, scheduler, startRun, failingOver };

  return {
    async listPolicies() {
      return policies.list();
    },

    async createPolicy(input) {
      return createPolicy(room, input);
    },

    async updatePolicy(input) {
      return updatePolicy(room, input);
    },

    async deletePolicy({ id }) {
      const policy = findPolicy(policies, id);
      policies.delete(id);
      scheduler.policiesChanged();
      ctx.audit.append(ctx.operator, 'policy.deleted', policy.name, {});
    },

    async getRpoStatus() {
      return evaluateRpo(ctx.db, ctx.clock.now());
    },

    async listJobs(input) {
      return jobs.list(input).map((job) => ({ ...job, progress: ctx.jobs.progressOf(job.id) }));
    },

    async getJob({ id }) {
      const job = jobs.get(id);
      if (!job) throw new LifeboatError('NOT_FOUND', `There is no job ${id}.`);
      return { ...job, progress: ctx.jobs.progressOf(id) };
    },

    async cancelJob({ id }) {
      const job = ctx.jobs.cancel(id);
      ctx.audit.append(ctx.operator, 'job.cancelled', job.title, { jobId: id });
      return job;
    },

    async runNow(input) {
      return runNow(room, input);
    },

    async listPoints({ vmId }) {
      const rows = vmId ? deps.points.listForVm(vmId) : deps.points.listAll();
      return rows.map((p) => ({
        id: p.id,
        vmId: p.vmId,
        vm: p.vmName,
        targetId: p.targetId,
        time: p.time,
        appConsistent: p.appConsistent,
        sizeBytes: p.sizeBytes,
        storedBytes: p.storedBytes,
      }));
    },

    async getSchedulesPaused() {
      return { paused: ctx.settings.get('schedulesPaused') ?? false };
    },

    async setSchedulesPaused({ paused }) {
      ctx.settings.set('schedulesPaused', paused, ctx.clock.now());
      ctx.audit.append(ctx.operator, paused ? 'schedules.paused' : 'schedules.resumed', null, {});
      return { paused };
    },

    async listAlerts({ includeCleared }) {
      return alerts.list(includeCleared);
    },
  };
}

function replicationDeps(ctx: ProtectionDeps, jobs: JobsStore): ReplicationDeps {
  return {
    connect: (hostId) => ctx.hosts.connect(hostId),
    openVault: (targetId, policy) =>
      openVaultPort(
        ctx,
        targetId,
        policy
          ? {
              uploadLimit: {
                policyId: policy.id,
                policyName: policy.name,
                limit: () => bandwidthLimitAt(policy.bandwidth, ctx.clock.now()),
              },
            }
          : {},
      ),
    points: new RecoveryPointsStore(ctx.db),
    jobs,
    clock: ctx.clock,
  };
}

function runStarter(
  ctx: ProtectionDeps,
  vms: VmsStore,
  deps: ReplicationDeps,
  recoveredCopyOf: RecoveredCopyOf,
): ProtectionRoom['startRun'] {
  return (policy, vmId, trigger) => {
    const vm = vms.get(vmId);
    if (!vm)
      throw new LifeboatError('NOT_FOUND', `The VM ${vmId} is no longer in the inventory.`, {
        fix: 'Run discovery, then edit the policy.',
      });
    return ctx.jobs.submit({
      key: jobKeys.replicate(vmId),
      kind: 'replication',
      title: `Copy ${vm.name}`,
      trigger,
      vmId,
      policyId: policy.id,
      hostId: vm.hostId,
      targetId: policy.targetId,
      // While its plan is failed over, the VM runs at the recovery site: that copy is the one to protect.
      run: (run) => (recoveredCopyOf(vmId) ?? ((p, r) => replicateVm(p, vm, r, deps)))(policy, run),
    }).job;
  };
}

/** The plan failing over or back with this VM in it, if any: the VM's copies wait until it is done. */
function planFailingOver(ctx: ProtectionDeps): ProtectionRoom['failingOver'] {
  const plans = new PlansStore(ctx.db);
  return (vmId) =>
    plans
      .list()
      .find(
        (plan) =>
          plan.groups.some((group) => group.vms.some((member) => member.vmId === vmId)) && ctx.jobs.isBusy(jobKeys.failover(plan.id)),
      )?.name ?? null;
}

function startScheduler(
  ctx: ProtectionDeps,
  stores: { policies: PoliciesStore; jobs: JobsStore; alerts: AlertsStore },
  startRun: ProtectionRoom['startRun'],
  failingOver: ProtectionRoom['failingOver'],
  recoveredCopyOf: RecoveredCopyOf,
): Scheduler {
  const failovers = new FailoverStateStore(ctx.db);
  const scheduler = new Scheduler({
    db: ctx.db,
    ...stores,
    bus: ctx.bus,
    clock: ctx.clock,
    startRun: (policy, vmId, trigger) => void startRun(policy, vmId, trigger),
    isBusy: (vmId) => ctx.jobs.isBusy(jobKeys.replicate(vmId)) || failingOver(vmId) !== null,
    paused: () => ctx.settings.get('schedulesPaused') ?? false,
    retries: () => ctx.settings.get('copyRetries') ?? DEFAULT_COPY_RETRIES,
    // Failed-over VMs whose recovered copy can be read are copied as usual (from there); the others wait for failback.
    failedOver: () =>
      new Set(
        failovers
          .list()
          .flatMap((state) => state.vms.map((vm) => vm.vmId))
          .filter((vmId) => !recoveredCopyOf(vmId)),
      ),
  });
  ctx.onStartBackground(() => scheduler.tick({ atLaunch: true }));
  ctx.onTick(() => scheduler.tick());
  return scheduler;
}

function createPolicy({ ctx, policies, scheduler }: ProtectionRoom, input: MethodParsedInput<'createPolicy'>): Policy {
  validatePolicy(ctx, policies, input, null);
  const policy = policies.create(input, ctx.clock.now());
  scheduler.policiesChanged();
  ctx.audit.append(ctx.operator, 'policy.created', policy.name, { ...input });
  return policy;
}

function updatePolicy({ ctx, policies, scheduler }: ProtectionRoom, { id, ...changes }: MethodParsedInput<'updatePolicy'>): Policy {
  const current = findPolicy(policies, id);
  const { id: _id, createdAt: _c, updatedAt: _u, intervalMinutes: _i, ...fields } = current;
  const next: PolicyFields = { ...fields, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) };
  validatePolicy(ctx, policies, next, id);
  const policy = policies.update(id, next, ctx.clock.now());
  scheduler.policiesChanged();
  ctx.audit.append(ctx.operator, 'policy.changed', policy.name, { changes });
  return policy;
}

function runNow({ ctx, policies, vms, startRun, failingOver }: ProtectionRoom, { policyId, vmId }: MethodParsedInput<'runNow'>): Job[] {
  const chosen = policyId ? [findPolicy(policies, policyId)] : policies.list();
  const started: Job[] = [];
  const held: string[] = [];
  for (const policy of chosen) {
    for (const id of policy.vmIds.filter((v) => vmId === undefined || v === vmId)) {
      const plan = failingOver(id);
      if (plan) held.push(`${vms.get(id)?.name ?? id} (plan "${plan}")`);
      else started.push(startRun(policy, id, 'manual'));
    }
  }
  if (started.length === 0 && held.length > 0) {
    throw new LifeboatError(
      'PLAN_BUSY',
      `${held.join(', ')} ${held.length === 1 ? 'is' : 'are'} failing over or back right now; a copy would read disks that are being shut down or rewritten.`,
      {
        fix: 'Wait until the failover or failback finishes (Activity shows it); copies start again by themselves.',
      },
    );
  }
  if (started.length === 0) {
    throw new LifeboatError('NOT_FOUND', vmId ? 'That VM is not protected by any policy.' : 'Nothing is protected yet.', {
      fix: 'Protect the VM first (Protection → Protect VMs).',
    });
  }
  ctx.audit.append(ctx.operator, 'run.started', policyId ? (policies.get(policyId)?.name ?? policyId) : 'all policies', {
    jobs: started.map((j) => j.id),
  });
  return started;
}

function validatePolicy(ctx: ProtectionDeps, policies: PoliciesStore, fields: PolicyFields, exceptPolicyId: string | null): void {
  if (!ctx.targets.get(fields.targetId)) {
    throw new LifeboatError('INVALID_INPUT', 'targetId: There is no such vault target.', {
      field: 'targetId',
      fix: 'Pick a target from Settings → Targets.',
    });
  }
  const named = policies.findByName(fields.name);
  if (named && named.id !== exceptPolicyId) {
    throw new LifeboatError('INVALID_INPUT', `name: A policy called "${named.name}" already exists.`, {
      field: 'name',
      fix: 'Choose another name.',
    });
  }
  if (fields.schedule !== null && !CronSchedule.isValid(fields.schedule)) {
    throw new LifeboatError('INVALID_INPUT', `schedule: "${fields.schedule}" is not a valid cron expression.`, {
      field: 'schedule',
      fix: 'Use five fields, like "*/15 * * * *" (every 15 minutes).',
    });
  }
  for (const vmId of fields.vmIds) {
    const vm = ctx.db.prepare('SELECT name FROM vms WHERE id = ? AND removed_at IS NULL').get(vmId) as { name: string } | undefined;
    if (!vm)
      throw new LifeboatError('INVALID_INPUT', `vmIds: There is no VM ${vmId} in the inventory.`, {
        field: 'vmIds',
        fix: 'Run discovery again and pick VMs from the list.',
      });
    const owner = policies.policyOfVm(vmId);
    if (owner && owner.id !== exceptPolicyId) {
      throw new LifeboatError('INVALID_INPUT', `vmIds: ${vm.name} is already protected by "${owner.name}".`, {
        field: 'vmIds',
        fix: `Remove it from "${owner.name}" first, or edit that policy.`,
      });
    }
  }
}

function findPolicy(policies: PoliciesStore, id: string): Policy {
  const policy = policies.get(id);
  if (!policy) throw new LifeboatError('NOT_FOUND', `There is no policy ${id}.`, { fix: 'Refresh the Protection page.' });
  return policy;
}
