/** The protect wizard's steps and where each of the contract's policy problems is shown. */
import { methods, type MethodInput } from '../../core/contract/api';
import { retentionSchema, type Retention } from '../../core/contract/protection';
import { inputProblems, numberBounds, problemsOf, type Problems } from './input-problems';

export type { Problems } from './input-problems';
export type PolicyFields = MethodInput<'createPolicy'>;

export const POLICY_STEPS = ['VMs', 'Where', 'How often', 'How long', 'Consistency', 'Bandwidth', 'Review'] as const;
const REVIEW_STEP = POLICY_STEPS.length - 1;
const STEP_OF_FIELD: Record<string, number> = {
  vmIds: 0,
  targetId: 1,
  rpoMinutes: 2,
  schedule: 2,
  retention: 3,
  consistency: 4,
  bandwidth: 5,
  name: REVIEW_STEP,
};

/** Editing parses as updatePolicy does (the id along), creating as createPolicy. */
export function policyProblems(fields: PolicyFields, editingId?: string | null): Problems {
  return editingId ? inputProblems('updatePolicy', { id: editingId, ...fields }) : inputProblems('createPolicy', fields);
}

/** The wizard step that asks for a field (a path like 'bandwidth.0.days', or an engine error's `field`); null for one no step asks for. */
export function policyStepOf(path: string): number | null {
  return STEP_OF_FIELD[path.split('.')[0]!] ?? null;
}

/** A problem no step asks for is shown on the review step, where Save is. */
const stepShowing = (path: string): number => policyStepOf(path) ?? REVIEW_STEP;

/** The problems one step shows, on its fields. */
export function problemsOfStep(problems: Problems, step: number): Problems {
  return Object.fromEntries(problemsOf(problems, stepShowing, step));
}

/** The first problem a step has to show, or null when the step is fine. */
export function stepProblem(problems: Problems, step: number): string | null {
  return problemsOf(problems, stepShowing, step)[0]?.[1] ?? null;
}

/** The earliest step with a problem, or null when the policy can be saved. */
export function firstProblemStep(problems: Problems): number | null {
  const steps = Object.keys(problems).map(stepShowing);
  return steps.length === 0 ? null : Math.min(...steps);
}

const rpoSchema = methods.createPolicy.input.shape.rpoMinutes;
/** The RPO field's bounds as the contract sets them. */
export const RPO_BOUNDS = numberBounds(rpoSchema);

export function rpoAccepted(minutes: number): boolean {
  return rpoSchema.safeParse(minutes).success;
}

/** A retention field's bounds as the contract sets them. */
export function retentionBounds(field: keyof Retention): { min: number; max: number } {
  return numberBounds(retentionSchema.shape[field]);
}
