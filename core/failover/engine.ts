import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock';
import type { Drill, DrillCheck, DrillVmResult, PlanCheck, PointSelection, RecoveryPlan } from '../contract/drills';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { FailoverMode, PlanFailoverState, RecoveredVm } from '../contract/failover';
import type { Vm } from '../contract/hosts';
import type { Policy } from '../contract/protection';
import { createDiskWriter } from '../disks';
import type { WriteFormat } from '../disks/types';
import { choosePoints, EXTENSION } from '../drills/engine';
import type { SandboxVm } from '../drills/sandbox';
import {
  checkName,
  checkStepOutcome,
  recordCheck,
  runPlanCheck,
  safeName,
  stepRecorder,
  wait,
  withBootCheck,
  type NoteFn,
  type StepFn,
} from '../drills/steps';
import { drillVerdict, vmVerdict } from '../drills/verdict';
import { vmFileName } from '../drills/vm-file-name';
import { hostSandboxVm } from '../drills/hypervisor-sandbox';
import { datastoresOf } from '../drills/vsphere-staging';
import { resolveDiskPath } from '../hypervisors/disk-path';
import type { Hypervisor } from '../hypervisors/types';
import type { JobOutcome, JobRunContext } from '../jobs/queue';
import { replicateVm } from '../replication/run';
import type { VaultPort } from '../replication/vault-port';
import type { DrillsStore } from '../store/drills';
import type { FailoverStateStore } from '../store/failovers';
import type { JobsStore } from '../store/jobs';
import type { CatalogPoint, RecoveryPointsStore } from '../store/recovery-points';
import { replicaHome, replicaOf, withHyperv } from './hyperv-replica';
import type { RecoverySite } from './site';

export interface FailoverDeps {
  drills: DrillsStore;
  jobs: JobsStore;
  points: RecoveryPointsStore;
  states: FailoverStateStore;
  clock: Clock;
  vm(vmId: string): Vm | undefined;
  policyOf(vmId: string): Policy | undefined;
  openVault(targetId: string, policy?: Policy): Promise<VaultPort>;
  connect(hostId: string): Hypervisor;
  /**
   * Cancels the copies of these VMs that are queued or running and waits for them to clean up; returns the
   * VMs whose copy was cancelled. (While the failover job runs, the scheduler starts no new ones.)
   */
  stopCopies(vmIds: string[]): Promise<string[]>;
  /** Whether Lifeboat can write the host's VM disk files itself (this computer's Workstation or Hyper-V). */
  localDisks(vm: Vm): boolean;
  /** Hyper-V Replica: the registered replica host of a VM replicated by Hyper-V itself, else null. */
  replicaFor(vm: Vm): ReplicaPair | null;
  evidenceDir: string;
  /** Scratch space for failback restores that are uploaded to the original host (vSphere). */
  workRoot: string;
  /** Seconds between heartbeat polls of a host. */
  pollSeconds?: number;
}

export interface ReplicaPair {
  replicaHostId: string;
  replicaHostName: string;
  /** How the replica host names the primary (where replication is reversed to). */
  primaryServer: string;
}

export interface FailoverOptions {
  operator: string;
  notes: string | null;
  shutdownTimeoutSeconds: number;
  /** Unplanned: overrides the plan's point choice. */
  points?: PointSelection;
}

interface Member {
  vm: Vm;
  checks: PlanCheck[];
  point: CatalogPoint | null;
  /** Hyper-V Replica VMs fail over through Hyper-V, from the replica's own copy. */
  replica: ReplicaPair | null;
  replicaPointTime: string | null;
  result: DrillVmResult;
  recovered: RecoveredVm | null;
  started: SandboxVm | null;
}

/**
 * A real failover, recorded like a drill (kind planned | unplanned) with the same timed steps, checks and
 * evidence, but: VMs join the plan's recovery networks, nothing is removed afterwards, and the plan stays
 * failed over (catalog table plan_failover) until failback.
 *
 * Planned: shut the sources down (reverse boot order), copy their last changes into the vault — the copy
 * is taken after the shutdown, so nothing written before it is lost — then restore those points at the
 * recovery site and start them in plan order. A failure before anything started at the recovery site
 * restarts the sources: nothing changed. A failure to start there removes the recovery copies and restarts
 * the sources too, and the record says so.
 * Unplanned: the sources are presumed lost and never touched; the plan's points are started.
 */
export async function runFailover(
  plan: RecoveryPlan,
  mode: FailoverMode,
  site: RecoverySite | null,
  options: FailoverOptions,
  run: JobRunContext,
  deps: FailoverDeps,
): Promise<Drill> {
  const started = deps.clock.now();
  const drill = newRecord(plan, run.jobId, mode, started, options, site);
  deps.drills.save(drill);
  const { step, note } = stepRecorder(drill.id, deps.drills, deps.clock, run);
  const f: FailoverRun = {
    plan,
    mode,
    site,
    options,
    run,
    deps,
    drill,
    started,
    step,
    note,
    members: planMembers(plan, deps),
    stopped: [],
    sourcesStoppedAt: null,
  };

  try {
    if (mode === 'planned') {
      await shutDownSources(f);
      await copyLastChanges(f);
    } else {
      await chooseUnplannedPoints(f);
    }
  } catch (error) {
    return finishFailover(f, await giveSourcesBack(f, error));
  }

  for (const member of f.members) {
    member.result.recoveryPointId = member.point?.id ?? '';
    member.result.recoveryPointTime = member.point?.time ?? member.replicaPointTime ?? '';
  }
  await startGroups(f);
  const outcome = await goBackOrExplain(f);
  saveFailedOverState(f);
  return finishFailover(f, outcome);
}

/** One failover under way: what its named steps read, and what they record as they go. */
interface FailoverRun {
  plan: RecoveryPlan;
  mode: FailoverMode;
  site: RecoverySite | null;
  options: FailoverOptions;
  run: JobRunContext;
  deps: FailoverDeps;
  drill: Drill;
  started: Date;
  step: StepFn;
  note: NoteFn;
  members: Member[];
  /** Planned: the sources shut down so far, in shutdown order; they are started again if the failover goes back. */
  stopped: Member[];
  /** Planned: when the last source stopped, the moment no change is lost up to. */
  sourcesStoppedAt: Date | null;
}

/** Planned: the sources shut down in reverse boot order (Hyper-V Replica VMs also send their last changes). */
async function shutDownSources(f: FailoverRun): Promise<void> {
  const { deps, options, run, step } = f;
  await stopRunningCopies(
    f.members.map((member) => member.vm),
    deps,
    f.note,
  );
  for (const member of [...f.members].reverse()) {
    if (member.replica) {
      await step(
        'Shut down and send the last changes to the replica (Hyper-V Replica)',
        member.vm.name,
        () => withHyperv(deps, member.vm.hostId, (h) => h.prepareFailover(member.vm.externalId, options.shutdownTimeoutSeconds)),
        (r) => `Source ${r.stopped}; replication ${r.replicationState}.`,
      );
    } else {
      await step(
        'Shut down the source',
        member.vm.name,
        () => shutDownSource(member.vm, options.shutdownTimeoutSeconds, run.signal, deps),
        (how) => how,
      );
    }
    f.stopped.push(member);
  }
  f.sourcesStoppedAt = deps.clock.now();
}

/** Planned: each stopped source copied into the vault once more; that point is what starts at the recovery site. */
async function copyLastChanges(f: FailoverRun): Promise<void> {
  for (const member of f.members) {
    if (member.replica) {
      member.replicaPointTime = f.sourcesStoppedAt!.toISOString();
      continue;
    }
    member.point = await f.step(
      'Copy the last changes into the vault',
      member.vm.name,
      () => finalCopy(member.vm, f.run, f.deps),
      (p) => `Recovery point ${p.id} of ${p.time}: taken after the shutdown, so no change is lost.`,
    );
  }
}

/** Unplanned: the sources are left alone; each VM starts from its chosen point, or from its replica's last replication. */
async function chooseUnplannedPoints(f: FailoverRun): Promise<void> {
  const { plan, options, deps } = f;
  f.note('Leave the sources alone', null, 'skipped', 'Unplanned failover: the sources are presumed lost and are not touched.');
  const chosen = await f.step(
    'Choose recovery points',
    null,
    async () => choosePoints(plan, options.points ?? plan.points, deps),
    (list) =>
      `${list.filter((c) => c.point).length} of ${list.length} VMs have a recovery point in the catalog (restoring it proves it can be read).`,
  );
  await readLastReplications(f);
  for (const member of f.members.filter((m) => !m.replica)) {
    const pick = chosen.find((c) => c.vmId === member.vm.id);
    member.point = pick?.point ?? null;
    if (!member.point) fail(member, pick?.problem ?? 'No recovery point.');
  }
}

/** Unplanned, Hyper-V Replica VMs: the replica starts from what was last replicated, so there must be something. */
async function readLastReplications(f: FailoverRun): Promise<void> {
  for (const member of f.members.filter((m) => m.replica)) {
    // One unreachable replica host fails its own VMs, not the whole failover.
    const stats = await f
      .step(
        'Read the last replication (Hyper-V Replica)',
        member.vm.name,
        () => withHyperv(f.deps, member.replica!.replicaHostId, (h) => h.measureReplication(member.vm.externalId)),
        (r) => `Last replicated ${r.lastReplicationTime ?? 'never'}; replica ${r.state}.`,
      )
      .catch((error: unknown) => {
        fail(member, toLifeboatError(error).message);
        return null;
      });
    if (!stats) continue;
    member.replicaPointTime = stats.lastReplicationTime;
    if (!stats.lastReplicationTime) fail(member, `${member.vm.name} has never been replicated to ${member.replica!.replicaHostName}.`);
  }
}

/** Nothing started at the recovery site yet: the sources are given back; returns the outcome to record. */
async function giveSourcesBack(f: FailoverRun, error: unknown): Promise<string> {
  for (const member of f.members)
    if (!member.result.failure && !member.point && !member.replicaPointTime)
      fail(member, f.run.signal.aborted ? 'Cancelled before it was moved.' : `Not moved: ${toLifeboatError(error).message}`);
  await restartSources(f.stopped, f.step, f.deps);
  return f.stopped.length > 0 ? 'Nothing changed: the sources were started again at their own hosts.' : 'Nothing changed.';
}

/** The plan's groups in order: each VM started at the recovery site (or at its replica), then the group's wait. */
async function startGroups(f: FailoverRun): Promise<void> {
  for (const group of f.plan.groups) {
    if (f.run.signal.aborted) break;
    const inGroup = f.members.filter((m) => group.vms.some((v) => v.vmId === m.vm.id) && m.result.status !== 'failed');
    for (const member of inGroup) await (member.replica ? recoverReplica(f, member, member.replica) : recover(f, member));
    await waitAfterGroup(f, group.then, inGroup);
  }
}

async function waitAfterGroup(f: FailoverRun, then: RecoveryPlan['groups'][number]['then'], inGroup: Member[]): Promise<void> {
  if (then.kind === 'delay') {
    const seconds = then.seconds;
    await f.step(`Wait ${seconds} s before the next group`, null, () => wait(seconds * 1000, f.run.signal)).catch(() => undefined);
  } else if (then.kind === 'heartbeat') {
    for (const member of inGroup.filter((m) => m.started)) {
      const result = await member.started!.checkHeartbeat(then.timeoutSeconds, f.run.signal);
      f.note('Wait for heartbeat before the next group', member.vm.name, result.status, result.detail);
    }
  }
}

/**
 * Planned with a failure (or cancelled): the sources are intact and shut down, so going back is safer than
 * running half the plan at the recovery site. Unplanned: the record says what to do. Returns the outcome.
 */
async function goBackOrExplain(f: FailoverRun): Promise<string> {
  const failed = f.members.filter((m) => m.result.status === 'failed');
  if (f.mode === 'planned' && (failed.length > 0 || f.run.signal.aborted)) {
    await removeRecoveryCopies(f);
    await restartSources(f.stopped, f.step, f.deps);
    return `${failed.map((m) => m.vm.name).join(', ') || 'The failover'} could not start at the recovery site; the recovery copies were removed and the sources were started again at their own hosts. The plan is back to normal.`;
  }
  if (failed.length > 0) {
    return `${failed.map((m) => m.vm.name).join(', ')} could not be started at the recovery site. When the original host is back, start ${failed.length === 1 ? 'it' : 'them'} there; or fix the cause and fail back, then over again.`;
  }
  return '';
}

async function removeRecoveryCopies(f: FailoverRun): Promise<void> {
  for (const member of f.members.filter((m) => m.recovered)) {
    if (member.recovered!.replica) {
      // Failed over and reversed already: the way back is a planned failover home, as failback does it.
      const back = member.recovered!;
      await replicaHome(member.vm, back, 'planned', f.options.shutdownTimeoutSeconds, f.step, f.deps).then(
        () => f.stopped.splice(f.stopped.indexOf(member), 1),
        () => undefined,
      );
    } else {
      await f.step('Remove the recovery copy', member.vm.name, () => f.site!.remove(member.recovered!)).catch(() => undefined);
    }
    member.recovered = null;
  }
}

/** What runs at the recovery site now is the plan's failover state, until failback. */
function saveFailedOverState(f: FailoverRun): void {
  const recovered = f.members.flatMap((m) => (m.recovered ? [m.recovered] : []));
  if (recovered.length === 0) return;
  f.deps.states.save({ planId: f.plan.id, mode: f.mode, failoverId: f.drill.id, since: f.deps.clock.now().toISOString(), vms: recovered });
  f.note(
    'Plan is failed over',
    null,
    'passed',
    `${recovered.length} VM${recovered.length === 1 ? '' : 's'} running at ${[...new Set(recovered.map((r) => r.site))].join(', ')}. Fail back when the original site is ready.`,
  );
}

/** A Hyper-V Replica VM started by Hyper-V at its replica host, from the replica's own copy. */
async function recoverReplica(f: FailoverRun, member: Member, pair: ReplicaPair): Promise<void> {
  const { vm, result } = member;
  const { mode, run, deps } = f;
  const host = deps.connect(pair.replicaHostId);
  try {
    const state = await f.step(
      `Start at ${pair.replicaHostName}`,
      vm.name,
      async () => {
        const replica = replicaOf(host, pair.replicaHostId);
        return mode === 'planned' ? replica.plannedFailover(vm.externalId) : replica.unplannedFailover(vm.externalId);
      },
      (r) =>
        `Hyper-V Replica failover: ${r.name} ${r.state}; replication ${r.replicationMode} ${r.replicationState}${mode === 'planned' ? ' (reversed towards the old primary)' : ''}.`,
    );
    member.recovered = {
      vmId: vm.id,
      vm: vm.name,
      hostId: pair.replicaHostId,
      site: pair.replicaHostName,
      recoveryVmId: vm.externalId,
      pointId: '',
      pointTime: member.replicaPointTime ?? '',
      networks: [],
      diskNames: [],
      replica: true,
    };
    member.started = hostSandboxVm(
      host,
      pair.replicaHostId,
      vm.externalId,
      `failed-over VM ${state.name}`,
      (deps.pollSeconds ?? 5) * 1000,
      run.signal,
      async () => undefined,
    );
    for (const check of member.checks) result.checks.push(await runCheck(f, check, member.started, null, null, vm.name));
  } catch (error) {
    result.failure = run.signal.aborted ? 'Cancelled.' : toLifeboatError(error).message;
  } finally {
    await host.close().catch(() => undefined);
  }
  settle(f, member);
}

/** A VM restored from the vault and started at the recovery site, on the plan's recovery networks. */
async function recover(f: FailoverRun, member: Member): Promise<void> {
  const { vm, point, result } = member;
  const site = f.site;
  if (!site) throw new LifeboatError('INTERNAL', 'No recovery site for a VM restored from the vault.');
  const networks = recoveryNetworks(vm, f.plan);
  try {
    const vault = await f.deps.openVault(point!.targetId);
    try {
      const disks = await vault.pointDisks(point!.id);
      const key = vmFileName(vm.id, vm.name);
      const files = await restoreRecoveryDisks(f, site, member, vault, disks, key);
      const { recoveryVmId, vm: running } = await f.step(
        `Start at ${site.label}`,
        vm.name,
        () =>
          site.start(
            {
              name: vm.name,
              key,
              disks: files,
              memoryMiB: vm.memoryMiB ?? 1024,
              cpus: vm.cpus ?? 1,
              firmware: vm.firmware === 'uefi' ? 'uefi' : 'bios',
              networks,
            },
            f.run.signal,
          ),
        () => (networks.length > 0 ? `Connected to ${networks.join(', ')}.` : 'The source had no network adapter.'),
      );
      member.started = running;
      member.recovered = {
        vmId: vm.id,
        vm: vm.name,
        hostId: site.hostId,
        site: site.label,
        recoveryVmId,
        pointId: point!.id,
        pointTime: point!.time,
        networks,
        diskNames: disks.map((d) => d.name),
        replica: false,
      };
      for (const check of member.checks) result.checks.push(await runCheck(f, check, running, vault, point!, vm.name));
    } finally {
      await vault.close().catch(() => undefined);
    }
    if (member.started) await captureScreenshot(f, member);
  } catch (error) {
    if (f.run.signal.aborted) return fail(member, 'Cancelled.');
    result.failure = toLifeboatError(error).message;
  }
  settle(f, member);
}

/** The point's disks restored into a fresh folder of the site, in its format; returns the files, boot disk first. */
async function restoreRecoveryDisks(
  f: FailoverRun,
  site: RecoverySite,
  member: Member,
  vault: VaultPort,
  disks: { name: string; size: number }[],
  key: string,
): Promise<string[]> {
  const { vm, point } = member;
  const folder = site.diskFolder(key);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  for (const disk of disks) {
    const file = path.join(folder, `${disks.indexOf(disk)}-${safeName(disk.name)}.${EXTENSION[site.diskFormat]}`);
    await f.step(
      `Restore disk ${disk.name}`,
      vm.name,
      () => restoreInto(vault, point!, disk.name, disk.size, site.diskFormat, file, f.run, vm.name),
      () => `${site.diskFormat} disk of ${disk.size} bytes restored from point ${point!.id}.`,
    );
    files.push(file);
  }
  return files;
}

async function captureScreenshot(f: FailoverRun, member: Member): Promise<void> {
  const { vm, result } = member;
  const file = path.join(f.deps.evidenceDir, f.drill.id, `${vmFileName(vm.id, vm.name)}.png`);
  if (await f.step('Capture the console screenshot', vm.name, () => member.started!.screenshot(file)).catch(() => false))
    result.screenshot = file;
}

/** The VM's verdict from its checks; an unverified VM runs at the recovery site, but gets no recovery time. */
function settle(f: FailoverRun, member: Member): void {
  const { result } = member;
  const verdict = vmVerdict(result.checks, member.started !== null, result.failure);
  if (verdict.status === 'failed') return fail(member, verdict.failure!);
  Object.assign(result, verdict);
  result.recoveredSeconds = verdict.status === 'passed' ? Math.round((f.deps.clock.now().getTime() - f.started.getTime()) / 1000) : null;
}

async function runCheck(
  f: FailoverRun,
  check: PlanCheck,
  vm: SandboxVm,
  vault: VaultPort | null,
  point: CatalogPoint | null,
  vmName: string,
): Promise<DrillCheck> {
  const result = await f.step(checkName(check), vmName, () => runPlanCheck(check, vm, vault, point, f.run.signal), checkStepOutcome);
  return recordCheck(check, result, f.deps.clock.now().toISOString());
}

/** RPO, RTO and the verdict recorded; every failed VM becomes an action item. */
function finishFailover(f: FailoverRun, outcome: string): Drill {
  const { drill, deps, run, plan, mode, options } = f;
  const finishedAt = deps.clock.now();
  drill.vms = f.members.map((m) => m.result);
  drill.finishedAt = finishedAt.toISOString();
  // Data lost: for planned, up to the moment the sources stopped; for unplanned, up to now.
  const reference = (f.sourcesStoppedAt ?? f.started).getTime();
  const ages = drill.vms.filter((v) => v.recoveryPointTime).map((v) => Math.max(0, (reference - Date.parse(v.recoveryPointTime)) / 1000));
  drill.rpoSeconds = ages.length ? Math.round(Math.max(...ages)) : null;
  const verdict = drillVerdict(drill.vms, outcome.startsWith('Nothing'));
  const allPassed = verdict === 'passed' && !run.signal.aborted;
  drill.rtoSeconds = allPassed ? Math.max(...drill.vms.map((v) => v.recoveredSeconds ?? 0)) : null;
  drill.status = run.signal.aborted ? 'cancelled' : verdict;
  drill.cleanupConfirmed = verdict !== 'failed' && !run.signal.aborted;
  if (outcome) drill.notes = [drill.notes, outcome].filter(Boolean).join('\n');
  deps.drills.save(drill);
  for (const vm of drill.vms.filter((v) => v.status === 'failed')) {
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: vm.vm,
      description: `${mode === 'planned' ? 'Planned' : 'Unplanned'} failover of ${vm.vm} ("${plan.name}") failed: ${vm.failure}`,
      owner: options.operator,
      createdAt: drill.finishedAt,
      drillId: drill.id,
    });
  }
  run.log(`Failover ${drill.status}: RPO ${drill.rpoSeconds ?? '—'} s, RTO ${drill.rtoSeconds ?? '—'} s. ${outcome}`);
  return drill;
}

/**
 * Failback: for each recovered VM in plan order — shut it down, copy it into the vault (an ordinary
 * replication run reading its stopped disks, so every change made while failed over is kept), make sure the
 * original is off, write that point over the original VM's disks, start the original, remove the recovery
 * copy. A VM that is back is taken off the plan's failover state at once, so a failed failback can be retried
 * for the rest.
 */
export async function runFailback(
  plan: RecoveryPlan,
  state: PlanFailoverState,
  site: RecoverySite | null,
  options: FailoverOptions,
  run: JobRunContext,
  deps: FailoverDeps,
): Promise<Drill> {
  const started = deps.clock.now();
  const drill = newRecord(plan, run.jobId, 'failback', started, options, site);
  deps.drills.save(drill);
  const { step, note } = stepRecorder(drill.id, deps.drills, deps.clock, run);
  const remaining = [...state.vms];
  // A copy reading an original VM while failback rewrites its disks in place would store a torn point.
  await stopRunningCopies(
    state.vms.map((vm) => ({ id: vm.vmId, name: vm.vm })),
    deps,
    note,
  );
  const notes: string[] = [];
  const order = plan.groups.flatMap((g) => g.vms.map((v) => v.vmId));
  remaining.sort((a, b) => order.indexOf(a.vmId) - order.indexOf(b.vmId));

  for (const recovered of [...remaining]) {
    if (run.signal.aborted) break;
    const result: DrillVmResult = {
      vmId: recovered.vmId,
      vm: recovered.vm,
      recoveryPointId: '',
      recoveryPointTime: '',
      status: 'passed',
      checks: [],
      screenshot: null,
      recoveredSeconds: null,
      failure: null,
    };
    drill.vms.push(result);
    try {
      const vm = deps.vm(recovered.vmId);
      if (!vm)
        throw new LifeboatError('VM_NOT_FOUND', `${recovered.vm} is no longer in the inventory of its original host.`, {
          fix: 'Run discovery on the original host; if the VM is gone, restore it from the vault with its recovery points.',
        });
      if (recovered.replica) {
        await replicaHome(vm, recovered, state.mode, options.shutdownTimeoutSeconds, step, deps);
        remaining.splice(remaining.indexOf(recovered), 1);
        if (remaining.length > 0) deps.states.save({ ...state, vms: remaining });
        else deps.states.clear(plan.id);
        result.recoveredSeconds = Math.round((deps.clock.now().getTime() - started.getTime()) / 1000);
        continue;
      }
      if (!site) throw new LifeboatError('INTERNAL', 'No recovery site for a VM restored from the vault.');
      await step(
        `Shut down the copy at ${recovered.site}`,
        vm.name,
        () => site.shutDown(recovered.recoveryVmId, options.shutdownTimeoutSeconds),
        (how) => how,
      );
      const point = await step(
        'Copy it back into the vault',
        vm.name,
        () => failbackCopy(vm, recovered, site, run, deps),
        (p) => `Recovery point ${p.id} of ${p.time} holds every change made while failed over.`,
      );
      result.recoveryPointId = point.id;
      result.recoveryPointTime = point.time;
      await step(
        `Make sure ${vm.name} is off at ${vm.hostName}`,
        vm.name,
        () => shutDownSource(vm, 0, run.signal, deps),
        (how) => how,
      );
      await restoreOntoOriginal(vm, point, run, step, deps);
      const cannotStart = await step(
        `Start at ${vm.hostName}`,
        vm.name,
        () => startAtHome(vm, deps),
        (problem) =>
          problem
            ? { skipped: `Not started: ${problem} Start ${vm.name} on ${vm.hostName} yourself.` }
            : `${vm.name} is running at ${vm.hostName}.`,
      );
      // No way to start it from here (Workstation without vmrun): its disks are home; the operator starts it.
      if (cannotStart) notes.push(`Start ${vm.name} on ${vm.hostName} yourself: ${cannotStart}`);
      await step(`Remove the copy at ${recovered.site}`, vm.name, () => site.remove(recovered));
      remaining.splice(remaining.indexOf(recovered), 1);
      if (remaining.length > 0) deps.states.save({ ...state, vms: remaining });
      else deps.states.clear(plan.id);
      result.recoveredSeconds = Math.round((deps.clock.now().getTime() - started.getTime()) / 1000);
    } catch (error) {
      result.status = 'failed';
      result.failure = run.signal.aborted ? 'Cancelled.' : toLifeboatError(error).message;
      break; // plan order matters: later VMs depend on earlier ones
    }
  }
  for (const recovered of remaining.filter((r) => !drill.vms.some((v) => v.vmId === r.vmId))) {
    drill.vms.push({
      vmId: recovered.vmId,
      vm: recovered.vm,
      recoveryPointId: '',
      recoveryPointTime: '',
      status: 'failed',
      checks: [],
      screenshot: null,
      recoveredSeconds: null,
      failure: `Still running at ${recovered.site}: failback stopped before it.`,
    });
  }
  if (remaining.length === 0) deps.states.clear(plan.id);
  const finishedAt = deps.clock.now();
  drill.finishedAt = finishedAt.toISOString();
  const allPassed = remaining.length === 0 && drill.vms.every((v) => v.status === 'passed');
  drill.status = run.signal.aborted ? 'cancelled' : allPassed ? 'passed' : 'failed';
  drill.rpoSeconds = allPassed ? 0 : null; // the copy is taken after the shutdown
  drill.rtoSeconds = allPassed ? Math.round((finishedAt.getTime() - started.getTime()) / 1000) : null;
  drill.cleanupConfirmed = allPassed;
  if (notes.length > 0) drill.notes = [drill.notes, ...notes].filter(Boolean).join('\n');
  if (!allPassed)
    drill.notes = [
      drill.notes,
      `${remaining.map((r) => r.vm).join(', ')} still run at the recovery site; the plan stays failed over for ${remaining.length === 1 ? 'it' : 'them'}. Fix the cause and fail back again.`,
    ]
      .filter(Boolean)
      .join('\n');
  deps.drills.save(drill);
  run.log(`Failback ${drill.status}.`);
  return drill;
}

function newRecord(
  plan: RecoveryPlan,
  id: string,
  kind: Drill['kind'],
  started: Date,
  options: FailoverOptions,
  site: RecoverySite | null,
): Drill {
  const mapping = plan.networkMapping.map((m) => `${m.source} → ${m.recovery}`).join(', ');
  return {
    id,
    planId: plan.id,
    plan: plan.name,
    kind,
    status: 'running',
    startedAt: started.toISOString(),
    finishedAt: null,
    operator: options.operator,
    notes: options.notes,
    rpoSeconds: null,
    rtoSeconds: null,
    rpoTargetSeconds: plan.rpoTargetMinutes * 60,
    rtoTargetSeconds: plan.rtoTargetMinutes * 60,
    isolation: `Not isolated: recovery site ${site?.label ?? 'the Hyper-V Replica hosts'}${mapping ? `; networks ${mapping}` : '; source network names kept'}`,
    cleanupConfirmed: false,
    vms: [],
  };
}

function planMembers(plan: RecoveryPlan, deps: FailoverDeps): Member[] {
  return plan.groups.flatMap((group) =>
    group.vms.map((planVm) => {
      const vm = deps.vm(planVm.vmId);
      if (!vm)
        throw new LifeboatError('VM_NOT_FOUND', `The VM ${planVm.vmId} of plan "${plan.name}" is no longer in the inventory.`, {
          fix: 'Edit the plan, or run discovery again.',
        });
      const result: DrillVmResult = {
        vmId: vm.id,
        vm: vm.name,
        recoveryPointId: '',
        recoveryPointTime: '',
        status: 'passed',
        checks: [],
        screenshot: null,
        recoveredSeconds: null,
        failure: null,
      };
      return {
        vm,
        checks: withBootCheck(planVm.checks),
        point: null,
        replica: deps.replicaFor(vm),
        replicaPointTime: null,
        result,
        recovered: null,
        started: null,
      };
    }),
  );
}

function fail(member: Member, failure: string): void {
  member.result.status = 'failed';
  member.result.failure = failure;
}

/** Each source adapter's network, through the plan's mapping; unmapped names are kept. */
export function recoveryNetworks(vm: Vm, plan: RecoveryPlan): string[] {
  return vm.nics.map((nic) => plan.networkMapping.find((m) => m.source === nic.network)?.recovery ?? nic.network ?? 'default');
}

/** Starts shut-down sources again, in plan order (stopped holds them in shutdown order: reverse). */
async function restartSources(stopped: Member[], step: StepFn, deps: FailoverDeps): Promise<void> {
  for (const member of [...stopped].reverse()) {
    await step(`Start the source again at ${member.vm.hostName}`, member.vm.name, async () => {
      const host = deps.connect(member.vm.hostId);
      try {
        if (member.replica) await replicaOf(host, member.vm.hostId).undoFailoverPrepare(member.vm.externalId);
        else await host.powerOn(member.vm.externalId);
      } finally {
        await host.close().catch(() => undefined);
      }
    }).catch(() => undefined);
  }
}

/** Starts the original VM; returns why it cannot be started from here (MODULE_MISSING), or null once started. */
async function startAtHome(vm: Vm, deps: Pick<FailoverDeps, 'connect'>): Promise<string | null> {
  const host = deps.connect(vm.hostId);
  try {
    await host.powerOn(vm.externalId);
  } catch (error) {
    const failure = toLifeboatError(error);
    if (failure.code === 'MODULE_MISSING') return failure.message;
    throw error;
  } finally {
    await host.close().catch(() => undefined);
  }
  return null;
}

/** Guest shutdown; powered off when it has not stopped within the timeout (0: power off at once). */
export async function shutDownSource(
  vm: Vm,
  timeoutSeconds: number,
  signal: AbortSignal,
  deps: Pick<FailoverDeps, 'connect'>,
): Promise<string> {
  const host = deps.connect(vm.hostId);
  try {
    const state = async () => (await host.listVms()).find((v) => v.externalId === vm.externalId)?.powerState;
    const now = await state();
    if (now === undefined)
      throw new LifeboatError('VM_NOT_FOUND', `${vm.name} is not on ${vm.hostName} any more.`, {
        fix: 'Run discovery on the host, or choose an unplanned failover if the source is lost.',
      });
    if (now === 'off') return `${vm.name} was already off.`;
    if (timeoutSeconds > 0) {
      await host.powerOff(vm.externalId, { hard: false });
      const deadline = performance.now() + timeoutSeconds * 1000;
      while (performance.now() < deadline) {
        if ((await state()) === 'off') return 'The guest shut down.';
        await wait(2000, signal); // the host is polled, as its own console does
      }
    }
    await host.powerOff(vm.externalId, { hard: true });
    return timeoutSeconds > 0 ? `The guest did not shut down within ${timeoutSeconds} s: powered off.` : 'Powered off.';
  } finally {
    await host.close().catch(() => undefined);
  }
}

/** A copy already running when a planned failover or a failback starts reads disks about to change: stop it. */
async function stopRunningCopies(vms: { id: string; name: string }[], deps: FailoverDeps, note: NoteFn): Promise<void> {
  const cancelled = await deps.stopCopies(vms.map((vm) => vm.id));
  if (cancelled.length === 0) return;
  const names = vms.filter((vm) => cancelled.includes(vm.id)).map((vm) => vm.name);
  note(
    'Stop copies already running',
    null,
    'passed',
    `Cancelled the scheduled copy of ${names.join(', ')}: it was reading disks that are about to be shut down or rewritten.`,
  );
}

async function finalCopy(vm: Vm, run: JobRunContext, deps: FailoverDeps): Promise<CatalogPoint> {
  const policy = deps.policyOf(vm.id);
  if (!policy)
    throw new LifeboatError('NO_RECOVERY_POINT', `${vm.name} is not in a protection policy, so its last changes have nowhere to go.`, {
      fix: 'Protect it first, or use an unplanned failover from its existing points.',
    });
  await replicateVm(policy, vm, run, {
    connect: deps.connect,
    openVault: deps.openVault,
    points: deps.points,
    jobs: deps.jobs,
    clock: deps.clock,
  });
  return deps.points.listForVm(vm.id)[0]!;
}

/**
 * Copies a recovered VM into the vault as the VM itself: same name and id, so its points continue the VM's
 * history. `live`: while it runs at the recovery site (the scheduler protects the work done there);
 * otherwise it is stopped (failback's last copy).
 */
export async function copyRecoveredVm(
  vm: Vm,
  recovered: RecoveredVm,
  site: RecoverySite,
  policy: Policy,
  live: boolean,
  run: JobRunContext,
  deps: Pick<FailoverDeps, 'openVault' | 'points' | 'jobs' | 'clock'>,
): Promise<JobOutcome> {
  // Named after where it runs now, so a checkpoint left by a crash is released there, not at the original host.
  const asRecovered: Vm = { ...vm, externalId: recovered.recoveryVmId, hostId: recovered.hostId ?? '', hostName: recovered.site };
  const source = (): Hypervisor => (live ? site.liveCopySource(recovered) : site.copySource(recovered));
  return replicateVm(policy, asRecovered, run, {
    connect: source,
    openVault: deps.openVault,
    points: deps.points,
    jobs: deps.jobs,
    clock: deps.clock,
  });
}

async function failbackCopy(
  vm: Vm,
  recovered: RecoveredVm,
  site: RecoverySite,
  run: JobRunContext,
  deps: FailoverDeps,
): Promise<CatalogPoint> {
  const policy = deps.policyOf(vm.id);
  const targetId = policy?.targetId ?? deps.points.get(recovered.pointId)?.targetId;
  if (!targetId)
    throw new LifeboatError('NO_RECOVERY_POINT', `Lifeboat does not know which vault holds ${vm.name}.`, {
      fix: 'Protect the VM with a policy, then fail back again.',
    });
  // Without a policy (removed while failed over) the copy goes to the vault of the point it started from, pruning nothing.
  const effective =
    policy ??
    ({
      id: 'failback',
      name: 'Failback',
      targetId,
      consistency: 'crash',
      rpoMinutes: 60,
      retention: { keepLast: 10_000, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    } as unknown as Policy);
  await copyRecoveredVm(vm, recovered, site, effective, false, run, deps);
  return deps.points.listForVm(vm.id)[0]!;
}

/** Writes the point over the original VM's disks: each to a new file first, renamed over the old one when complete. */
async function restoreOntoOriginal(vm: Vm, point: CatalogPoint, run: JobRunContext, step: StepFn, deps: FailoverDeps): Promise<void> {
  const upload = vm.hostKind === 'vsphere';
  const remoteHyperv = vm.hostKind === 'hyperv' && !deps.localDisks(vm);
  if (!upload && !remoteHyperv && !deps.localDisks(vm)) {
    throw new LifeboatError('CONFLICT', `Lifeboat cannot write ${vm.name}'s disks on ${vm.hostName} (${vm.hostKind}) from this machine.`, {
      fix: 'Add the VM folder as a Workstation host, or restore the VM from the vault by hand.',
    });
  }
  const vault = await deps.openVault(point.targetId);
  try {
    const disks = await vault.pointDisks(point.id);
    for (const [index, disk] of disks.entries()) {
      const original = vm.disks.find((d) => d.key === disk.name) ?? vm.disks[index];
      if (!original)
        throw new LifeboatError('CONFLICT', `${vm.name} at ${vm.hostName} has no disk for ${disk.name}.`, {
          fix: 'Add the disk to the VM again, then fail back.',
        });
      if (upload) {
        await step(
          `Write disk ${disk.name} at ${vm.hostName}`,
          vm.name,
          () => uploadOver(vm, original.path, vault, point, disk, run, deps),
          () => `ESXi disk ${original.path} replaced with point ${point.id}.`,
        );
        continue;
      }
      if (remoteHyperv) {
        await step(
          `Write disk ${disk.name} at ${vm.hostName}`,
          vm.name,
          () => copyOverOnHost(vm, original.path, vault, point, disk, run, deps),
          () => `VHDX ${original.path} replaced with point ${point.id}, copied through the host's administrative share.`,
        );
        continue;
      }
      const file = vm.hostKind === 'workstation' ? resolveDiskPath(vm.externalId, original.path) : original.path;
      const format: WriteFormat = original.format === 'vhdx' ? 'vhdx' : original.format === 'vmdk' ? 'vmdk' : 'raw';
      await step(
        `Write disk ${disk.name} at ${vm.hostName}`,
        vm.name,
        async () => {
          const fresh = `${file}.lifeboat-failback`;
          await restoreInto(vault, point, disk.name, disk.size, format, fresh, run, vm.name);
          fs.renameSync(fresh, file);
        },
        () => `${format} disk ${path.basename(file)} replaced with point ${point.id}.`,
      );
    }
  } finally {
    await vault.close().catch(() => undefined);
  }
}

/** vSphere: the point restored as an ESXi disk here, then uploaded over the original's descriptor and extent. */
async function uploadOver(
  vm: Vm,
  datastorePath: string,
  vault: VaultPort,
  point: CatalogPoint,
  disk: { name: string; size: number },
  run: JobRunContext,
  deps: FailoverDeps,
): Promise<void> {
  const folder = path.join(deps.workRoot, 'failback', vmFileName(vm.id, vm.name));
  const descriptor = path.join(folder, path.posix.basename(datastorePath.replace(/^\[[^\]]+\]\s*/, '')));
  fs.mkdirSync(folder, { recursive: true });
  const host = deps.connect(vm.hostId);
  try {
    const datastores = datastoresOf(host);
    await restoreInto(vault, point, disk.name, disk.size, 'vmdk-esxi', descriptor, run, vm.name);
    // The extent first: the descriptor that names it only changes once the data is there.
    const flat = descriptor.replace(/\.vmdk$/, '-flat.vmdk');
    if (fs.existsSync(flat)) await datastores.uploadFile(flat, datastorePath.replace(/\.vmdk$/, '-flat.vmdk'));
    await datastores.uploadFile(descriptor, datastorePath);
  } finally {
    await host.close().catch(() => undefined);
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** A remote Hyper-V host: the point restored as VHDX here, copied over the original file through the admin share. */
async function copyOverOnHost(
  vm: Vm,
  hostPath: string,
  vault: VaultPort,
  point: CatalogPoint,
  disk: { name: string; size: number },
  run: JobRunContext,
  deps: FailoverDeps,
): Promise<void> {
  const folder = path.join(deps.workRoot, 'failback', vmFileName(vm.id, vm.name));
  const local = path.join(folder, path.win32.basename(hostPath));
  fs.mkdirSync(folder, { recursive: true });
  const host = deps.connect(vm.hostId);
  try {
    if (!host.hostFiles)
      throw new LifeboatError('CONFLICT', `Lifeboat cannot reach the files of ${vm.hostName} from this machine.`, {
        fix: 'Add the host with its address, so Lifeboat copies through its administrative share; or restore the VM from the vault by hand.',
      });
    await restoreInto(vault, point, disk.name, disk.size, 'vhdx', local, run, vm.name);
    await host.hostFiles.uploadFile(local, hostPath, run.signal);
  } finally {
    await host.close().catch(() => undefined);
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function restoreInto(
  vault: VaultPort,
  point: CatalogPoint,
  disk: string,
  size: number,
  format: WriteFormat,
  file: string,
  run: JobRunContext,
  vmName: string,
): Promise<void> {
  const writer = await createDiskWriter(format, file, size);
  try {
    await vault.restoreDisk(point.id, disk, writer, {
      signal: run.signal,
      onProgress: (done, total) => run.progress(`Restoring ${vmName}`, done, total),
    });
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
