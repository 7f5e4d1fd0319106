import { useCallback, useEffect, useState } from 'react';
import type { LifeboatError } from '../core/contract/errors';
import type { ConsoleEvent } from '../core/contract/events';
import { subscribe } from './api';

export interface Loaded<T> {
  data: T | null;
  error: LifeboatError | null;
  loading: boolean;
  reload(): void;
  set(value: T): void;
}

/** Loads a value from the engine, and reloads it whenever one of `refreshOn` events arrives. */
export function useEngine<T>(load: () => Promise<T>, refreshOn: ConsoleEvent['type'][] = []): Loaded<T> {
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
    const types = new Set(refreshKey.split(','));
    return subscribe((event) => {
      if (types.has(event.type)) reload();
    });
  }, [refreshKey, reload]);

  return { data, error, loading, reload, set: setData };
}
