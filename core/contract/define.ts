import type { z } from 'zod';

/**
 * What a console shows, in parts a change can name: a method that changes one says so, a method that reads one
 * is asked again when it changes (see topicsOf in ./events for the engine's own events).
 */
export const CHANGE_TOPICS = [
  'settings',
  'policies',
  'schedules',
  'jobs',
  'points',
  'alerts',
  'hosts',
  'vms',
  'targets',
  'vaultHealth',
  'plans',
  /** Drills and real failovers: both are drill records. */
  'drills',
  'actionItems',
  'credentials',
  'notifications',
  'reports',
] as const;

export type ChangeTopic = (typeof CHANGE_TOPICS)[number];

/**
 * One ConsoleApi method: what it is for, the zod schema every transport validates input with, what it changes
 * or reads (so every open console hears of a change, whoever made it), and its output type (a phantom: outputs
 * are produced by our own code, so only the compiler needs to know them).
 */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  summary: string;
  input: I;
  /** What a successful call changes; empty for a method that changes nothing a console shows. */
  changes: readonly ChangeTopic[];
  /** What its answer depends on: a console asks again when one of these changes. Empty for a changing method. */
  reads: readonly ChangeTopic[];
  /** Never set at run time; carries the output type for inference. */
  readonly output?: O;
}

/**
 * `method(summary, input).returns<O>()` then, required, either `.reads(...topics)` or `.changes(topic, ...)`:
 * a spec without one of them is no MethodSpec, so a new method cannot leave consoles unaware of what it does.
 */
export function method<I extends z.ZodType>(summary: string, input: I) {
  return {
    returns<O>() {
      return {
        /** Changes nothing a console shows (it may act outside the catalog: an email, a file, a vault by location). */
        reads(...topics: ChangeTopic[]): MethodSpec<I, O> {
          return { summary, input, changes: [], reads: topics };
        },
        changes(topic: ChangeTopic, ...more: ChangeTopic[]): MethodSpec<I, O> {
          return { summary, input, changes: [topic, ...more], reads: [] };
        },
      };
    },
  };
}
