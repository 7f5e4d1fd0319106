/** The drill plan wizard's steps and where each of the contract's plan problems is shown. */
import { methods, type MethodInput } from '../../core/contract/api';
import { inputProblems, numberBounds, problemsOf, type Problems } from './input-problems';

export type PlanInput = MethodInput<'createPlan'>;

export const PLAN_STEPS = ['VMs', 'Start order', 'Checks', 'Goals and schedule'] as const;
const GOALS_STEP = PLAN_STEPS.length - 1;

/**
 * 'groups' alone is the VM list (none ticked); a VM's checks are asked on the checks step, the rest of a
 * group (its name, what follows it) on the start order; everything else, and anything unknown, with the goals.
 */
export function planStepOf(path: string): number {
  if (path === 'groups') return 0;
  if (/^groups\.\d+\.vms\.\d+\.checks(\.|$)/.test(path)) return 2;
  if (path.startsWith('groups.')) return 1;
  return GOALS_STEP;
}

/** Editing parses as updatePlan does (the id along), creating as createPlan. */
export function planProblems(input: PlanInput, editingId?: string | null): Problems {
  return editingId ? inputProblems('updatePlan', { id: editingId, ...input }) : inputProblems('createPlan', input);
}

/** The goals step shows these on their own fields; any other problem goes under the step. */
export const GOAL_FIELDS = ['name', 'schedule', 'rtoTargetMinutes', 'rpoTargetMinutes'] as const;

/** The problem to show under a step: the first the step has that is not already on one of its fields. */
export function stepAlert(problems: Problems, step: number): string | null {
  return problemsOf(problems, planStepOf, step).find(([path]) => !(GOAL_FIELDS as readonly string[]).includes(path))?.[1] ?? null;
}

export function firstPlanProblemStep(problems: Problems): number | null {
  const steps = Object.keys(problems).map(planStepOf);
  return steps.length === 0 ? null : Math.min(...steps);
}

/** The RTO and RPO goals' bounds as the contract sets them. */
export const GOAL_BOUNDS = {
  rto: numberBounds(methods.createPlan.input.shape.rtoTargetMinutes),
  rpo: numberBounds(methods.createPlan.input.shape.rpoTargetMinutes),
};
