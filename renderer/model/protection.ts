/**
 * The protect wizard's choices in plain words, and the first-copy estimate. Pure functions: the wizard
 * renders them and unit tests check them.
 */
import type { Vm } from '../../core/contract/hosts';
import {
  intervalMinutesFor,
  type BandwidthWindow,
  type Consistency,
  type Job,
  type Policy,
  type Retention,
} from '../../core/contract/protection';
import type { VaultLocation, VaultTarget } from '../../core/contract/types';
import { formatBytes, formatDuration, formatRate } from '../format';

export interface RpoChoice {
  minutes: number;
  label: string;
  /** Who this suits, in a few words. */
  hint: string;
}

export const RPO_CHOICES: readonly RpoChoice[] = [
  { minutes: 15, label: '15 minutes', hint: 'busy file and database servers' },
  { minutes: 60, label: '1 hour', hint: 'most office servers' },
  { minutes: 4 * 60, label: '4 hours', hint: 'servers that change little' },
  { minutes: 24 * 60, label: '1 day', hint: 'test machines, archives' },
];

export function minutesInWords(minutes: number): string {
  if (minutes % (24 * 60) === 0) return minutes === 24 * 60 ? '1 day' : `${minutes / (24 * 60)} days`;
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** "Lose at most 15 minutes of work": what an RPO means to someone who has never heard the word. */
export function rpoSentence(minutes: number): string {
  return `Lose at most ${minutesInWords(minutes)} of work`;
}

export interface RetentionPreset {
  id: string;
  label: string;
  retention: Retention;
}

export const RETENTION_PRESETS: readonly RetentionPreset[] = [
  { id: 'standard', label: 'Standard', retention: { keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 } },
  { id: 'short', label: 'Short', retention: { keepLast: 24, daily: 7, weekly: 0, monthly: 0, yearly: 0 } },
  { id: 'compliance', label: 'Audit (7 years)', retention: { keepLast: 24, daily: 14, weekly: 8, monthly: 24, yearly: 7 } },
];

export function presetOf(retention: Retention): string {
  return RETENTION_PRESETS.find((preset) => sameRetention(preset.retention, retention))?.id ?? 'custom';
}

function sameRetention(a: Retention, b: Retention): boolean {
  return a.keepLast === b.keepLast && a.daily === b.daily && a.weekly === b.weekly && a.monthly === b.monthly && a.yearly === b.yearly;
}

/** "the newest 24 copies, plus one a day for 7 days and one a month for 12 months". */
export function retentionSentence(retention: Retention): string {
  const parts = [
    retention.daily ? `one a day for ${retention.daily} ${retention.daily === 1 ? 'day' : 'days'}` : null,
    retention.weekly ? `one a week for ${retention.weekly} ${retention.weekly === 1 ? 'week' : 'weeks'}` : null,
    retention.monthly ? `one a month for ${retention.monthly} ${retention.monthly === 1 ? 'month' : 'months'}` : null,
    retention.yearly ? `one a year for ${retention.yearly} ${retention.yearly === 1 ? 'year' : 'years'}` : null,
  ].filter((part): part is string => part !== null);
  const newest = `the newest ${retention.keepLast} ${retention.keepLast === 1 ? 'copy' : 'copies'}`;
  if (parts.length === 0) return `Keep ${newest}.`;
  const last = parts.pop()!;
  return `Keep ${newest}, plus ${parts.length ? `${parts.join(', ')} and ${last}` : last}.`;
}

/** How far back the oldest copy reaches, roughly, for the review step. */
export function retentionReach(retention: Retention, rpoMinutes: number): string {
  const days = Math.max(
    retention.yearly * 365,
    retention.monthly * 30,
    retention.weekly * 7,
    retention.daily,
    (retention.keepLast * intervalMinutesFor(rpoMinutes)) / (24 * 60),
  );
  if (days >= 365) return `${Math.round(days / 365)} ${Math.round(days / 365) === 1 ? 'year' : 'years'}`;
  if (days >= 60) return `${Math.round(days / 30)} months`;
  if (days >= 1) return `${Math.round(days)} ${Math.round(days) === 1 ? 'day' : 'days'}`;
  return `${Math.max(1, Math.round(days * 24))} hours`;
}

export const CONSISTENCY: readonly { value: Consistency; label: string; description: string }[] = [
  {
    value: 'prefer',
    label: 'Application-consistent when possible (recommended)',
    description:
      'Databases and mail servers are told to write everything to disk first. If a VM cannot do that, the copy is still taken and its log says so.',
  },
  {
    value: 'require',
    label: 'Application-consistent or not at all',
    description:
      'A copy that cannot be application-consistent fails, and you are alerted. For servers where only a clean database copy is useful.',
  },
  {
    value: 'crash',
    label: 'Crash-consistent only',
    description: 'Like pulling the power plug: fastest and never bothers the guest. Fine for web servers and machines without databases.',
  },
];

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export function bandwidthSentence(window: BandwidthWindow): string {
  const days = [...window.days].sort((a, b) => a - b);
  const dayWords = days.join() === '1,2,3,4,5' ? 'Weekdays' : days.length === 7 ? 'Every day' : days.map((d) => WEEKDAYS[d]).join(', ');
  return `${dayWords} ${window.from}–${window.to}: at most ${formatRate(window.bytesPerSecond)}`;
}

export function vmDiskBytes(vm: Pick<Vm, 'disks'>): number {
  return vm.disks.reduce((sum, disk) => sum + (disk.capacityBytes ?? 0), 0);
}

export interface RateEstimate {
  bytesPerSecond: number;
  /** Where the rate comes from, in words. */
  basis: string;
}

/** Assumed rates when nothing was measured yet: a local disk or gigabit share, and a typical office uplink. */
export const ASSUMED_RATE = { folder: 50_000_000, cloud: 10_000_000 } as const;

/**
 * The rate the first copy will likely run at: the average of recent finished copies when there are some, else
 * an assumption for the vault's kind; never above the tightest bandwidth limit.
 */
export function estimateRate(jobs: readonly Job[], vault: VaultLocation | null, bandwidth: readonly BandwidthWindow[]): RateEstimate {
  const measured = jobs
    .filter((job) => job.kind === 'replication' && job.status === 'succeeded' && job.startedAt && job.finishedAt && job.bytesRead > 0)
    .slice(0, 20);
  let estimate: RateEstimate;
  const seconds = measured.reduce((sum, job) => sum + Math.max(1, (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000), 0);
  if (measured.length > 0) {
    const bytes = measured.reduce((sum, job) => sum + job.bytesRead, 0);
    estimate = {
      bytesPerSecond: bytes / seconds,
      basis: `the average speed of your last ${measured.length === 1 ? 'copy' : `${measured.length} copies`}`,
    };
  } else if (vault && vault.kind !== 'folder') {
    estimate = { bytesPerSecond: ASSUMED_RATE.cloud, basis: 'a typical 100 Mbit/s office upload to cloud storage' };
  } else {
    estimate = { bytesPerSecond: ASSUMED_RATE.folder, basis: 'a typical local disk or gigabit network share' };
  }
  const limit = Math.min(...bandwidth.map((w) => w.bytesPerSecond));
  if (limit < estimate.bytesPerSecond)
    return { bytesPerSecond: limit, basis: `your bandwidth limit of ${formatRate(limit)} (while it applies)` };
  return estimate;
}

export interface FirstCopyEstimate {
  /** An upper bound: the disks' full virtual size. Only allocated data is read and zero blocks are skipped. */
  bytes: number;
  seconds: number;
  sizeWords: string;
  timeWords: string;
  basis: string;
}

export function estimateFirstCopy(vms: readonly Pick<Vm, 'disks'>[], rate: RateEstimate): FirstCopyEstimate {
  const bytes = vms.reduce((sum, vm) => sum + vmDiskBytes(vm), 0);
  const seconds = rate.bytesPerSecond > 0 ? bytes / rate.bytesPerSecond : Number.POSITIVE_INFINITY;
  return {
    bytes,
    seconds,
    sizeWords: `at most ${formatBytes(bytes)}`,
    timeWords: seconds < 60 ? 'under a minute' : `about ${formatDuration(seconds)}`,
    basis: rate.basis,
  };
}

/** Another policy's limit that this copy would run under while both copy to the same vault at once. */
export interface SharedLimit {
  policyName: string;
  bytesPerSecond: number;
  /** The first copy's time if it shares that limit with the other policy's copy the whole way. */
  seconds: number;
  words: string;
}

/**
 * Copies to one vault share the lowest limit in force (see core/replication/shared-target.ts): a tighter
 * limit of another policy on the same vault slows this copy whenever their copies overlap. The estimate
 * says so instead of promising the unshared time.
 */
export function sharedLimit(
  estimate: FirstCopyEstimate,
  rate: RateEstimate,
  others: readonly Pick<Policy, 'name' | 'bandwidth'>[],
): SharedLimit | null {
  let tightest: { name: string; bytesPerSecond: number } | null = null;
  for (const other of others) {
    for (const window of other.bandwidth) {
      if (window.bytesPerSecond < rate.bytesPerSecond && (!tightest || window.bytesPerSecond < tightest.bytesPerSecond))
        tightest = { name: other.name, bytesPerSecond: window.bytesPerSecond };
    }
  }
  if (!tightest) return null;
  // Two copies drawing from one limit get half of it each.
  const seconds = estimate.bytes / (tightest.bytesPerSecond / 2);
  return {
    policyName: tightest.name,
    bytesPerSecond: tightest.bytesPerSecond,
    seconds,
    words: `While a copy of “${tightest.name}” runs at the same time, its limit of ${formatRate(tightest.bytesPerSecond)} applies to this copy too (copies to one vault share the lowest limit in force): they share it, and this first copy can then take up to ${seconds < 60 ? 'a minute' : `about ${formatDuration(seconds)}`}.`,
  };
}

/** A default policy name from what is being protected: the VM, the one host they all run on, or "12 VMs". */
export function suggestPolicyName(vms: readonly Pick<Vm, 'name' | 'hostName'>[]): string {
  if (vms.length === 0) return '';
  if (vms.length === 1) return vms[0]!.name.slice(0, 100);
  const hosts = [...new Set(vms.map((vm) => vm.hostName))];
  return (hosts.length === 1 ? hosts[0]! : `${vms.length} VMs`).slice(0, 100);
}

/** Where a target keeps copies, in words: "the folder D:\Vault", "Azure Blob Storage azblob://c". */
export function targetWords(target: Pick<VaultTarget, 'location'>): string {
  const location = target.location;
  if (location.kind === 'folder') return `the folder ${location.path}`;
  return `${location.kind === 'azure' ? 'Azure Blob Storage' : 'S3-compatible storage'} ${location.path}`;
}
