import { LifeboatError } from '../contract/errors';
import type { GuestHeartbeat, HostKind } from '../contract/hosts';
import type { WriteFormat } from '../disks/types';
import type { GuestScriptResult, GuestTcpResult, HeartbeatReading, Hypervisor } from '../hypervisors/types';
import type { CheckResult, DrillSandbox, GuestCredential, SandboxVm, SandboxVmSpec } from './sandbox';

export interface HypervisorSandboxOptions {
  hypervisor: Hypervisor;
  hostId: string;
  diskFormat: WriteFormat;
  /** Hyper-V: the private switch drills use; null: the VM gets no network adapter at all. */
  isolatedNetwork: string | null;
  /**
   * Makes restored files visible to the host: Hyper-V on this machine reads them where they are; a vSphere
   * host needs them uploaded to a datastore. Returns the host's names for them and how to remove them.
   */
  stage(files: string[], vmName: string, signal: AbortSignal): Promise<{ hostPaths: string[]; remove(): Promise<void> }>;
  /** Seconds between heartbeat polls of the host. */
  pollSeconds?: number;
}

/**
 * Drills on the production hypervisor, isolated: Hyper-V VMs with no adapter or on a private switch, vSphere
 * VMs with no NIC. The VM is created powered off from the restored disks, started, watched through the
 * host's heartbeat (integration services / VMware Tools), then turned off and deleted.
 */
export function hypervisorDrillSandbox(options: HypervisorSandboxOptions): DrillSandbox {
  const { hypervisor, isolatedNetwork } = options;
  const poll = (options.pollSeconds ?? 5) * 1000;
  return {
    isolation: isolatedNetwork ? `isolated network "${isolatedNetwork}" (private switch: no route to production)` : 'no network adapter',
    diskFormat: options.diskFormat,
    async boot(spec: SandboxVmSpec, signal: AbortSignal): Promise<SandboxVm> {
      const staged = await options.stage(spec.disks, spec.name, signal);
      const created = await hypervisor.createIsolatedVm({
        name: spec.name,
        cpus: spec.cpus,
        memoryMiB: spec.memoryMiB,
        firmware: spec.firmware,
        disks: staged.hostPaths,
        ...(isolatedNetwork ? { isolatedNetwork } : {}),
      });
      await hypervisor.powerOn(created.vmId);
      return hostSandboxVm(
        hypervisor,
        options.hostId,
        created.vmId,
        `drill VM ${created.name}`,
        poll,
        signal,
        async () => {
          await hypervisor.powerOff(created.vmId, { hard: true }).catch(() => undefined);
          await hypervisor.removeVm(created.vmId);
          await staged.remove();
        },
        { guestCredential: spec.guestCredential ?? null, kind: hypervisor.kind },
      );
    },
    close: () => hypervisor.close(),
  };
}

export interface HostSandboxVmOptions {
  /** The guest account for in-guest checks (PowerShell Direct); null: those checks are skipped with a fix. */
  guestCredential?: GuestCredential | null;
  /** Which hypervisor, for the wording; read from the hypervisor when absent. */
  kind?: HostKind;
}

/** How each hypervisor names what reports from inside the guest. */
const GUEST_AGENT: Record<string, { name: string; fix: string }> = {
  hyperv: {
    name: 'Hyper-V integration services',
    fix: 'Install Hyper-V integration services in the guest, or add a TCP or in-guest check.',
  },
  vsphere: {
    name: 'VMware Tools',
    fix: "Install VMware Tools in the guest: on vSphere its heartbeat is what proves the guest came up (Lifeboat's TCP and in-guest checks also run through it).",
  },
};
const ANY_AGENT = {
  name: 'integration services or VMware Tools',
  fix: 'Install Hyper-V integration services in the guest (or VMware Tools on vSphere), or add a TCP or in-guest check.',
};

/**
 * Checks and evidence of a VM on a hypervisor, read through the host: boot and heartbeat from integration
 * services / VMware Tools, TCP ports and check scripts from inside the guest (Hyper-V: PowerShell Direct, with
 * the plan's guest account). A check passes only on the guest's own answer; a VM that runs but cannot say so
 * is `unverified`. Drills use it for their isolated VMs, real failovers for VMs started on a host.
 */
export function hostSandboxVm(
  hypervisor: Hypervisor,
  hostId: string,
  vmId: string,
  description: string,
  poll: number,
  signal: AbortSignal,
  remove: () => Promise<void>,
  options: HostSandboxVmOptions = {},
): SandboxVm {
  // A proxied hypervisor (failover's per-call connection) answers every property with a function: the kind and
  // the optional methods are only trusted when they look like themselves.
  const kind = options.kind ?? (typeof hypervisor.kind === 'string' ? hypervisor.kind : null);
  const agent = (kind && GUEST_AGENT[kind]) || ANY_AGENT;
  const credential = options.guestCredential ?? null;

  const readHeartbeat = async (): Promise<HeartbeatReading> => {
    const detailed = await optional(() => hypervisor.heartbeatEvidence?.(vmId));
    if (detailed !== UNSUPPORTED && detailed) return detailed;
    const state = await hypervisor.heartbeat(vmId);
    return { state, hostSaid: `heartbeat ${state}` };
  };
  const heartbeatUntil = async (accept: (state: GuestHeartbeat) => boolean, timeoutSeconds: number): Promise<HeartbeatReading> => {
    const deadline = performance.now() + timeoutSeconds * 1000;
    let reading = await readHeartbeat();
    while (!accept(reading.state) && performance.now() < deadline) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, poll)); // the host is polled, as its own console does
      reading = await readHeartbeat();
    }
    return reading;
  };

  return {
    resources: [{ kind: 'vm', hostId, ref: { vmId }, description }],
    async checkBoot(timeoutSeconds): Promise<CheckResult> {
      const reading = await heartbeatUntil((s) => s === 'ok' || s === 'degraded' || s === 'not-installed', timeoutSeconds);
      return bootCheckResult(reading, timeoutSeconds, agent);
    },
    async checkHeartbeat(timeoutSeconds): Promise<CheckResult> {
      const reading = await heartbeatUntil((s) => s === 'ok' || s === 'not-installed', timeoutSeconds);
      return heartbeatCheckResult(reading, timeoutSeconds, agent);
    },
    async checkTcp(port, timeoutSeconds): Promise<CheckResult> {
      if (typeof hypervisor.guestTcpCheck !== 'function') return unsupported(kind, `Port ${port}`);
      if (!credential) return noCredential(kind, `Port ${port}`, `test port ${port} from inside the guest`);
      signal.throwIfAborted();
      const result = await guestCall<GuestTcpResult>(() => hypervisor.guestTcpCheck?.(vmId, port, credential, timeoutSeconds));
      if (result === UNSUPPORTED) return unsupported(kind, `Port ${port}`);
      if ('failure' in result) return result.failure;
      return tcpCheckResult(port, timeoutSeconds, result);
    },
    async runScript(script, timeoutSeconds): Promise<CheckResult> {
      if (typeof hypervisor.guestScript !== 'function') return unsupported(kind, 'The check script');
      if (!credential) return noCredential(kind, 'The check script', 'run the check script inside the guest');
      signal.throwIfAborted();
      const result = await guestCall<GuestScriptResult>(() => hypervisor.guestScript?.(vmId, script, credential, timeoutSeconds));
      if (result === UNSUPPORTED) return unsupported(kind, 'The check script');
      if ('failure' in result) return result.failure;
      return scriptCheckResult(timeoutSeconds, result);
    },
    async screenshot(): Promise<boolean> {
      return false;
    },
    async stop() {
      await hypervisor.powerOff(vmId, { hard: true });
    },
    remove,
    async isGone() {
      return !(await hypervisor.listVms()).some((listed) => listed.externalId === vmId);
    },
  };
}

type GuestAgent = { name: string; fix: string };
type Kind = HostKind | null;

const heartbeatEvidence = (reading: HeartbeatReading) => [{ kind: 'heartbeat' as const, text: `${reading.state}: ${reading.hostSaid}` }];
const noHeartbeatFix = (agent: GuestAgent): string =>
  `Open the VM's console on the host during the next drill to see where it stops (boot loader, blue screen, recovery screen); check that the restored boot disk and the firmware (BIOS/UEFI) match the original, and that ${agent.name} are enabled for the VM.`;

/** A boot check from the last heartbeat: degraded still proves the guest is up; no agent proves nothing. */
function bootCheckResult(reading: HeartbeatReading, timeoutSeconds: number, agent: GuestAgent): CheckResult {
  if (reading.state === 'ok')
    return { status: 'passed', detail: 'The guest answered its heartbeat.', evidence: heartbeatEvidence(reading) };
  if (reading.state === 'degraded') {
    return {
      status: 'passed',
      detail: 'The guest answered its heartbeat, degraded: it is up, but one of its services reports a problem.',
      fix: "Look at the guest's event log (or the VM's integration services status) for the service that is not running.",
      evidence: heartbeatEvidence(reading),
    };
  }
  if (reading.state === 'not-installed') {
    return {
      status: 'unverified',
      detail: `The VM is running but has no ${agent.name}, so nothing proves the guest came up.`,
      fix: agent.fix,
      evidence: heartbeatEvidence(reading),
    };
  }
  return {
    status: 'failed',
    detail: `No guest heartbeat within ${timeoutSeconds} s (last state: ${reading.state}).`,
    fix: noHeartbeatFix(agent),
    evidence: heartbeatEvidence(reading),
  };
}

function heartbeatCheckResult(reading: HeartbeatReading, timeoutSeconds: number, agent: GuestAgent): CheckResult {
  if (reading.state === 'ok') return { status: 'passed', detail: 'Guest heartbeat OK.', evidence: heartbeatEvidence(reading) };
  if (reading.state === 'not-installed') {
    return {
      status: 'unverified',
      detail: `The guest has no ${agent.name}, so it has no heartbeat to read.`,
      fix: agent.fix,
      evidence: heartbeatEvidence(reading),
    };
  }
  return {
    status: 'failed',
    detail: `Guest heartbeat ${reading.state} after ${timeoutSeconds} s.`,
    fix: noHeartbeatFix(agent),
    evidence: heartbeatEvidence(reading),
  };
}

export function tcpCheckResult(port: number, timeoutSeconds: number, result: GuestTcpResult): CheckResult {
  if (result.outcome === 'answered') {
    const answer = printable(result.answer);
    return {
      status: 'passed',
      detail: answer
        ? `Port ${port} answered inside the guest: ${firstLine(answer)}`
        : `Port ${port} accepted a connection inside the guest.`,
      evidence: [{ kind: 'tcp-answer', text: answer ? `port ${port}: ${answer}` : `port ${port}: connected` }],
    };
  }
  const what =
    result.outcome === 'refused'
      ? `refused inside the guest (${result.message})`
      : `did not answer inside the guest within ${timeoutSeconds} s`;
  return {
    status: 'failed',
    detail: `Port ${port} ${what}.`,
    fix: `Check that the service that listens on port ${port} starts by itself in the restored guest (its startup type, and its dependencies that may need the production network), or give it a longer timeout.`,
  };
}

/** Passes when the script wrote no error and ended with exit code 0; its output is kept either way. */
export function scriptCheckResult(timeoutSeconds: number, result: GuestScriptResult): CheckResult {
  const output = printable(result.output);
  const evidence = output ? [{ kind: 'script-output' as const, text: output }] : [];
  if (result.outcome === 'succeeded') {
    return {
      status: 'passed',
      detail: output
        ? `The check script succeeded inside the guest: ${firstLine(output)}`
        : 'The check script succeeded inside the guest (it printed nothing).',
      evidence,
    };
  }
  if (result.outcome === 'timeout') {
    return {
      status: 'failed',
      detail: `The check script was still running inside the guest after ${timeoutSeconds} s and was stopped.`,
      fix: 'Make the script finish sooner, or give the check a longer timeout.',
      evidence,
    };
  }
  const reason = result.errors[0] ? firstLine(printable(result.errors[0])).replace(/[.\s]+$/, '') : `exit code ${result.exitCode}`;
  return {
    status: 'failed',
    detail: `The check script failed inside the guest: ${reason}${result.errors[0] && result.exitCode ? ` (exit code ${result.exitCode})` : ''}.`,
    fix: 'Run the script in the guest by hand to see why; it passes when it writes no error and ends with exit code 0.',
    evidence: [...evidence, ...result.errors.map((e) => ({ kind: 'script-output' as const, text: printable(e) }))],
  };
}

function noCredential(kind: Kind, what: string, action: string): CheckResult {
  return {
    status: 'skipped',
    detail: `${what}: not checked, the plan has no guest credential for this VM (${kind === 'hyperv' ? 'PowerShell Direct' : 'the host'} signs in to the guest to ${action}).`,
    fix: `Add a guest credential to this VM in the recovery plan (an account of the guest, e.g. ".\\Administrator"), so the next drill can ${action}.`,
  };
}

function unsupported(kind: Kind, what: string): CheckResult {
  if (kind === 'vsphere') {
    return {
      status: 'skipped',
      detail: `${what}: not checked, Lifeboat does not run checks inside vSphere guests yet (VMware guest operations are not implemented), and the isolated VM has no network to reach it by.`,
      fix: 'Rely on the VMware Tools heartbeat for vSphere VMs for now (a heartbeat check), or drill this VM in the QEMU sandbox, where ports are tested.',
    };
  }
  return {
    status: 'skipped',
    detail: `${what}: not checked, this host connection cannot reach inside the guest, and the isolated VM has no network to reach it by.`,
    fix: 'Use a heartbeat check for this VM, or drill it in the QEMU sandbox, where ports are tested.',
  };
}

/** A guest call, or UNSUPPORTED, or a failed check carrying the typed error's message and fix. */
async function guestCall<T>(call: () => Promise<T> | undefined): Promise<T | typeof UNSUPPORTED | { failure: CheckResult }> {
  try {
    const result = await optional(call);
    return result === undefined ? UNSUPPORTED : result;
  } catch (error) {
    if (!(error instanceof LifeboatError)) throw error;
    const failure: CheckResult = { status: 'failed', detail: error.message };
    if (error.fix) failure.fix = error.fix;
    return { failure };
  }
}

const UNSUPPORTED = Symbol('unsupported');

/**
 * Calls an optional Hypervisor method. Missing (undefined), or missing behind a proxy that forwards every
 * property (its call fails with a TypeError before reaching a host): UNSUPPORTED.
 */
async function optional<T>(call: () => Promise<T> | undefined): Promise<T | typeof UNSUPPORTED> {
  let pending: Promise<T> | undefined;
  try {
    pending = call();
  } catch (error) {
    if (error instanceof TypeError) return UNSUPPORTED;
    throw error;
  }
  if (pending === undefined) return UNSUPPORTED;
  try {
    return await pending;
  } catch (error) {
    if (error instanceof TypeError && /is not a function|reading 'apply'/.test(error.message)) return UNSUPPORTED;
    throw error;
  }
}

/** The guest's bytes as text to keep: control characters dropped (newlines kept), trimmed, capped. */
function printable(text: string | null): string {
  if (!text) return '';
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex -- what a port or a script sends is not always text
      .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '')
      .trim()
      .slice(0, 4000)
  );
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 160 ? `${line.slice(0, 160)}…` : line.trim();
}
