import { z } from 'zod';
import { method } from './define';
import type { Drill } from './drills';

/** When a policy's next copy starts: from its cron schedule, or from its interval after the last start. */
export interface UpcomingRun {
  policyId: string;
  policy: string;
  vmCount: number;
  /** null: the policy is disabled or every schedule is paused. */
  at: string | null;
  /** "every 7 min" or the cron expression, for the tooltip. */
  cadence: string;
}

export interface UpcomingDrill {
  planId: string;
  plan: string;
  at: string;
  schedule: string;
}

export interface StorageUsage {
  /** New bytes the catalog's recovery points added to the vaults (after dedup and compression). */
  storedBytes: number;
  /** Virtual size of the newest point of every VM: what a full restore would bring back. */
  protectedBytes: number;
  points: number;
  /** Stored bytes at the end of each of the last `days` days (local time), oldest first. */
  trend: { day: string; storedBytes: number }[];
}

export interface Overview {
  upcomingRuns: UpcomingRun[];
  upcomingDrills: UpcomingDrill[];
  lastDrill: Drill | null;
  storage: StorageUsage;
  schedulesPaused: boolean;
}

export const overviewMethods = {
  getOverview: method(
    'What the dashboard shows besides RPO health: the next copies and drills, the last drill, storage used and its trend.',
    z.object({ days: z.number().int().min(2).max(366).default(30) }).default({ days: 30 }),
  )
    .returns<Overview>()
    .reads('policies', 'schedules', 'points', 'plans', 'drills', 'vaultHealth', 'jobs'),
};
