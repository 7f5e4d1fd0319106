import { useCallback, useEffect, useState } from 'react';
import type { LifeboatError } from '../core/contract/errors';
import type { ConsoleEvent } from '../core/contract/events';
import { currentStreamState, subscribe, subscribeStreamState } from './api';
import type { StreamState } from '../core/contract/bridge';

export interface Loaded<T> {
  data: T | null;
  error: LifeboatError | null;
  loading: boolean;
  reload(): void;
  set(value: T): void;
}

const LOCAL_REFRESH = 'lifeboat-refresh';

/** Things the console changed itself that the engine announces no event for (e.g. "pause all"). */
export type LocalTopic = 'local:schedules' | 'local:plans' | 'local:policies';

/** Tells every useEngine listening for `topic` to reload. */
export function refreshLocal(topic: LocalTopic): void {
  window.dispatchEvent(new CustomEvent(LOCAL_REFRESH, { detail: topic }));
}

/** Loads a value from the engine, and reloads it whenever one of `refreshOn` events (or local topics) arrives. */
export function useEngine<T>(load: () => Promise<T>, refreshOn: (ConsoleEvent['type'] | LocalTopic)[] = []): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<LifeboatError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => {
    setLoading(true);
    setGeneration((n) => n + 1);
  }, []);
  const refreshKey = refreshOn.join(',');

  useEffect(() => {
    let live = true;
    load().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: LifeboatError) => {
        if (!live) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // `load` is a fresh closure on every render; reloading is driven by `generation` and events instead.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [generation]);

  useEffect(() => {
    if (!refreshKey) return;
    const types = new Set<string>(refreshKey.split(','));
    const onLocal = (event: Event): void => {
      if (types.has(String((event as CustomEvent<string>).detail))) reload();
    };
    window.addEventListener(LOCAL_REFRESH, onLocal);
    const unsubscribe = subscribe((event) => {
      if (types.has(event.type)) reload();
    });
    return () => {
      window.removeEventListener(LOCAL_REFRESH, onLocal);
      unsubscribe();
    };
  }, [refreshKey, reload]);

  // Events sent while the stream was down are gone: a stream that comes back means everything loads again.
  useEffect(() => subscribeStreamState((state) => state === 'live' && reload()), [reload]);

  return { data, error, loading, reload, set: setData };
}

/** The engine's event stream: live, lost (reconnecting by itself) or signed out (a new access token). */
export function useStreamState(): StreamState {
  const [state, setState] = useState<StreamState>(currentStreamState);
  useEffect(() => subscribeStreamState(setState), []);
  return state;
}
