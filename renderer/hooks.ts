import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MethodInput, MethodName, MethodOutput } from '../core/contract/api';
import type { StreamState } from '../core/contract/bridge';
import type { ErrorCode, LifeboatError } from '../core/contract/errors';
import type { ConsoleEvent } from '../core/contract/events';
import { api, currentStreamState, subscribe, subscribeStreamState } from './api';
import { engineQueryKey } from './query-cache';

export interface Loaded<T> {
  data: T | null;
  error: LifeboatError | null;
  loading: boolean;
  reload(): void;
  set(value: T): void;
}

export interface EngineQueryOptions {
  /**
   * Events besides the topics the method reads (those refresh every query by themselves, see query-cache.ts)
   * that make this one answer out of date, e.g. the progress of the one job a page follows.
   */
  refetchOn?: (event: ConsoleEvent) => boolean;
  /** Failures that mean "not there yet" rather than an error: the answer is null until it is. */
  absentOn?: ErrorCode[];
}

/**
 * An engine answer from the console's query cache, keyed by method and input: `useEngineQuery('listPlans')`.
 * It is asked again when the engine announces a change to what the method reads (its topics in the contract).
 */
export function useEngineQuery<M extends MethodName>(
  method: M,
  input?: MethodInput<M>,
  options: EngineQueryOptions = {},
): Loaded<MethodOutput<M>> {
  const client = useQueryClient();
  const queryKey = engineQueryKey(method, input);
  const absentOn = options.absentOn;
  const query = useQuery({
    queryKey,
    queryFn: () =>
      (api[method] as (input: unknown) => Promise<MethodOutput<M>>)(input).catch((error: LifeboatError) => {
        if (absentOn?.includes(error.code)) return null;
        throw error;
      }),
  });

  const { refetch } = query;
  const refetchOn = useRef(options.refetchOn);
  useEffect(() => {
    refetchOn.current = options.refetchOn;
  });
  const follows = options.refetchOn !== undefined;
  useEffect(() => {
    if (!follows) return;
    return subscribe((event) => {
      if (refetchOn.current?.(event)) void refetch();
    });
  }, [follows, refetch]);

  const reload = useCallback(() => void refetch(), [refetch]);
  const set = (value: MethodOutput<M>): void => void client.setQueryData(queryKey, value);
  return { data: query.data ?? null, error: query.error, loading: query.isFetching, reload, set };
}

/** The engine's event stream: live, lost (reconnecting by itself) or signed out (a new access token). */
export function useStreamState(): StreamState {
  const [state, setState] = useState<StreamState>(currentStreamState);
  useEffect(() => subscribeStreamState(setState), []);
  return state;
}
