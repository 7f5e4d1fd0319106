import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { Vm } from '../contract/hosts';
import type { Drill, DrillCheck, DrillVmResult, PlanCheck, PlanGroup, PlanScript, PointSelection, RecoveryPlan } from '../contract/drills';
import { createDiskWriter } from '../disks';
import type { WriteFormat } from '../disks/types';
import type { JobRunContext } from '../jobs/queue';
import type { VaultPort } from '../replication/vault-port';
import type { DrillsStore } from '../store/drills';
import type { JobResource, JobsStore } from '../store/jobs';
import type { CatalogPoint, RecoveryPointsStore } from '../store/recovery-points';
import { runPlanScript, type ScriptContext } from './plan-scripts';
import type { DrillSandbox, GuestCredential, SandboxVm, SandboxVmSpec } from './sandbox';
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
} from './steps';
import { drillVerdict, vmVerdict } from './verdict';
import { vmFileName } from './vm-file-name';

export interface DrillDeps {
  drills: DrillsStore;
  jobs: JobsStore;
  points: RecoveryPointsStore;
  clock: Clock;
  vm(vmId: string): Vm | undefined;
  openVault(targetId: string): Promise<VaultPort>;
  sandboxFor(vm: Vm, workDir: string): DrillSandbox;
  /** A plan VM's sealed guest credential, for in-guest checks; null when none is stored. */
  guestCredential?(id: string): GuestCredential | null;
  /** <data>/evidence: screenshots and check output kept for the audit window. */
  evidenceDir: string;
  /** <data>/drills: restored disks live here only while a drill runs. */
  workRoot: string;
}

export interface DrillOptions {
  operator: string;
  notes?: string | null;
  points?: PointSelection;
}

export const EXTENSION: Record<WriteFormat, string> = { raw: 'img', vhdx: 'vhdx', vmdk: 'vmdk', 'vmdk-esxi': 'vmdk', 'vhd-fixed': 'vhd' };

interface Running {
  vm: Vm;
  group: string;
  point: CatalogPoint;
  sandboxVm: SandboxVm | null;
  /** What its sandbox said it would create, tracked until the VM has booted (then sandboxVm.resources). */
  planned?: JobResource[] | null;
  result: DrillVmResult;
}

/**
 * A test failover: restore the chosen recovery points into a sandbox, boot the VMs in plan order with no
 * path to production, run the checks, keep evidence, and clean up — then prove the cleanup. Every step is
 * timed and stored as it happens, so an interrupted drill still shows how far it got.
 */
export async function runDrill(plan: RecoveryPlan, options: DrillOptions, run: JobRunContext, deps: DrillDeps): Promise<Drill> {
  const d = beginDrill(plan, options, run, deps);
  const { drill } = d;
  try {
    fs.mkdirSync(d.workDir, { recursive: true });
    await chooseDrillPoints(d);
    if (plan.preScript && !(await planScript(d, 'Run the pre-drill script', plan.preScript, 'pre', null))) {
      for (const member of d.running) member.result.failure = 'Not started: the pre-drill script failed.';
      drill.failure = 'The pre-drill script failed, so no VM was started: see its step for its output.';
      return drill;
    }
    for (const group of plan.groups) await runGroup(d, group);
    for (const manual of plan.manualSteps)
      d.note(`Manual step: ${manual}`, null, 'skipped', 'To be confirmed by the operator in the drill record.');
    if (plan.postScript && !(await planScript(d, 'Run the post-drill script', plan.postScript, 'post', null)))
      drill.failure = 'The post-drill script failed: see its step for its output.';
  } catch (error) {
    if (!run.signal.aborted) throw error;
  } finally {
    for (const member of d.running) settle(member);
    drill.cleanupConfirmed = await cleanUp(d);
    finishDrill(d);
  }
  return drill;
}

/** One drill under way: what its named steps read, and what they record as they go. */
interface DrillRun {
  plan: RecoveryPlan;
  options: DrillOptions;
  run: JobRunContext;
  deps: DrillDeps;
  drill: Drill;
  started: Date;
  /** Restored disks, only while the drill runs. */
  workDir: string;
  evidenceDir: string;
  /** What the job holds besides its sandbox VMs: removed at the next start if the engine dies. */
  resources: JobResource[];
  step: StepFn;
  note: NoteFn;
  /** The VMs with a point to start from, in plan order. */
  running: Running[];
  sandboxes: DrillSandbox[];
}

/** The drill's record saved as running, and its work folder held as the job's, before anything is restored. */
function beginDrill(plan: RecoveryPlan, options: DrillOptions, run: JobRunContext, deps: DrillDeps): DrillRun {
  const started = deps.clock.now();
  const drillId = run.jobId;
  const workDir = path.join(deps.workRoot, drillId);
  const drill: Drill = {
    id: drillId,
    planId: plan.id,
    plan: plan.name,
    kind: 'test',
    status: 'running',
    startedAt: started.toISOString(),
    finishedAt: null,
    operator: options.operator,
    notes: options.notes ?? null,
    rpoSeconds: null,
    rtoSeconds: null,
    rpoTargetSeconds: plan.rpoTargetMinutes * 60,
    rtoTargetSeconds: plan.rtoTargetMinutes * 60,
    isolation: '',
    cleanupConfirmed: false,
    vms: [],
  };
  deps.drills.save(drill);
  const resources: JobResource[] = [{ kind: 'path', hostId: null, ref: { path: workDir }, description: `restored disks in ${workDir}` }];
  deps.jobs.setResources(drillId, resources);
  const { step, note } = stepRecorder(drillId, deps.drills, deps.clock, run);
  return {
    plan,
    options,
    run,
    deps,
    drill,
    started,
    workDir,
    evidenceDir: path.join(deps.evidenceDir, drillId),
    resources,
    step,
    note,
    running: [],
    sandboxes: [],
  };
}

/** Each plan VM's point; a VM without one is failed in the record and not started. */
async function chooseDrillPoints(d: DrillRun): Promise<void> {
  const { plan, options, deps, drill } = d;
  const chosen = await d.step(
    'Choose recovery points',
    null,
    async () => choosePoints(plan, options.points ?? plan.points, deps),
    (list) =>
      `${list.filter((c) => c.point).length} of ${list.length} VMs have a recovery point in the catalog (restoring it proves it can be read).`,
  );
  for (const { vmId, vm, point, problem } of chosen) {
    if (!vm || !point) {
      drill.vms.push(failedVm(vm?.name ?? vmId, vmId, problem ?? 'No recovery point.'));
      continue;
    }
    const result: DrillVmResult = {
      vmId,
      vm: vm.name,
      recoveryPointId: point.id,
      recoveryPointTime: point.time,
      status: 'failed',
      checks: [],
      screenshot: null,
      recoveredSeconds: null,
      failure: null,
      unverified: null,
    };
    drill.vms.push(result);
    const group = plan.groups.find((g) => g.vms.some((v) => v.vmId === vmId))!.name;
    d.running.push({ vm, group, point, sandboxVm: null, result });
  }
}

/** One group: its pre-start script, its VMs started together, the wait the plan asks for, its post-check script. */
async function runGroup(d: DrillRun, group: PlanGroup): Promise<void> {
  d.run.signal.throwIfAborted();
  const members = d.running.filter((r) => group.vms.some((v) => v.vmId === r.vm.id));
  if (group.preScript && !(await planScript(d, `Run the pre-start script of ${group.name}`, group.preScript, 'pre', group))) {
    for (const member of members) member.result.failure = `Not started: the pre-start script of group "${group.name}" failed.`;
    return;
  }
  // A group's VMs start together, as the plan says: one slow guest does not hold up its peers' recovery time.
  // allSettled: on cancel, cleanup must not begin while a peer is still starting its VM.
  const outcomes = await Promise.allSettled(
    members.map((member) => {
      const planVm = group.vms.find((v) => v.vmId === member.vm.id)!;
      return recoverVm(d, member, withBootCheck(planVm.checks), planVm.guestCredentialId ?? null);
    }),
  );
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected) throw rejected.reason;
  await waitAfterGroup(d, group.then, members);
  if (group.postScript && !(await planScript(d, `Run the post-check script of ${group.name}`, group.postScript, 'post', group))) {
    for (const member of members) {
      member.result.failure = [member.result.failure, `The post-check script of group "${group.name}" failed.`].filter(Boolean).join(' ');
    }
  }
}

async function waitAfterGroup(d: DrillRun, then: PlanGroup['then'], members: Running[]): Promise<void> {
  if (then.kind === 'delay') {
    const seconds = then.seconds;
    await d.step(`Wait ${seconds} s before the next group`, null, () => wait(seconds * 1000, d.run.signal));
  } else if (then.kind === 'heartbeat') {
    const timeout = then.timeoutSeconds;
    for (const member of members.filter((m) => m.sandboxVm)) {
      const result = await member.sandboxVm!.checkHeartbeat(timeout, d.run.signal);
      d.note('Wait for heartbeat before the next group', member.vm.name, result.status, result.detail);
    }
  }
}

/** Runs a plan or group script with the drill's context on stdin; false when it failed (its step says why). */
async function planScript(d: DrillRun, name: string, script: PlanScript, phase: 'pre' | 'post', group: PlanGroup | null): Promise<boolean> {
  const context: ScriptContext = {
    drillId: d.drill.id,
    kind: d.drill.kind,
    plan: { id: d.plan.id, name: d.plan.name },
    phase,
    group: group?.name ?? null,
    vms: d.running.map((r) => ({
      id: r.vm.id,
      name: r.vm.name,
      group: r.group,
      status: r.result.failure ? 'failed' : r.sandboxVm ? 'running' : 'not started',
      recoveryPoint: { id: r.point.id, time: r.point.time },
      address: r.sandboxVm?.address ?? null,
    })),
  };
  try {
    await d.step(
      name,
      null,
      () => runPlanScript(script, context, d.run.signal),
      (outcome) => outcome.output || `${path.basename(script.path)} finished (exit 0) and printed nothing.`,
    );
    return true;
  } catch (error) {
    if (d.run.signal.aborted) throw error;
    return false;
  }
}

/** One VM: its point restored into its sandbox, booted in isolation, checked, and its screen kept as evidence. */
async function recoverVm(d: DrillRun, member: Running, checks: PlanCheck[], credentialId: string | null): Promise<void> {
  const { deps, run } = d;
  const { vm, point, result } = member;
  const key = vmFileName(vm.id, vm.name);
  const sandbox = deps.sandboxFor(vm, d.workDir);
  d.sandboxes.push(sandbox);
  d.drill.isolation = sandbox.isolation;
  try {
    const vault = await deps.openVault(point.targetId);
    try {
      const files = await restoreDrillDisks(d, sandbox, member, vault, key);
      const tcpPorts = checks.flatMap((c) => (c.kind === 'tcp' ? [c.port] : []));
      const guestCredential = credentialId ? (deps.guestCredential?.(credentialId) ?? null) : null;
      const spec: SandboxVmSpec = {
        name: `lifeboat-drill-${vm.name}`,
        key,
        disks: files,
        memoryMiB: vm.memoryMiB ?? 1024,
        cpus: vm.cpus ?? 1,
        firmware: vm.firmware === 'uefi' ? 'uefi' : 'bios',
        tcpPorts,
        guestCredential,
        guestOs: vm.guestOs,
        onProgress: (what, done, total) => run.progress(what, done, total),
      };
      const trackResources = (): void =>
        deps.jobs.setResources(d.drill.id, [...d.resources, ...d.running.flatMap((r) => r.sandboxVm?.resources ?? r.planned ?? [])]);
      member.planned = sandbox.plannedResources?.(spec) ?? null;
      trackResources();
      const booted = await d.step(
        'Start in isolation',
        vm.name,
        () => sandbox.boot(spec, run.signal),
        (b) => b.started ?? null,
      );
      member.sandboxVm = booted;
      trackResources();
      run.progress(`Checking ${vm.name}`, 0, 0);
      for (const check of checks) result.checks.push(await runCheck(d, check, booted, vault, point, vm.name));
      trackResources(); // a sandbox may have restarted its VM (KVM that cannot run the guest)
    } finally {
      await vault.close().catch(() => undefined);
    }
    if (member.sandboxVm) {
      // Taken after the checks: the screen then shows what the guest came up to (or where it stopped).
      const file = path.join(d.evidenceDir, `${key}.png`);
      const taken = await d.step('Capture the console screenshot', vm.name, () => member.sandboxVm!.screenshot(file)).catch(() => false);
      if (taken) result.screenshot = file;
    }
  } catch (error) {
    if (run.signal.aborted) throw error;
    result.failure = toLifeboatError(error).message;
  }
  if (result.checks.every((c) => c.status !== 'failed') && !result.failure && member.sandboxVm) {
    result.recoveredSeconds = Math.round((deps.clock.now().getTime() - d.started.getTime()) / 1000);
  }
}

/** The point's disks restored in the sandbox's format under the drill's work folder; returns the files, boot disk first. */
async function restoreDrillDisks(d: DrillRun, sandbox: DrillSandbox, member: Running, vault: VaultPort, key: string): Promise<string[]> {
  const { run } = d;
  const { vm, point } = member;
  const files: string[] = [];
  for (const [index, disk] of (await vault.pointDisks(point.id)).entries()) {
    // Disk names come from the source; the index keeps two that slug alike apart.
    const file = path.join(d.workDir, key, `${index}-${safeName(disk.name)}.${EXTENSION[sandbox.diskFormat]}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await d.step(
      `Restore disk ${disk.name}`,
      vm.name,
      async () => {
        const writer = await createDiskWriter(sandbox.diskFormat, file, disk.size);
        try {
          await vault.restoreDisk(point.id, disk.name, writer, {
            signal: run.signal,
            onProgress: (done, total) => run.progress(`Restoring ${vm.name}`, done, total),
          });
          await writer.close();
        } catch (error) {
          await writer.abort();
          throw error;
        }
      },
      () => `${sandbox.diskFormat} disk of ${disk.size} bytes restored from point ${point.id}.`,
    );
    files.push(file);
  }
  return files;
}

/** The VM's outcome once every script and check had its say. */
function settle(member: Running): void {
  const verdict = vmVerdict(member.result.checks, member.sandboxVm !== null, member.result.failure);
  Object.assign(member.result, verdict);
  if (verdict.status !== 'passed') member.result.recoveredSeconds = null;
}

async function runCheck(
  d: DrillRun,
  check: PlanCheck,
  vm: SandboxVm,
  vault: VaultPort,
  point: CatalogPoint,
  vmName: string,
): Promise<DrillCheck> {
  const outcome = await d.step(checkName(check), vmName, () => runPlanCheck(check, vm, vault, point, d.run.signal), checkStepOutcome);
  if (outcome.status === 'failed') d.run.log(`  check failed: ${outcome.detail}`);
  return recordCheck(check, outcome, d.deps.clock.now().toISOString());
}

/** Sandbox VMs and restored disks removed, then proven gone; false when something is left. */
async function cleanUp(d: DrillRun): Promise<boolean> {
  const { step, running, workDir } = d;
  for (const member of running.filter((r) => r.sandboxVm)) {
    await step('Power off and remove the VM', member.vm.name, () => member.sandboxVm!.remove()).catch(() => undefined);
  }
  await step('Delete restored disks', null, async () => fs.rmSync(workDir, { recursive: true, force: true })).catch(() => undefined);
  try {
    return await step(
      'Verify nothing is left',
      null,
      async () => {
        const left: string[] = [];
        for (const member of running.filter((r) => r.sandboxVm)) if (!(await member.sandboxVm!.isGone())) left.push(member.vm.name);
        if (fs.existsSync(workDir)) left.push(workDir);
        if (left.length > 0)
          throw new LifeboatError('INTERNAL', `Still present after cleanup: ${left.join(', ')}.`, {
            fix: 'Remove them by hand; the drill record lists each.',
          });
        // A VM whose start failed had its sandbox delete what it made; the record stays until the next start proves it.
        d.deps.jobs.setResources(
          d.drill.id,
          running.filter((r) => !r.sandboxVm).flatMap((r) => r.planned ?? []),
        );
        return true;
      },
      () => 'No sandbox VM, process or restored file remains.',
    );
  } catch {
    return false;
  } finally {
    for (const sandbox of d.sandboxes) await sandbox.close?.().catch(() => undefined);
  }
}

/** RPO, RTO and the verdict recorded. */
function finishDrill(d: DrillRun): void {
  const { drill, deps, run, started } = d;
  const finishedAt = deps.clock.now();
  drill.finishedAt = finishedAt.toISOString();
  const times = drill.vms.filter((v) => v.recoveryPointTime).map((v) => (started.getTime() - Date.parse(v.recoveryPointTime)) / 1000);
  drill.rpoSeconds = times.length ? Math.round(Math.max(...times)) : null;
  const verdict = drillVerdict(drill.vms, !!drill.failure || !drill.cleanupConfirmed);
  // RTO is a measurement of recovery proven: an unverified VM has no recovery time to report.
  drill.rtoSeconds = verdict === 'passed' ? Math.max(...drill.vms.map((v) => v.recoveredSeconds ?? 0)) : null;
  drill.status = run.signal.aborted ? 'cancelled' : verdict;
  deps.drills.save(drill);
  raiseDrillActionItems(d, finishedAt.toISOString());
  run.log(
    `Drill ${drill.status}: RPO ${drill.rpoSeconds ?? '—'} s, RTO ${drill.rtoSeconds ?? '—'} s, cleanup ${drill.cleanupConfirmed ? 'confirmed' : 'NOT confirmed'}.`,
  );
}

/** Whatever the drill found wrong becomes an action item for its operator: failed or unverified VMs, scripts, cleanup, missed targets. */
function raiseDrillActionItems(d: DrillRun, at: string): void {
  const { drill, plan, deps, options } = d;
  const drillId = drill.id;
  for (const vm of drill.vms.filter((v) => v.status === 'failed')) {
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: vm.vm,
      description: `Recovery of ${vm.vm} failed in drill "${plan.name}": ${vm.failure}`,
      owner: options.operator,
      createdAt: at,
      drillId,
    });
  }
  for (const vm of drill.vms.filter((v) => v.status === 'unverified')) {
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: vm.vm,
      description:
        `Recovery of ${vm.vm} is unverified in drill "${plan.name}": ${vm.unverified?.reason ?? 'nothing proved the guest came up.'} ${vm.unverified?.fix ?? ''}`.trim(),
      owner: options.operator,
      createdAt: at,
      drillId,
    });
  }
  if (drill.failure)
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: plan.name,
      description: drill.failure,
      owner: options.operator,
      createdAt: at,
      drillId,
    });
  if (!drill.cleanupConfirmed)
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: plan.name,
      description: 'Drill cleanup could not be confirmed: remove the leftovers listed in the drill steps.',
      owner: options.operator,
      createdAt: at,
      drillId,
    });
  if (drill.rtoSeconds !== null && drill.rtoTargetSeconds !== null && drill.rtoSeconds > drill.rtoTargetSeconds) {
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: plan.name,
      description: `Recovery took ${drill.rtoSeconds} s, over the ${drill.rtoTargetSeconds} s RTO target.`,
      owner: options.operator,
      createdAt: at,
      drillId,
    });
  }
  if (drill.rpoSeconds !== null && drill.rpoTargetSeconds !== null && drill.rpoSeconds > drill.rpoTargetSeconds) {
    deps.drills.raiseActionItem({
      source: 'drill',
      subject: plan.name,
      description: `The newest recovery point was ${drill.rpoSeconds} s old, over the ${drill.rpoTargetSeconds} s RPO target.`,
      owner: options.operator,
      createdAt: at,
      drillId,
    });
  }
}

export function choosePoints(plan: RecoveryPlan, selection: PointSelection, deps: Pick<DrillDeps, 'vm' | 'points'>) {
  return plan.groups.flatMap((group) =>
    group.vms.map(({ vmId }) => {
      const vm = deps.vm(vmId);
      const points = deps.points.listForVm(vmId);
      const usable =
        selection.kind === 'latest'
          ? points
          : selection.kind === 'latest-app-consistent'
            ? points.filter((p) => p.appConsistent)
            : points.filter((p) => p.time <= new Date(selection.time).toISOString());
      const point = usable[0] ?? null;
      const problem = !vm
        ? `The VM ${vmId} is no longer in the inventory.`
        : point
          ? null
          : selection.kind === 'latest-app-consistent'
            ? `${vm.name} has no application-consistent recovery point.`
            : `${vm.name} has no recovery point${selection.kind === 'at' ? ` at or before ${selection.time}` : ''}: protect it and let a copy finish first.`;
      return { vmId, vm: vm ?? null, point, problem };
    }),
  );
}

function failedVm(name: string, vmId: string, failure: string): DrillVmResult {
  return {
    vmId,
    vm: name,
    recoveryPointId: '',
    recoveryPointTime: '',
    status: 'failed',
    checks: [],
    screenshot: null,
    recoveredSeconds: null,
    failure,
    unverified: null,
  };
}
