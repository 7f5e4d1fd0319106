/** The drill wizard's model: boot-order groups, checks and schedules in plain words. Pure, unit-tested. */
import type { CheckEvidence, Drill, DrillStep, GroupGate, PlanCheck, PlanGroup } from '../../core/contract/drills';
import { formatDuration } from '../format';

export interface DraftGroup {
  name: string;
  vmIds: string[];
  then: GroupGate;
}

/** Moves a VM to another group at a position (drag and drop, or the keyboard's move buttons); empty groups vanish. */
export function moveVm(groups: readonly DraftGroup[], vmId: string, toGroup: number, toIndex?: number): DraftGroup[] {
  const without = groups.map((g) => ({ ...g, vmIds: g.vmIds.filter((id) => id !== vmId) }));
  if (toGroup >= without.length) without.push({ name: `Group ${without.length + 1}`, vmIds: [], then: { kind: 'none' } });
  const target = without[toGroup]!;
  const at = Math.min(toIndex ?? target.vmIds.length, target.vmIds.length);
  target.vmIds.splice(at, 0, vmId);
  return renumber(without.filter((g) => g.vmIds.length > 0));
}

/** Groups named "Group N" follow their position; names the user typed are kept. */
function renumber(groups: DraftGroup[]): DraftGroup[] {
  return groups.map((g, i) => (/^Group \d+$/.test(g.name) ? { ...g, name: `Group ${i + 1}` } : g));
}

/** Keeps the groups in step with the chosen VMs: removed VMs leave, new ones join the last group. */
export function syncGroups(groups: readonly DraftGroup[], vmIds: readonly string[]): DraftGroup[] {
  const wanted = new Set(vmIds);
  const kept = groups.map((g) => ({ ...g, vmIds: g.vmIds.filter((id) => wanted.has(id)) })).filter((g) => g.vmIds.length > 0);
  const placed = new Set(kept.flatMap((g) => g.vmIds));
  const added = vmIds.filter((id) => !placed.has(id));
  if (added.length === 0) return renumber(kept);
  if (kept.length === 0) return [{ name: 'Group 1', vmIds: [...added], then: { kind: 'none' } }];
  const last = kept[kept.length - 1]!;
  return renumber([...kept.slice(0, -1), { ...last, vmIds: [...last.vmIds, ...added] }]);
}

export interface CheckChoice {
  heartbeat: boolean;
  ports: number[];
  vaultVerify: boolean;
}

export const DEFAULT_CHECKS: CheckChoice = { heartbeat: false, ports: [], vaultVerify: true };

export function checksOf(choice: CheckChoice): PlanCheck[] {
  return [
    { kind: 'boot' },
    ...(choice.heartbeat ? [{ kind: 'heartbeat' as const, timeoutSeconds: 300 }] : []),
    ...choice.ports.map((port) => ({ kind: 'tcp' as const, port, timeoutSeconds: 120 })),
    ...(choice.vaultVerify ? [{ kind: 'vault-verify' as const }] : []),
  ];
}

export function choiceOf(checks: readonly PlanCheck[]): CheckChoice {
  return {
    heartbeat: checks.some((c) => c.kind === 'heartbeat'),
    ports: checks.flatMap((c) => (c.kind === 'tcp' ? [c.port] : [])),
    vaultVerify: checks.some((c) => c.kind === 'vault-verify'),
  };
}

export function toPlanGroups(groups: readonly DraftGroup[], checks: Record<string, CheckChoice>): PlanGroup[] {
  return groups.map((g) => ({
    name: g.name,
    then: g.then,
    vms: g.vmIds.map((vmId) => ({ vmId, checks: checksOf(checks[vmId] ?? DEFAULT_CHECKS) })),
  }));
}

export function gateWords(gate: GroupGate): string {
  if (gate.kind === 'delay') return `wait ${formatDuration(gate.seconds)}`;
  if (gate.kind === 'heartbeat') return 'wait until they answer';
  return 'go on at once';
}

export const SCHEDULES: readonly { value: string; label: string; cron: string | null }[] = [
  { value: 'none', label: 'Only when I start one', cron: null },
  { value: 'monthly', label: 'Monthly (1st, 06:00)', cron: '0 6 1 * *' },
  { value: 'quarterly', label: 'Quarterly (1st of Jan/Apr/Jul/Oct, 06:00)', cron: '0 6 1 1,4,7,10 *' },
  { value: 'weekly', label: 'Weekly (Sunday, 06:00)', cron: '0 6 * * 0' },
];

export function scheduleWords(cron: string | null): string {
  if (cron === null) return 'On demand only';
  return SCHEDULES.find((s) => s.cron === cron)?.label ?? `Cron ${cron}`;
}

export type Verdict = 'met' | 'missed' | 'unknown';

/** A measured value against its target: what the result page colours green or red. */
export function verdict(seconds: number | null, targetSeconds: number | null): Verdict {
  if (seconds === null || targetSeconds === null) return 'unknown';
  return seconds <= targetSeconds ? 'met' : 'missed';
}

/** Share of the drill done, for the live progress bar: finished steps over steps seen so far, never 100 until it ends. */
export function drillProgress(drill: Pick<Drill, 'status'>, steps: readonly DrillStep[]): number {
  if (drill.status !== 'running') return 100;
  if (steps.length === 0) return 2;
  const finished = steps.filter((s) => s.status !== 'running').length;
  return Math.min(95, Math.max(2, (finished / (steps.length + 1)) * 100));
}

/**
 * The recovery time a drill achieved, or null when it is not one: RTO is "start until the checks pass", so a
 * drill that did not pass (unverified, failed, stopped) has no measured RTO, whatever the engine recorded.
 */
export function achievedRto(drill: Pick<Drill, 'status' | 'rtoSeconds'>): number | null {
  return drill.status === 'passed' ? drill.rtoSeconds : null;
}

export type Tone = 'ok' | 'warn' | 'bad';

/** The result page's headline for a finished drill: a few plain words and how it reads (green, yellow, red). */
export function drillOutcome(drill: Pick<Drill, 'status' | 'vms'>): { tone: Tone; value: string; hint: string | null } {
  const count = (status: string): number => drill.vms.filter((v) => v.status === status).length;
  const vms = (n: number): string => `${n} VM${n === 1 ? '' : 's'}`;
  switch (drill.status) {
    case 'passed':
      return { tone: 'ok', value: 'Every VM came back', hint: null };
    case 'unverified':
      return { tone: 'warn', value: 'Started, not proven', hint: `${unprovenWords(drill)}. Not counted as a pass.` };
    case 'failed': {
      const failed = count('failed');
      return { tone: 'bad', value: failed ? `${vms(failed)} failed` : 'The drill failed', hint: null };
    }
    case 'cancelled':
      return { tone: 'bad', value: 'Stopped before the end', hint: null };
    default:
      return { tone: 'bad', value: 'Lifeboat stopped during the drill', hint: null };
  }
}

/** The VMs of a drill nothing proved, named for a sentence: "lab-web01", "a and b", "a, b, c and 2 more". */
export function unprovenVms(drill: Pick<Drill, 'vms'>): { names: string; count: number; parts: { name: string; after: string }[] } {
  const all = drill.vms.filter((v) => v.status === 'unverified').map((v) => v.vm);
  const shown = all.slice(0, all.length > 3 ? 3 : all.length);
  const parts = shown.map((name, i) => ({
    name,
    after:
      all.length > 3 ? (i < 2 ? ', ' : ` and ${all.length - 3} more`) : i < shown.length - 2 ? ', ' : i === shown.length - 2 ? ' and ' : '',
  }));
  return { names: parts.map((p) => p.name + p.after).join(''), count: all.length, parts };
}

/** "lab-web01 started, but nothing proved its guest came up". */
export function unprovenWords(drill: Pick<Drill, 'vms'>): string {
  const { names, count } = unprovenVms(drill);
  if (count === 0) return 'The VMs started, but nothing proved every guest came up';
  return `${names} started, but nothing proved ${count === 1 ? 'its guest' : 'their guests'} came up`;
}

const EVIDENCE_LABEL: Record<CheckEvidence['kind'], string> = {
  'serial-line': 'Serial console',
  'tcp-answer': 'HTTP answer',
  'screen-text': 'Screen text',
  'script-output': 'Script output',
  heartbeat: 'Heartbeat',
};

/** What a piece of evidence is, in the words the result page labels it with; a port's non-HTTP answer is a "Port answer". */
export function evidenceLabel(evidence: CheckEvidence): string {
  if (evidence.kind === 'tcp-answer' && !/^HTTP\//.test(evidence.text)) return 'Port answer';
  return EVIDENCE_LABEL[evidence.kind];
}
