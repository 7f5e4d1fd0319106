/**
 * Wizards check what they assembled with the method's own input schema from the contract: the same parse the
 * engine runs on every call, so a form cannot accept what a save would refuse, nor word a rule differently.
 */
import type { z } from 'zod';
import { methods, type MethodInput, type MethodName } from '../../core/contract/api';

/** Zod's messages by the dotted path of the field each names ('retention.keepLast', 'bandwidth.0.to'); the first per field. */
export type Problems = Record<string, string>;

export function inputProblems<M extends MethodName>(name: M, input: MethodInput<M>): Problems {
  const result = (methods[name].input as z.ZodType).safeParse(input);
  if (result.success) return {};
  const found: Problems = {};
  for (const issue of result.error.issues) found[issue.path.join('.')] ??= issue.message;
  return found;
}

/** The problems one step of a wizard shows, in the order zod found them. */
export function problemsOf(problems: Problems, stepOf: (path: string) => number, step: number): [path: string, message: string][] {
  return Object.entries(problems).filter(([path]) => stepOf(path) === step);
}

/** A number field's bounds as its schema sets them (through a default), for an input's arrows and hints. */
export function numberBounds(schema: z.ZodNumber | z.ZodDefault<z.ZodNumber>): { min: number; max: number } {
  const number = 'unwrap' in schema ? schema.unwrap() : schema;
  return { min: number.minValue ?? Number.NEGATIVE_INFINITY, max: number.maxValue ?? Number.POSITIVE_INFINITY };
}
