import type { Clock } from '../clock';
import { toLifeboatError } from '../contract/errors';
import type { DrillCheck, DrillStep, PlanCheck } from '../contract/drills';
import type { JobRunContext } from '../jobs/queue';
import type { VaultPort } from '../replication/vault-port';
import type { DrillsStore } from '../store/drills';
import type { CatalogPoint } from '../store/recovery-points';
import type { CheckResult, SandboxVm } from './sandbox';

/**
 * `describe` may give a step that finished its work another outcome than passed: skipped (nothing could be
 * done from here), unverified (it ran but proved nothing) or failed (a check that ran and failed).
 */
export type StepOutcome = string | null | { skipped: string } | { status: Exclude<DrillStep['status'], 'running'>; detail: string };
export type StepFn = <T>(name: string, vm: string | null, work: () => Promise<T>, describe?: (value: T) => StepOutcome) => Promise<T>;
export type NoteFn = (name: string, vm: string | null, status: DrillStep['status'], detail: string) => void;

/**
 * Timed steps of a drill or failover record: each is stored as running when it starts and finished with its
 * outcome, so an interrupted run still shows how far it got and how long each step took.
 */
export function stepRecorder(drillId: string, store: DrillsStore, clock: Clock, run: JobRunContext): { step: StepFn; note: NoteFn } {
  let seq = 0;
  const step: StepFn = async (name, vm, work, describe) => {
    const record = store.addStep({
      drillId,
      seq: ++seq,
      vm,
      name,
      status: 'running',
      startedAt: clock.now().toISOString(),
      finishedAt: null,
      detail: null,
    });
    run.stepped?.();
    run.log(`${vm ? `${vm}: ` : ''}${name}`);
    try {
      const value = await work();
      const outcome = describe ? describe(value) : null;
      const at = clock.now().toISOString();
      if (outcome === null || typeof outcome === 'string') store.finishStep(record.id, 'passed', at, outcome);
      else if ('skipped' in outcome) store.finishStep(record.id, 'skipped', at, outcome.skipped);
      else store.finishStep(record.id, outcome.status, at, outcome.detail);
      run.stepped?.();
      return value;
    } catch (error) {
      const failure = toLifeboatError(error);
      store.finishStep(record.id, 'failed', clock.now().toISOString(), failure.message);
      run.stepped?.();
      run.log(`  failed: ${failure.message}`);
      throw error;
    }
  };
  const note: NoteFn = (name, vm, status, detail) => {
    const at = clock.now().toISOString();
    const record = store.addStep({ drillId, seq: ++seq, vm, name, status: 'running', startedAt: at, finishedAt: null, detail: null });
    store.finishStep(record.id, status, at, detail);
    run.stepped?.();
  };
  return { step, note };
}

/** How long a VM gets to show it came up (a guest that goes quiet earlier is judged then). */
const BOOT_TIMEOUT_SECONDS = 300;

/** One plan check against a started VM: the same checks prove a drill and a real failover. */
export async function runPlanCheck(
  check: PlanCheck,
  vm: SandboxVm,
  vault: VaultPort | null,
  point: CatalogPoint | null,
  signal: AbortSignal,
): Promise<CheckResult> {
  switch (check.kind) {
    case 'boot':
      return vm.checkBoot(BOOT_TIMEOUT_SECONDS, signal, { readyText: check.readyText ?? null });
    case 'heartbeat':
      return vm.checkHeartbeat(check.timeoutSeconds, signal);
    case 'tcp':
      return vm.checkTcp(check.port, check.timeoutSeconds, signal);
    case 'script':
      return vm.runScript(check.script, check.timeoutSeconds, signal);
    case 'vault-verify': {
      if (!vault || !point) return { status: 'skipped', detail: 'This VM was not restored from the vault.' };
      const verified = await vault.verifyPoint(point.id, signal);
      return verified.ok
        ? { status: 'passed', detail: `Every block of point ${point.id} re-read and matched its hash.` }
        : { status: 'failed', detail: verified.problem ?? 'The vault data check failed.' };
    }
  }
}

/** A VM's checks as run: the boot check first, always — it is how a drill tells a VM that came up from one that did not. */
export function withBootCheck(checks: PlanCheck[]): PlanCheck[] {
  const boot = checks.find((c) => c.kind === 'boot') ?? { kind: 'boot' as const };
  return [boot, ...checks.filter((c) => c.kind !== 'boot')];
}

/** A check's result as the drill records it, and as its step ends. */
export function recordCheck(check: PlanCheck, result: CheckResult, at: string): DrillCheck {
  return {
    name: checkName(check),
    kind: check.kind,
    status: result.status,
    detail: result.detail,
    fix: result.fix ?? null,
    evidence: result.evidence ?? [],
    at,
  };
}

export function checkStepOutcome(result: CheckResult): StepOutcome {
  const detail = result.fix && result.status !== 'passed' ? `${result.detail} Fix: ${result.fix}` : result.detail;
  return result.status === 'passed' ? detail : { status: result.status, detail };
}

export function checkName(check: PlanCheck): string {
  switch (check.kind) {
    case 'boot':
      return 'Boot';
    case 'heartbeat':
      return 'Guest heartbeat';
    case 'tcp':
      return `TCP port ${check.port}`;
    case 'script':
      return `Script: ${check.name}`;
    case 'vault-verify':
      return 'Vault data verification';
  }
}

export function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}

export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // A signal aborted before the wait began fires no event: without this check a polling loop would never stop.
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
