/**
 * What a drill records: the shape the drill engine stores and the auditor's workbook reads. NIST SP 800-84
 * §6.5 after-action report: scope (plan, VMs), tests run (checks), observations (step results, evidence),
 * measured RPO/RTO against targets, participants (operator), notes, action items.
 */

export type DrillKind = 'test' | 'planned' | 'unplanned' | 'failback';
export type DrillStatus = 'running' | 'passed' | 'failed' | 'cancelled' | 'interrupted';

export interface DrillCheck {
  name: string;
  kind: 'boot' | 'heartbeat' | 'tcp' | 'script' | 'vault-verify' | 'manual';
  status: 'passed' | 'failed' | 'skipped';
  /** What was observed: "serial marker seen after 0.4 s", "port 443 refused". */
  detail: string;
  at: string;
}

export interface DrillVmResult {
  vmId: string | null;
  vm: string;
  recoveryPointId: string;
  recoveryPointTime: string;
  status: 'passed' | 'failed';
  checks: DrillCheck[];
  /** Absolute path of the console screenshot PNG kept as evidence, if one was captured. */
  screenshot: string | null;
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
}

export interface DrillStep {
  id: string;
  drillId: string;
  seq: number;
  vm: string | null;
  name: string;
  status: 'running' | 'passed' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt: string | null;
  detail: string | null;
}

/** A check run against a recovered VM inside the sandbox. */
export type PlanCheck =
  | { kind: 'boot' }
  | { kind: 'heartbeat'; timeoutSeconds: number }
  | { kind: 'tcp'; port: number; timeoutSeconds: number }
  | { kind: 'script'; name: string; script: string; timeoutSeconds: number }
  | { kind: 'vault-verify' };

export interface PlanVm {
  vmId: string;
  checks: PlanCheck[];
}

/** What happens before the next group starts. */
export type GroupGate = { kind: 'none' } | { kind: 'delay'; seconds: number } | { kind: 'heartbeat'; timeoutSeconds: number };

export interface PlanGroup {
  name: string;
  vms: PlanVm[];
  then: GroupGate;
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
  preScript: string | null;
  postScript: string | null;
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
