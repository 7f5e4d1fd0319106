import fs from 'node:fs';
import path from 'node:path';
import type { ConsoleApi } from '../contract/api';
import type { Drill, PointSelection, RecoveryPlan } from '../contract/drills';
import { LifeboatError } from '../contract/errors';
import type { FailoverMode } from '../contract/failover';
import { choosePoints } from '../drills/engine';
import { findQemu } from '../drills/qemu-sandbox';
import { jobKeys } from '../jobs/keys';
import type { JobRunContext } from '../jobs/queue';
import { openVaultPort, type VaultPortDeps } from '../replication/vault-adapter';
import type { RoomDeps } from '../service-context';
import { DrillsStore } from '../store/drills';
import { FailoverStateStore } from '../store/failovers';
import { HostsStore } from '../store/hosts';
import { JobsStore } from '../store/jobs';
import { PlansStore } from '../store/plans';
import { PoliciesStore } from '../store/policies';
import { RecoveryPointsStore } from '../store/recovery-points';
import { VmsStore } from '../store/vms';
import type { Vm } from '../contract/hosts';
import { copyRecoveredVm, runFailback, runFailover, type FailoverDeps, type ReplicaPair } from './engine';
import { qemuStandbySite, type RecoverySite } from './site';
import { hostSite, hypervRemoteSite, vsphereRecoverySite } from './host-site';
import { removeStandby } from './qemu-standby';
import { datastoreOf } from '../drills/vsphere-staging';
import type { RecoveredCopyOf } from '../replication/recovered-copies';

/** What this module needs from the engine (see RoomDeps). */
export type FailoverRoomDeps = RoomDeps<'audit' | 'clock' | 'dataDir' | 'db' | 'hosts' | 'jobs' | 'onStartBackground' | 'operator'> &
  VaultPortDeps;

type FailoverApi = Pick<ConsoleApi, 'startFailover' | 'startFailback' | 'listFailovers' | 'getFailover' | 'listFailoverStates'>;

interface Stores {
  drills: DrillsStore;
  plans: PlansStore;
  states: FailoverStateStore;
  vms: VmsStore;
  hosts: HostsStore;
  policies: PoliciesStore;
  points: RecoveryPointsStore;
}

/**
 * Real failover and failback of recovery plans. Both are disruptive, so the API itself (not only the UI)
 * asks for the plan's name as confirmation and refuses what cannot be right: a plan already failed over,
 * one with a drill running, VMs with no point to start from.
 */
/** The failover room: its console methods, and the lookup the protection room copies failed-over VMs with. */
export interface FailoverRoom {
  api: FailoverApi;
  recoveredCopyOf: RecoveredCopyOf;
}

export function failoverRoom(ctx: FailoverRoomDeps): FailoverRoom {
  const stores: Stores = {
    drills: new DrillsStore(ctx.db),
    plans: new PlansStore(ctx.db),
    states: new FailoverStateStore(ctx.db),
    vms: new VmsStore(ctx.db),
    hosts: new HostsStore(ctx.db),
    policies: new PoliciesStore(ctx.db),
    points: new RecoveryPointsStore(ctx.db),
  };
  const { drills, states } = stores;
  const root = path.join(ctx.dataDir, 'failover');
  const replicaFor = (vm: Vm): ReplicaPair | null => replicaPartner(stores.hosts, vm);
  const deps = failoverDeps(ctx, stores, replicaFor);
  const siteFor = recoverySites(ctx, stores, root);

  ctx.onStartBackground(() => {
    raiseInterruptedItems(ctx, drills);
    removeOrphanStandbys(states, root);
  });

  const api: FailoverApi = {
    async startFailover(input) {
      const plan = findPlan(stores.plans, input.planId);
      confirmed(plan, input.confirm, 'A failover');
      if (input.points && input.mode === 'planned') {
        throw new LifeboatError('INVALID_INPUT', 'points: A planned failover always starts from the copy it takes after the shutdown.', {
          field: 'points',
          fix: 'Leave the point choice out, or choose an unplanned failover.',
        });
      }
      notFailedOver(states, plan);
      notBusy(drills, plan);
      const fromVault = planVms(stores.vms, plan).filter((vm) => !replicaFor(vm));
      if (input.mode === 'unplanned') everyVmHasAPoint(stores, plan, fromVault, input.points);
      else everyVmIsProtected(stores.policies, fromVault);
      const site = fromVault.length > 0 ? siteFor(plan, plan.recoveryHostId) : null;
      const id = submit(ctx, plan, input.mode, (run) =>
        runFailover(
          plan,
          input.mode,
          site,
          {
            operator: ctx.operator,
            notes: input.notes,
            shutdownTimeoutSeconds: input.shutdownTimeoutSeconds,
            ...(input.points ? { points: input.points } : {}),
          },
          run,
          deps,
        ),
      );
      ctx.audit.append(ctx.operator, 'failover.started', plan.name, {
        failoverId: id,
        mode: input.mode,
        site: site?.label ?? 'Hyper-V Replica',
      });
      return { failoverId: id };
    },

    async startFailback(input) {
      const plan = findPlan(stores.plans, input.planId);
      confirmed(plan, input.confirm, 'A failback');
      const state = states.get(plan.id);
      if (!state)
        throw new LifeboatError('PLAN_BUSY', `"${plan.name}" is not failed over: its VMs run at their own hosts.`, {
          fix: 'Nothing to fail back. Run a drill to test recovery instead.',
        });
      notBusy(drills, plan);
      const fromVault = state.vms.find((v) => !v.replica);
      const site = fromVault ? siteFor(plan, fromVault.hostId) : null;
      const id = submit(ctx, plan, 'failback', (run) =>
        runFailback(
          plan,
          state,
          site,
          { operator: ctx.operator, notes: input.notes, shutdownTimeoutSeconds: input.shutdownTimeoutSeconds },
          run,
          deps,
        ),
      );
      ctx.audit.append(ctx.operator, 'failback.started', plan.name, { failoverId: id, site: site?.label ?? 'Hyper-V Replica' });
      return { failoverId: id };
    },

    async listFailovers({ limit }) {
      return drills
        .list({ limit: 10_000 })
        .filter((d) => d.kind !== 'test')
        .slice(0, limit);
    },

    async getFailover({ id }) {
      const drill = drills.get(id);
      if (!drill || drill.kind === 'test')
        throw new LifeboatError('NOT_FOUND', `There is no failover ${id} yet.`, {
          fix: 'A failover appears once it has started; refresh in a moment.',
        });
      return { ...drill, steps: drills.steps(id) };
    },

    async listFailoverStates() {
      return states.list();
    },
  };
  return { api, recoveredCopyOf: recoveredCopies(stores, siteFor, deps) };
}

function failoverDeps(ctx: FailoverRoomDeps, stores: Stores, replicaFor: (vm: Vm) => ReplicaPair | null): FailoverDeps {
  return {
    drills: stores.drills,
    jobs: new JobsStore(ctx.db),
    points: stores.points,
    states: stores.states,
    clock: ctx.clock,
    vm: (id) => stores.vms.get(id),
    policyOf: (vmId) => stores.policies.policyOfVm(vmId),
    openVault: (targetId) => openVaultPort(ctx, targetId),
    connect: (hostId) => ctx.hosts.connect(hostId),
    replicaFor,
    stopCopies: async (vmIds) => {
      const cancelled: string[] = [];
      for (const vmId of vmIds) if (await ctx.jobs.cancelKey(jobKeys.replicate(vmId))) cancelled.push(vmId);
      return cancelled;
    },
    localDisks: (vm) => vm.hostKind === 'workstation' || (vm.hostKind === 'hyperv' && stores.hosts.get(vm.hostId)?.address === null),
    evidenceDir: path.join(ctx.dataDir, 'evidence'),
    workRoot: path.join(ctx.dataDir, 'failover'),
  };
}

/** A VM that Hyper-V Replica copies to a host registered here fails over through Hyper-V itself. */
function replicaPartner(hosts: HostsStore, vm: Vm): ReplicaPair | null {
  if (vm.hostKind !== 'hyperv' || vm.replication?.mode !== 'Primary' || !vm.replication.partner) return null;
  const partner = vm.replication.partner.toLowerCase();
  const short = (name: string): string => name.toLowerCase().split('.')[0]!;
  const host = hosts
    .list()
    .find(
      (h) =>
        h.kind === 'hyperv' &&
        h.id !== vm.hostId &&
        [h.address, h.name].some((n) => n && (n.toLowerCase() === partner || short(n) === short(partner))),
    );
  if (!host) return null;
  const source = hosts.get(vm.hostId);
  return { replicaHostId: host.id, replicaHostName: host.name, primaryServer: source?.address ?? source?.name ?? vm.hostName };
}

function planVms(vms: VmsStore, plan: RecoveryPlan): Vm[] {
  return plan.groups.flatMap((g) =>
    g.vms.map(({ vmId }) => {
      const vm = vms.get(vmId);
      if (!vm)
        throw new LifeboatError('VM_NOT_FOUND', `The VM ${vmId} of "${plan.name}" is no longer in the inventory.`, {
          fix: 'Run discovery again, or edit the plan.',
        });
      return vm;
    }),
  );
}

function findPlan(plans: PlansStore, id: string): RecoveryPlan {
  const plan = plans.get(id) ?? plans.findByName(id);
  if (!plan)
    throw new LifeboatError('NOT_FOUND', `There is no recovery plan ${id}.`, {
      fix: 'Refresh the Drills page, or list plans with `lifeboat drills`.',
    });
  return plan;
}

function confirmed(plan: RecoveryPlan, confirm: string, what: string): void {
  if (confirm.trim() !== plan.name) {
    throw new LifeboatError('CONFIRMATION_MISMATCH', `${what} is disruptive: type the plan's name "${plan.name}" to confirm.`, {
      field: 'confirm',
      fix: `Pass confirm: "${plan.name}" (on the command line: --yes, or type the name when asked).`,
    });
  }
}

function notFailedOver(states: FailoverStateStore, plan: RecoveryPlan): void {
  const state = states.get(plan.id);
  if (state) {
    throw new LifeboatError(
      'PLAN_BUSY',
      `"${plan.name}" is already failed over (${state.mode}, since ${state.since}); its VMs run at ${state.vms[0]?.site ?? 'the recovery site'}.`,
      {
        fix: 'Fail back first (`lifeboat failback`), or keep working at the recovery site.',
      },
    );
  }
}

function notBusy(drills: DrillsStore, plan: RecoveryPlan): void {
  const running = drills.list({ limit: 200 }).find((d) => d.planId === plan.id && d.status === 'running');
  if (running) {
    const what = running.kind === 'test' ? 'A drill' : running.kind === 'failback' ? 'A failback' : 'A failover';
    throw new LifeboatError('PLAN_BUSY', `${what} of "${plan.name}" is running (started ${running.startedAt}).`, {
      fix: 'Wait for it to finish, or cancel it on the Activity page, then try again.',
    });
  }
}

/** Unplanned: every VM restored from the vault needs a point the plan's choice (or the override) finds. */
function everyVmHasAPoint(stores: Stores, plan: RecoveryPlan, fromVault: Vm[], points: PointSelection | undefined): void {
  const missing = choosePoints(plan, points ?? plan.points, { vm: (id) => stores.vms.get(id), points: stores.points }).filter(
    (c) => !c.point && fromVault.some((vm) => vm.id === c.vmId),
  );
  if (missing.length > 0)
    throw new LifeboatError('NO_RECOVERY_POINT', missing.map((m) => m.problem).join(' '), {
      fix: "Protect the VMs and let a copy finish, or change the plan's point choice (latest instead of app-consistent).",
    });
}

/** Planned: every VM restored from the vault needs a policy, whose vault takes its last changes. */
function everyVmIsProtected(policies: PoliciesStore, fromVault: Vm[]): void {
  for (const vm of fromVault) {
    if (!policies.policyOfVm(vm.id))
      throw new LifeboatError(
        'NO_RECOVERY_POINT',
        `${vm.name} is not in a protection policy: a planned failover copies its last changes into that policy's vault.`,
        { fix: `Protect ${vm.name} first, or use an unplanned failover from its existing points.` },
      );
  }
}

type SiteFor = (plan: RecoveryPlan, hostId: string | null) => RecoverySite;

/** Where the plan's VMs start: this machine's QEMU standby unless the plan names a recovery host. */
function recoverySites(ctx: FailoverRoomDeps, stores: Stores, root: string): SiteFor {
  let qemu: string | null | undefined;
  return (plan, hostId) => {
    if (hostId) return hostRecoverySite(ctx, stores, plan, hostId, path.join(root, plan.id));
    qemu ??= findQemu();
    if (!qemu) {
      throw new LifeboatError('MODULE_MISSING', 'There is nowhere to start the recovered VMs: QEMU is not installed on this machine.', {
        fix: 'Install QEMU (qemu-system-x86_64) on the Lifeboat machine, or set LIFEBOAT_QEMU to its path.',
      });
    }
    return qemuStandbySite(qemu, path.join(root, plan.id));
  };
}

function hostRecoverySite(ctx: FailoverRoomDeps, stores: Stores, plan: RecoveryPlan, hostId: string, local: string): RecoverySite {
  const host = stores.hosts.get(hostId);
  if (!host)
    throw new LifeboatError('NOT_FOUND', `The recovery host of "${plan.name}" is no longer in the catalog.`, {
      fix: 'Edit the plan and choose a recovery host, or leave it empty to recover on this machine.',
    });
  if (host.kind === 'vsphere') {
    // Restored as ESXi disks and uploaded next to the plan's VMs, on a datastore the recovery host can use.
    const datastore = planVms(stores.vms, plan)
      .map((vm) => datastoreOf(vm.disks[0]?.path))
      .find(Boolean);
    if (!datastore)
      throw new LifeboatError('INVALID_INPUT', `Lifeboat does not know a datastore on ${host.name} for "${plan.name}".`, {
        field: 'recoveryHostId',
        fix: "Choose a recovery host that sees the datastore of the plan's VMs, or leave it empty to recover on this machine.",
      });
    return vsphereRecoverySite({ hostId: host.id, hostName: host.name, connect: () => ctx.hosts.connect(host.id), datastore, root: local });
  }
  if (host.kind === 'hyperv' && host.address === null) {
    // Lifeboat runs on this Hyper-V host: the restored VHDX files become the recovered VM's disks where they are.
    return hostSite({
      hostId: host.id,
      hostName: host.name,
      connect: () => ctx.hosts.connect(host.id),
      diskFormat: 'vhdx',
      root: local,
      stage: async (files) => files,
      unstage: async () => undefined,
    });
  }
  if (host.kind === 'hyperv')
    // A remote Hyper-V host: the restored VHDX files are copied there through its administrative share.
    return hypervRemoteSite({ hostId: host.id, hostName: host.name, connect: () => ctx.hosts.connect(host.id), root: local });
  throw new LifeboatError('MODULE_MISSING', `Lifeboat cannot start recovered VMs on ${host.name} (${host.kind}) from this machine.`, {
    fix: "Choose a vSphere or Hyper-V host, or leave the recovery host empty to recover on this machine's QEMU standby.",
  });
}

/** The failover or failback as a job; its record is audited when it ends, and a failed one fails the job. */
function submit(
  ctx: FailoverRoomDeps,
  plan: RecoveryPlan,
  kind: FailoverMode | 'failback',
  work: (run: JobRunContext) => Promise<Drill>,
): string {
  const title = kind === 'failback' ? `Failback: ${plan.name}` : `${kind === 'planned' ? 'Planned' : 'Unplanned'} failover: ${plan.name}`;
  const { job } = ctx.jobs.submit({
    key: jobKeys.failover(plan.id),
    kind: kind === 'failback' ? 'failback' : 'failover',
    title,
    trigger: 'manual',
    vmId: null,
    policyId: null,
    hostId: null,
    targetId: null,
    run: async (run) => {
      const drill = await work(run);
      ctx.audit.append(ctx.operator, kind === 'failback' ? 'failback.finished' : 'failover.finished', plan.name, {
        failoverId: drill.id,
        mode: kind,
        status: drill.status,
        rpoSeconds: drill.rpoSeconds,
        rtoSeconds: drill.rtoSeconds,
        notes: drill.notes,
      });
      if (drill.status === 'failed') {
        const reasons = drill.vms
          .filter((v) => v.status === 'failed')
          .map((v) => `${v.vm}: ${v.failure}`)
          .join('; ');
        throw new LifeboatError('INTERNAL', `${title} failed: ${reasons || drill.notes || 'see its steps'}`);
      }
      return { bytesRead: 0, bytesStored: 0, appConsistent: null, message: summary(drill) };
    },
  });
  return job.id;
}

const summary = (drill: Drill): string =>
  `${drill.plan}: ${drill.status}, RTO ${drill.rtoSeconds ?? '—'} s, RPO ${drill.rpoSeconds ?? '—'} s`;

/**
 * While failed over, a VM's scheduled copies (and Copy now) read its recovered copy where it runs, so the
 * work done at the recovery site is protected too. Hyper-V Replica VMs are copied by Hyper-V itself.
 */
function recoveredCopies(stores: Stores, siteFor: SiteFor, deps: FailoverDeps): RecoveredCopyOf {
  return (vmId) => {
    const state = stores.states.list().find((candidate) => candidate.vms.some((v) => v.vmId === vmId && !v.replica));
    const recovered = state?.vms.find((v) => v.vmId === vmId);
    const plan = state ? stores.plans.get(state.planId) : undefined;
    const vm = stores.vms.get(vmId);
    if (!recovered || !plan || !vm) return null;
    let site: RecoverySite;
    try {
      site = siteFor(plan, recovered.hostId);
    } catch {
      return null; // its recovery host was removed or QEMU is gone: nothing to read it from
    }
    return (policy, run) => copyRecoveredVm(vm, recovered, site, policy, true, run, deps);
  };
}

/**
 * A failover or failback cut short by the engine stopping (marked interrupted by the drills room, which
 * starts first): what it did to the sources is not undone automatically, so the operator is told what to check.
 */
function raiseInterruptedItems(ctx: FailoverRoomDeps, drills: DrillsStore): void {
  const raised = new Set(drills.actionItems().map((item) => item.drillId));
  for (const record of drills.list({ limit: 200 }).filter((d) => d.kind !== 'test' && d.status === 'interrupted' && !raised.has(d.id))) {
    const stoppedSources = drills
      .steps(record.id)
      .filter((st) => st.status === 'passed' && /^Shut down (the source|and send)/.test(st.name))
      .map((st) => st.vm);
    const what = record.kind === 'failback' ? 'failback' : `${record.kind} failover`;
    drills.raiseActionItem({
      source: 'drill',
      subject: record.plan,
      description: `The ${what} of "${record.plan}" was interrupted when Lifeboat stopped.${stoppedSources.length > 0 ? ` ${stoppedSources.join(', ')} ${stoppedSources.length === 1 ? 'was' : 'were'} shut down at the original host: start ${stoppedSources.length === 1 ? 'it' : 'them'} there, or run the failover again.` : ' Check its steps, then run it again.'}`,
      owner: record.operator,
      createdAt: ctx.clock.now().toISOString(),
      drillId: record.id,
    });
  }
}

/** A failover killed half-way left standby VMs of a plan that never became failed over: stop and remove them. */
function removeOrphanStandbys(states: FailoverStateStore, root: string): void {
  if (!fs.existsSync(root)) return;
  void (async () => {
    for (const planId of fs.readdirSync(root)) {
      if (states.get(planId)) continue;
      const folder = path.join(root, planId);
      for (const vm of fs.readdirSync(folder)) await removeStandby(path.join(folder, vm)).catch(() => undefined);
      fs.rmSync(folder, { recursive: true, force: true });
    }
  })();
}
