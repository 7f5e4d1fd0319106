import { QueryClient, type QueryKey } from '@tanstack/react-query';
import { isMethodName, methods, type MethodInput, type MethodName } from '../core/contract/api';
import type { StreamState } from '../core/contract/bridge';
import type { ChangeTopic } from '../core/contract/define';
import type { LifeboatError } from '../core/contract/errors';
import { topicsOf, type ConsoleEvent } from '../core/contract/events';

declare module '@tanstack/react-query' {
  interface Register {
    // Every engine call rejects with a LifeboatError (renderer/api.ts), so that is what a query's error is.
    defaultError: LifeboatError;
  }
}

/**
 * The console's one cache of engine answers. What the engine announces decides when an answer is out of date,
 * so nothing refetches on focus or retries by itself (a failure is shown with its fix, and Retry is the
 * user's); a page that mounts still asks afresh, as drill steps and RPO ages move without an event.
 */
export function createQueryCache(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false, staleTime: 0 },
    },
  });
}

/** One answer per method and input: two parts of a page asking the same share one request and one copy. */
export function engineQueryKey<M extends MethodName>(method: M, input: MethodInput<M> | undefined): readonly [M, MethodInput<M> | object] {
  return [method, input ?? {}];
}

function readsAny(key: QueryKey, topics: readonly ChangeTopic[]): boolean {
  const name = key[0];
  return typeof name === 'string' && isMethodName(name) && methods[name].reads.some((topic) => topics.includes(topic));
}

export interface EngineStream {
  subscribe(listener: (event: ConsoleEvent) => void): () => void;
  subscribeStreamState(listener: (state: StreamState) => void): () => void;
}

/**
 * The console's one subscription that keeps the cache true: an engine event marks out of date every answer of
 * a method that reads what the event says changed (the page showing it asks again); a stream that comes back
 * marks out of date everything, since what it missed meanwhile is unknown.
 */
export function refreshOnEngineEvents(client: QueryClient, stream: EngineStream): () => void {
  const stopEvents = stream.subscribe((event) => {
    const topics = topicsOf(event);
    if (topics.length === 0) return;
    void client.invalidateQueries({ predicate: (query) => readsAny(query.queryKey, topics) });
  });
  const stopState = stream.subscribeStreamState((state) => {
    if (state === 'live') void client.invalidateQueries();
  });
  return () => {
    stopEvents();
    stopState();
  };
}
