import type { CheckEvidence } from '../contract/drills';
import type { WriteFormat } from '../disks/types';
import type { JobResource } from '../store/jobs';

/** Where a drill boots restored VMs: the QEMU sandbox, or the hypervisor's own isolated VMs. */
export interface DrillSandbox {
  /** The network isolation in words, for the evidence ("no network adapter", "private switch LB-Drill-…"). */
  readonly isolation: string;
  /** The disk format restores are written in for this sandbox. */
  readonly diskFormat: WriteFormat;
  /**
   * What boot() will create, known before it starts: recorded on the job first, so a drill killed mid-boot
   * (an upload to Azure takes minutes) still has them removed at the next start.
   */
  plannedResources?(spec: SandboxVmSpec): JobResource[];
  boot(spec: SandboxVmSpec, signal: AbortSignal): Promise<SandboxVm>;
  /** Releases the sandbox's own connections once the drill is done with it. */
  close?(): Promise<void>;
}

export interface SandboxVmSpec {
  name: string;
  /** File-safe and unique within the drill (derived from the VM's id): folders and files are named by it. */
  key?: string;
  /** Restored disk files, boot disk first. */
  disks: string[];
  memoryMiB: number;
  cpus: number;
  firmware: 'bios' | 'uefi';
  /** Guest TCP ports the plan's checks will try. */
  tcpPorts: number[];
  /** For in-guest checks through the hypervisor (PowerShell Direct, VMware guest operations); never logged. */
  guestCredential?: GuestCredential | null;
  /** The guest OS as the source hypervisor reported it ("Windows Server 2022", "Ubuntu Linux (64-bit)"). */
  guestOs?: string | null;
  /** Progress of long work inside boot (an upload), for the job's progress bar. */
  onProgress?(what: string, done: number, total: number): void;
}

export interface GuestCredential {
  username: string;
  password: string;
}

/**
 * passed: the guest itself proved something (a marker, a heartbeat, an answer); unverified: it ran but
 * nothing proved the guest is up; skipped: this sandbox cannot run the check (detail says why).
 */
export interface CheckResult {
  status: 'passed' | 'failed' | 'skipped' | 'unverified';
  detail: string;
  /** What to do when it did not pass: "add a TCP check for a port the guest serves". */
  fix?: string;
  /** The guest's own output behind the result, verbatim (trimmed). */
  evidence?: CheckEvidence[];
}

export interface BootCheckOptions {
  /** The guest's own readiness line or login prompt; defaults to Lifeboat's marker or a login prompt. */
  readyText?: string | null;
}

export interface SandboxVm {
  /** What to give back if the engine dies mid-drill. */
  readonly resources: JobResource[];
  /** How it was started, in words for the drill record (what was uploaded, the size, the network). */
  readonly started?: string;
  /**
   * Boot evidence from the guest itself: a readiness line on its serial console or screen, a heartbeat.
   * A VM that merely keeps running is `unverified`; a firmware or boot-loader failure is `failed`, fast.
   */
  checkBoot(timeoutSeconds: number, signal: AbortSignal, options?: BootCheckOptions): Promise<CheckResult>;
  checkHeartbeat(timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  checkTcp(port: number, timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  runScript(script: string, timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  /** How the recovered VM is reached from this machine, for plan scripts (null: not reachable by design). */
  readonly address?: { host: string; ports: Record<number, number> } | null;
  /** Writes a PNG of the console; false when the sandbox cannot take one. */
  screenshot(file: string): Promise<boolean>;
  stop(): Promise<void>;
  /** Removes the VM and its files; the drill then verifies nothing is left. */
  remove(): Promise<void>;
  /** True when nothing of this VM remains (process, registration, files). */
  isGone(): Promise<boolean>;
}
