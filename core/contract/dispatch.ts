import type { z } from 'zod';
import { isMethodName, methods, type ConsoleApi, type ConsoleClient, type MethodName } from './api';
import { LifeboatError } from './errors';

/** The one place input is validated: every transport (HTTP, IPC, CLI `call`) goes through here. */
export function parseInput(method: string, input: unknown): { name: MethodName; input: unknown } {
  if (!isMethodName(method)) {
    throw new LifeboatError('UNKNOWN_METHOD', `There is no method called "${method}".`, {
      fix: 'Check the method name; `lifeboat call --list` prints them all.',
    });
  }
  const result = methods[method].input.safeParse(input ?? {});
  if (!result.success) throw invalidInput(result.error);
  return { name: method, input: result.data };
}

export async function dispatch(api: ConsoleApi, method: string, input: unknown): Promise<unknown> {
  const parsed = parseInput(method, input);
  const handler = api[parsed.name] as (input: unknown) => Promise<unknown>;
  return handler.call(api, parsed.input);
}

/** Names the first offending field, so "vault.path: Use a full path…" tells the user exactly what to fix. */
export function invalidInput(error: z.ZodError): LifeboatError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const detail = issue?.message ?? 'Invalid input.';
  const options: { field?: string; fix: string } = { fix: 'Correct the field and try again.' };
  if (field !== undefined) options.field = field;
  return new LifeboatError('INVALID_INPUT', field ? `${field}: ${detail}` : detail, options);
}

/**
 * A typed client over an in-process implementation that validates exactly like the HTTP and IPC
 * transports do; the CLI and tests use it so no caller bypasses the schemas.
 */
export function createLocalClient(api: ConsoleApi): ConsoleClient {
  return new Proxy({} as ConsoleClient, {
    get: (_target, name) => (input?: unknown) => dispatch(api, String(name), input),
  });
}
