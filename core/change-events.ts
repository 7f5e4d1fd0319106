import { methods, type ConsoleApi, type MethodName } from './contract/api';
import type { ConsoleEvent } from './contract/events';

/**
 * The ConsoleApi that announces its own changes: after a method that declares `.changes(...)` in the contract
 * succeeds, one `catalog.changed` event names what changed. Wrapping the whole API (rather than each domain
 * emitting) means every transport — HTTP, IPC, the CLI through a running engine, the engine's own calls —
 * announces alike, and a new method only has to declare its topics.
 */
export function announcingChanges(api: ConsoleApi, emit: (event: ConsoleEvent) => void): ConsoleApi {
  const wrapped = { ...api };
  for (const name of Object.keys(methods) as MethodName[]) {
    const topics = methods[name].changes;
    if (topics.length === 0) continue;
    const run = api[name] as (input: unknown) => Promise<unknown>;
    (wrapped as Record<MethodName, (input: unknown) => Promise<unknown>>)[name] = async (input) => {
      const result = await run.call(api, input);
      emit({ type: 'catalog.changed', topics: [...topics], method: name });
      return result;
    };
  }
  return wrapped;
}
