import type { WriteFormat } from '../disks/types';
import type { JobResource } from '../store/jobs';

/** Where a drill boots restored VMs: the QEMU sandbox, or the hypervisor's own isolated VMs. */
export interface DrillSandbox {
  /** The network isolation in words, for the evidence ("no network adapter", "private switch LB-Drill-…"). */
  readonly isolation: string;
  /** The disk format restores are written in for this sandbox. */
  readonly diskFormat: WriteFormat;
  boot(spec: SandboxVmSpec, signal: AbortSignal): Promise<SandboxVm>;
  /** Releases the sandbox's own connections once the drill is done with it. */
  close?(): Promise<void>;
}

export interface SandboxVmSpec {
  name: string;
  /** Restored disk files, boot disk first. */
  disks: string[];
  memoryMiB: number;
  cpus: number;
  firmware: 'bios' | 'uefi';
  /** Guest TCP ports the plan's checks will try. */
  tcpPorts: number[];
}

export interface CheckResult {
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
}

export interface SandboxVm {
  /** What to give back if the engine dies mid-drill. */
  readonly resources: JobResource[];
  /** Boot evidence: a serial marker (lab and test disks), or the VM still running after a grace period. */
  checkBoot(timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  checkHeartbeat(timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  checkTcp(port: number, timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  runScript(script: string, timeoutSeconds: number, signal: AbortSignal): Promise<CheckResult>;
  /** Writes a PNG of the console; false when the sandbox cannot take one. */
  screenshot(file: string): Promise<boolean>;
  stop(): Promise<void>;
  /** Removes the VM and its files; the drill then verifies nothing is left. */
  remove(): Promise<void>;
  /** True when nothing of this VM remains (process, registration, files). */
  isGone(): Promise<boolean>;
}
