import { z } from 'zod';
import { method } from './define';
import type { RecoveryPlan } from './drills';

const checkSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('boot') }),
  z.object({ kind: z.literal('heartbeat'), timeoutSeconds: z.number().int().min(10).max(3600).default(300) }),
  z.object({ kind: z.literal('tcp'), port: z.number().int().min(1).max(65535), timeoutSeconds: z.number().int().min(5).max(3600).default(120) }),
  z.object({
    kind: z.literal('script'),
    name: z.string().trim().min(1).max(100),
    script: z.string().min(1).max(20_000),
    timeoutSeconds: z.number().int().min(5).max(3600).default(300),
  }),
  z.object({ kind: z.literal('vault-verify') }),
]);

const gateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('delay'), seconds: z.number().int().min(1).max(3600) }),
  z.object({ kind: z.literal('heartbeat'), timeoutSeconds: z.number().int().min(10).max(3600).default(600) }),
]);

const DEFAULT_CHECKS = [{ kind: 'boot' as const }, { kind: 'vault-verify' as const }];

const planFields = z.object({
  name: z.string().trim().min(1, 'Name the plan, e.g. "Office servers".').max(100),
  groups: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(100),
        vms: z.array(z.object({ vmId: z.string().min(1), checks: z.array(checkSchema).max(20).default(DEFAULT_CHECKS) })).min(1, 'A group needs at least one VM.'),
        then: gateSchema.default({ kind: 'none' }),
      }),
    )
    .min(1, 'Add at least one VM to the plan.'),
  points: z
    .discriminatedUnion('kind', [z.object({ kind: z.literal('latest') }), z.object({ kind: z.literal('latest-app-consistent') }), z.object({ kind: z.literal('at'), time: z.iso.datetime({ offset: true }) })])
    .default({ kind: 'latest' }),
  networkMapping: z.array(z.object({ source: z.string().min(1), recovery: z.string().min(1) })).max(50).default([]),
  drillNetwork: z.string().trim().min(1).max(100).nullable().default(null),
  manualSteps: z.array(z.string().trim().min(1).max(500)).max(50).default([]),
  preScript: z.string().max(20_000).nullable().default(null),
  postScript: z.string().max(20_000).nullable().default(null),
  rpoTargetMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
  rtoTargetMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
  schedule: z
    .string()
    .trim()
    .regex(/^(\S+\s+){4}\S+$/, 'Use a five-field cron expression, like "0 6 1 * *" (06:00 on the 1st of each month).')
    .nullable()
    .default(null),
});

export type PlanFields = z.output<typeof planFields>;

export const planMethods = {
  listPlans: method('Every recovery plan.', z.object({}).default({})).returns<RecoveryPlan[]>(),
  getPlan: method('One recovery plan.', z.object({ id: z.string().min(1) })).returns<RecoveryPlan>(),
  createPlan: method('A recovery plan: VMs in boot-order groups, checks, targets and an optional drill schedule.', planFields).returns<RecoveryPlan>(),
  updatePlan: method('Change a plan; omitted fields keep their value.', planFields.partial().extend({ id: z.string().min(1) })).returns<RecoveryPlan>(),
  deletePlan: method('Delete a plan (its past drills stay on record).', z.object({ id: z.string().min(1) })).returns<void>(),
};
