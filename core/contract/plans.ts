import { z } from 'zod';
import { method } from './define';
import type { ActionItem, Drill, DrillStep, RecoveryPlan } from './drills';

const checkSchema = z.discriminatedUnion('kind', [
  // readyText: the guest's own readiness line or login prompt, as it appears on its serial console or screen.
  z.object({
    kind: z.literal('boot'),
    readyText: z.string().trim().min(3, 'A readiness text needs at least 3 characters, e.g. "login:".').max(200).nullable().optional(),
  }),
  z.object({ kind: z.literal('heartbeat'), timeoutSeconds: z.number().int().min(10).max(3600).default(300) }),
  z.object({
    kind: z.literal('tcp'),
    port: z.number().int().min(1).max(65535),
    timeoutSeconds: z.number().int().min(5).max(3600).default(120),
  }),
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

const scriptSchema = z.object({
  path: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .refine((p) => /^([A-Za-z]:[\\/]|\\\\|\/)/.test(p), "Use the script's full path, e.g. C:\\Scripts\\notify.ps1."),
  args: z.array(z.string().max(2000)).max(50).default([]),
  timeoutSeconds: z.number().int().min(1).max(3600).default(300),
});

/** Plans saved before scripts ran stored a text; a text that is a path becomes that script, anything else none. */
export const planScriptSchema = z
  .union([scriptSchema, z.string().max(20_000)])
  .nullable()
  .default(null)
  .transform((value) => (typeof value === 'string' ? (scriptSchema.safeParse({ path: value }).data ?? null) : value));

const planFields = z.object({
  name: z.string().trim().min(1, 'Name the plan, e.g. "Office servers".').max(100),
  groups: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(100),
        vms: z
          .array(
            z.object({
              vmId: z.string().min(1),
              checks: z.array(checkSchema).max(20).default(DEFAULT_CHECKS),
              guestCredentialId: z.string().min(1).nullable().optional(),
            }),
          )
          .min(1, 'A group needs at least one VM.'),
        then: gateSchema.default({ kind: 'none' }),
        preScript: planScriptSchema.optional(),
        postScript: planScriptSchema.optional(),
      }),
    )
    .min(1, 'Tick at least one VM for the plan.'),
  points: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('latest') }),
      z.object({ kind: z.literal('latest-app-consistent') }),
      z.object({ kind: z.literal('at'), time: z.iso.datetime({ offset: true }) }),
    ])
    .default({ kind: 'latest' }),
  networkMapping: z
    .array(z.object({ source: z.string().min(1), recovery: z.string().min(1) }))
    .max(50)
    .default([]),
  drillNetwork: z.string().trim().min(1).max(100).nullable().default(null),
  manualSteps: z.array(z.string().trim().min(1).max(500)).max(50).default([]),
  preScript: planScriptSchema,
  postScript: planScriptSchema,
  rpoTargetMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  rtoTargetMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  schedule: z
    .string()
    .trim()
    .regex(/^(\S+\s+){4}\S+$/, 'Use a five-field cron expression, like "0 6 1 * *" (06:00 on the 1st of each month).')
    .nullable()
    .default(null),
  // Optional so plans saved before failover existed, and callers that do not care, read as "this machine".
  recoveryHostId: z.string().min(1).nullable().optional(),
});

export type PlanFields = z.output<typeof planFields>;

export const planMethods = {
  listPlans: method('Every recovery plan.', z.object({}).default({})).returns<RecoveryPlan[]>().reads('plans'),
  getPlan: method('One recovery plan.', z.object({ id: z.string().min(1) }))
    .returns<RecoveryPlan>()
    .reads('plans'),
  createPlan: method('A recovery plan: VMs in boot-order groups, checks, targets and an optional drill schedule.', planFields)
    .returns<RecoveryPlan>()
    .changes('plans'),
  updatePlan: method('Change a plan; omitted fields keep their value.', planFields.partial().extend({ id: z.string().min(1) }))
    .returns<RecoveryPlan>()
    .changes('plans'),
  deletePlan: method('Delete a plan (its past drills stay on record).', z.object({ id: z.string().min(1) }))
    .returns<void>()
    .changes('plans'),
};

export const drillMethods = {
  startDrill: method(
    'One-click test failover: of a plan, or of VMs (a plan with default checks is made for them). Returns at once; follow the drill by its id.',
    z
      .object({
        planId: z.string().min(1).optional(),
        vmIds: z.array(z.string().min(1)).min(1).optional(),
        points: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('latest') }),
            z.object({ kind: z.literal('latest-app-consistent') }),
            z.object({ kind: z.literal('at'), time: z.iso.datetime({ offset: true }) }),
          ])
          .optional(),
        notes: z.string().max(5000).nullable().default(null),
      })
      .refine((input) => (input.planId === undefined) !== (input.vmIds === undefined), {
        message: 'Give either a plan or VMs to test.',
        path: ['planId'],
      }),
  )
    .returns<{ drillId: string }>()
    .changes('drills', 'plans', 'jobs'),
  listDrills: method('Drills, newest first.', z.object({ limit: z.number().int().min(1).max(10_000).default(100) }).default({ limit: 100 }))
    .returns<Drill[]>()
    .reads('drills'),
  getDrill: method('A drill with its timed steps.', z.object({ id: z.string().min(1) }))
    .returns<Drill & { steps: DrillStep[] }>()
    .reads('drills'),
  getDrillScreenshot: method(
    "A drill VM's console screenshot as a PNG data URL, for the result page.",
    z.object({ drillId: z.string().min(1), vm: z.string().min(1) }),
  )
    .returns<{ dataUrl: string | null }>()
    .reads('drills'),
  saveGuestCredential: method(
    'Seal a guest account for in-guest drill checks (PowerShell Direct, VMware guest operations); a plan VM names it by the id returned. The password is never shown again.',
    z.object({ username: z.string().trim().min(1).max(256), password: z.string().min(1).max(1024) }),
  )
    .returns<{ id: string; username: string }>()
    .changes('credentials'),
  listActionItems: method(
    'Action items: open ones, and those raised in a period.',
    z.object({ from: z.string().optional(), to: z.string().optional() }).default({}),
  )
    .returns<ActionItem[]>()
    .reads('actionItems'),
  closeActionItem: method('Mark an action item done.', z.object({ id: z.string().min(1) }))
    .returns<void>()
    .changes('actionItems'),
};
