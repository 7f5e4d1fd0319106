/**
 * What a drill records: the shape the drill engine stores and the auditor's workbook reads. NIST SP 800-84
 * §6.5 after-action report: scope (plan, VMs), tests run (checks), observations (step results, evidence),
 * measured RPO/RTO against targets, participants (operator), notes, action items.
 */

export type DrillKind = 'test' | 'planned' | 'unplanned' | 'failback';
/**
 * `unverified`: the drill finished and nothing failed, but at least one VM gave no positive proof that its
 * guest came up (no marker, heartbeat, answered port or in-guest result). Never counted as passed.
 */
export type DrillStatus = 'running' | 'passed' | 'unverified' | 'failed' | 'cancelled' | 'interrupted';

/** What a check saw in the guest, kept verbatim as evidence. */
export interface CheckEvidence {
  kind: 'serial-line' | 'tcp-answer' | 'screen-text' | 'script-output' | 'heartbeat';
  text: string;
}

export interface DrillCheck {
  name: string;
  kind: 'boot' | 'heartbeat' | 'tcp' | 'script' | 'vault-verify' | 'manual';
  /** `unverified`: it ran but saw nothing that proves the guest is up; `skipped`: this sandbox cannot run it. */
  status: 'passed' | 'failed' | 'skipped' | 'unverified';
  /** What was observed: "serial marker seen after 0.4 s", "port 443 refused". */
  detail: string;
  /** What to do about a check that did not pass. */
  fix?: string | null;
  /** The guest's own words behind the result: the serial line, the HTTP answer, the screen text. */
  evidence?: CheckEvidence[];
  at: string;
}

export interface DrillVmResult {
  vmId: string | null;
  vm: string;
  recoveryPointId: string;
  recoveryPointTime: string;
  /** passed: positive evidence from the guest and every check passed; unverified: it ran, nothing proved it came up. */
  status: 'passed' | 'unverified' | 'failed';
  checks: DrillCheck[];
  /** Absolute path of the console screenshot PNG kept as evidence, if one was captured. */
  screenshot: string | null;
  /** Why a VM is unverified, in plain words, and what to change so the next drill can prove it. */
  unverified?: { reason: string; fix: string } | null;
  /** Seconds from the drill's start until this VM's checks passed. */
  recoveredSeconds: number | null;
  /** Why it failed, in plain words. */
  failure: string | null;
}

export interface ActionItem {
  id: string;
  source: 'drill' | 'rpo' | 'job';
  /** The VM, plan or policy it is about. */
  subject: string;
  description: string;
  owner: string | null;
  status: 'open' | 'done';
  createdAt: string;
  closedAt: string | null;
  drillId: string | null;
}

export interface Drill {
  id: string;
  planId: string | null;
  plan: string;
  kind: DrillKind;
  status: DrillStatus;
  startedAt: string;
  finishedAt: string | null;
  operator: string;
  notes: string | null;
  /** Worst over the VMs: drill start minus the recovery point's time. */
  rpoSeconds: number | null;
  /** Drill start until every VM's checks passed. */
  rtoSeconds: number | null;
  rpoTargetSeconds: number | null;
  rtoTargetSeconds: number | null;
  /** The isolated network the VMs were started on ("none: NICs disconnected", "private switch LB-Drill-…"). */
  isolation: string;
  cleanupConfirmed: boolean;
  vms: DrillVmResult[];
  /** A failure of the drill itself rather than of one VM (a plan script), in plain words. */
  failure?: string | null;
}

export interface DrillStep {
  id: string;
  drillId: string;
  seq: number;
  vm: string | null;
  name: string;
  status: 'running' | 'passed' | 'failed' | 'skipped' | 'unverified';
  startedAt: string;
  finishedAt: string | null;
  detail: string | null;
}

/** A check run against a recovered VM inside the sandbox. */
export type PlanCheck =
  /** readyText: the guest's own readiness line or login prompt on its serial console or screen. */
  | { kind: 'boot'; readyText?: string | null }
  | { kind: 'heartbeat'; timeoutSeconds: number }
  | { kind: 'tcp'; port: number; timeoutSeconds: number }
  | { kind: 'script'; name: string; script: string; timeoutSeconds: number }
  | { kind: 'vault-verify' };

export interface PlanVm {
  vmId: string;
  checks: PlanCheck[];
  /** A sealed guest credential (saveGuestCredential) for in-guest checks through the hypervisor. */
  guestCredentialId?: string | null;
}

/** A script run on the Lifeboat machine with the drill's context as JSON on stdin. */
export interface PlanScript {
  /** Full path of the executable or script file (.ps1 through PowerShell, .sh through bash, .js/.cjs/.mjs through Node). */
  path: string;
  args: string[];
  timeoutSeconds: number;
}

/** What happens before the next group starts. */
export type GroupGate = { kind: 'none' } | { kind: 'delay'; seconds: number } | { kind: 'heartbeat'; timeoutSeconds: number };

export interface PlanGroup {
  name: string;
  vms: PlanVm[];
  then: GroupGate;
  /** Before the group's VMs start; a failing one fails the group and its VMs are not started. */
  preScript?: PlanScript | null;
  /** After the group's VMs are checked; a failing one fails the drill (cleanup still runs). */
  postScript?: PlanScript | null;
}

export type PointSelection = { kind: 'latest' } | { kind: 'latest-app-consistent' } | { kind: 'at'; time: string };

export interface RecoveryPlan {
  id: string;
  name: string;
  /** Boot order: groups start one after another; VMs within a group start together. */
  groups: PlanGroup[];
  points: PointSelection;
  /** Source network → network at the recovery site (real failover). Drills always use the isolated network. */
  networkMapping: { source: string; recovery: string }[];
  /** The isolated network drills attach VMs to; null: VMs start with no network at all. */
  drillNetwork: string | null;
  /** Steps the operator performs and ticks off during a drill ("call the accounting team"). */
  manualSteps: string[];
  preScript: PlanScript | null;
  postScript: PlanScript | null;
  rpoTargetMinutes: number;
  rtoTargetMinutes: number;
  /** Scheduled drills, e.g. "0 6 1 * *" (monthly); null: on demand only. */
  schedule: string | null;
  /**
   * Where a real failover starts the VMs: a registered host's id, or null for this machine (the Lifeboat
   * machine's QEMU standby), which needs nothing of the lost site.
   */
  recoveryHostId: string | null;
  createdAt: string;
  updatedAt: string;
}
