import { z } from 'zod';
import { method } from './define';

/** What a run does when an application-consistent checkpoint cannot be taken. */
export const consistencyLevels = ['require', 'prefer', 'crash'] as const;
export type Consistency = (typeof consistencyLevels)[number];

export const retentionSchema = z.object({
  keepLast: z.number().int().min(1, 'Keep at least the newest copy.').max(10_000),
  daily: z.number().int().min(0).max(3650).default(0),
  weekly: z.number().int().min(0).max(520).default(0),
  monthly: z.number().int().min(0).max(240).default(0),
  yearly: z.number().int().min(0).max(100).default(0),
});
export type Retention = z.output<typeof retentionSchema>;

/**
 * Without an explicit schedule a policy starts a run every half RPO: a run that takes up to half the RPO, or
 * one failed run followed by a good one, still keeps the newest point inside the RPO.
 */
export function intervalMinutesFor(rpoMinutes: number): number {
  return Math.max(1, Math.floor(rpoMinutes / 2));
}

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use a 24-hour time like 08:00.');

/** A limit that applies on some weekdays between two times of day (local time); outside every window: unlimited. */
export const bandwidthWindowSchema = z
  .object({
    days: z.array(z.number().int().min(0).max(6)).min(1, 'Every bandwidth limit needs at least one day.'),
    from: clockTime,
    to: clockTime,
    bytesPerSecond: z
      .number()
      .int()
      .min(64 * 1024, 'A limit below 64 KiB/s would never finish a copy.'),
  })
  .refine((w) => w.from !== w.to, { message: 'A bandwidth limit starts and ends at the same time.', path: ['to'] });
export type BandwidthWindow = z.output<typeof bandwidthWindowSchema>;

const cronExpression = z
  .string()
  .trim()
  .regex(/^(\S+\s+){4}\S+$/, 'Use a five-field cron expression, like "*/15 * * * *".');

const policyFields = z.object({
  name: z.string().trim().min(1, 'Name the policy, e.g. "Office servers".').max(100),
  vmIds: z.array(z.string().min(1)).min(1, 'Tick at least one VM to protect.'),
  targetId: z.string().min(1, 'Choose where the copies go.'),
  rpoMinutes: z
    .number()
    .int()
    .min(1, 'Choose between 1 minute and 7 days.')
    .max(7 * 24 * 60, 'Choose between 1 minute and 7 days.'),
  schedule: cronExpression.nullable().default(null),
  retention: retentionSchema.default({ keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 }),
  consistency: z.enum(consistencyLevels).default('prefer'),
  bandwidth: z.array(bandwidthWindowSchema).max(20).default([]),
  enabled: z.boolean().default(true),
});

export interface Policy extends z.output<typeof policyFields> {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** How often runs start when no explicit schedule is set: often enough to stay inside the RPO. */
  intervalMinutes: number;
}

export type RpoState = 'ok' | 'warning' | 'breach' | 'pending';

export interface VmRpoStatus {
  vmId: string;
  vm: string;
  policyId: string;
  policy: string;
  rpoMinutes: number;
  lastPointTime: string | null;
  /** Age of the newest good recovery point; null before the first one. */
  ageSeconds: number | null;
  /** ok ≤ 80% of the RPO < warning ≤ 100% < breach; pending: protected less than one RPO ago, no point yet. */
  status: RpoState;
  /** Why the status cannot be trusted as measured, or why the VM is not protected; null when all is well. */
  problem?: string | null;
  /** What to do about `problem`. */
  fix?: string | null;
  /**
   * What `problem` is about: 'vault' — the policy's vault is down, so nothing new can be stored or restored;
   * 'first-copy' — no recovery point yet and the last copy failed; 'clock' — a point dated in the future.
   */
  reason?: 'vault' | 'first-copy' | 'clock' | null;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** The upload limit a copy runs under now, and whose it is: copies to one vault share its tightest limit. */
export interface BandwidthInForce {
  bytesPerSecond: number;
  policyId: string;
  policyName: string;
}

export interface JobProgress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Copies only: the bandwidth limit in force (null: none). */
  limit?: BandwidthInForce | null;
}

export interface Job {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  /** retry: an earlier copy failed or was interrupted (Lifeboat stopped), tried again with backoff. */
  trigger: 'manual' | 'schedule' | 'catch-up' | 'retry';
  vmId: string | null;
  policyId: string | null;
  hostId: string | null;
  targetId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  bytesRead: number;
  bytesStored: number;
  bytesTotal: number;
  appConsistent: boolean | null;
  error: string | null;
  /** Live progress while running. */
  progress: JobProgress | null;
}

export interface JobWithLog extends Job {
  log: string;
}

export interface RecoveryPoint {
  id: string;
  vmId: string | null;
  vm: string;
  targetId: string;
  time: string;
  appConsistent: boolean;
  /** Virtual size of the VM's disks. */
  sizeBytes: number;
  /** New bytes this point added to the vault. */
  storedBytes: number;
}

export interface Alert {
  id: string;
  kind: string;
  subject: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  fix: string | null;
  raisedAt: string;
  clearedAt: string | null;
}

const id = z.object({ id: z.string().min(1) });

export const protectionMethods = {
  listPolicies: method('Every protection policy.', z.object({}).default({})).returns<Policy[]>().reads('policies'),
  createPolicy: method('Protect VMs to a target at an RPO.', policyFields).returns<Policy>().changes('policies'),
  updatePolicy: method('Change a policy; omitted fields keep their value.', policyFields.partial().extend({ id: z.string().min(1) }))
    .returns<Policy>()
    .changes('policies'),
  deletePolicy: method('Stop protecting with this policy (recovery points stay in the vault).', id).returns<void>().changes('policies'),
  getRpoStatus: method('Per protected VM: age of the newest good recovery point against its RPO.', z.object({}).default({}))
    .returns<VmRpoStatus[]>()
    .reads('policies', 'points', 'vms', 'alerts', 'vaultHealth'),
  listJobs: method(
    'Runs, newest first.',
    z
      .object({
        status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']).optional(),
        limit: z.number().int().min(1).max(10_000).default(200),
      })
      .default({ limit: 200 }),
  )
    .returns<Job[]>()
    .reads('jobs'),
  getJob: method('One run with its log.', id).returns<JobWithLog>().reads('jobs'),
  cancelJob: method('Cancel a queued or running job; a running one cleans up first.', id).returns<Job>().changes('jobs'),
  runNow: method(
    'Copy now: every VM of a policy, one VM, or every protected VM. Returns the jobs started (or already running).',
    z.object({ policyId: z.string().min(1).optional(), vmId: z.string().min(1).optional() }).default({}),
  )
    .returns<Job[]>()
    .changes('jobs'),
  listPoints: method(
    "Recovery points in the catalog, newest first; one VM's when vmId is given.",
    z.object({ vmId: z.string().min(1).optional() }).default({}),
  )
    .returns<RecoveryPoint[]>()
    .reads('points'),
  getSchedulesPaused: method('Whether every schedule is paused (the tray\'s "Pause all").', z.object({}).default({}))
    .returns<{ paused: boolean }>()
    .reads('schedules'),
  setSchedulesPaused: method('Pause or resume every schedule at once; RPO status keeps being watched.', z.object({ paused: z.boolean() }))
    .returns<{ paused: boolean }>()
    .changes('schedules'),
  listAlerts: method(
    'Alerts, open ones first.',
    z.object({ includeCleared: z.boolean().default(false) }).default({ includeCleared: false }),
  )
    .returns<Alert[]>()
    .reads('alerts'),
};
