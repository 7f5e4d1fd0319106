import type { z } from 'zod';

/**
 * One ConsoleApi method: what it is for, the zod schema every transport validates input with, and its
 * output type (a phantom: outputs are produced by our own code, so only the compiler needs to know them).
 */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  summary: string;
  input: I;
  /** Never set at run time; carries the output type for inference. */
  readonly output?: O;
}

export function method<I extends z.ZodType>(summary: string, input: I) {
  return {
    returns<O>(): MethodSpec<I, O> {
      return { summary, input };
    },
  };
}
