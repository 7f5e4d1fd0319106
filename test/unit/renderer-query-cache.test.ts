import { describe, expect, it } from 'vitest';
import type { StreamState } from '../../core/contract/bridge';
import type { ConsoleEvent } from '../../core/contract/events';
import { createQueryCache, engineQueryKey, refreshOnEngineEvents } from '../../renderer/query-cache';

/** A stand-in for renderer/api.ts's event stream, pushed by hand. */
function fakeStream() {
  const listeners = new Set<(event: ConsoleEvent) => void>();
  const stateListeners = new Set<(state: StreamState) => void>();
  return {
    subscribe: (listener: (event: ConsoleEvent) => void) => (listeners.add(listener), () => void listeners.delete(listener)),
    subscribeStreamState: (listener: (state: StreamState) => void) => (
      stateListeners.add(listener),
      () => void stateListeners.delete(listener)
    ),
    send: (event: ConsoleEvent) => listeners.forEach((listener) => listener(event)),
    state: (state: StreamState) => stateListeners.forEach((listener) => listener(state)),
    get size() {
      return listeners.size + stateListeners.size;
    },
  };
}

const KEYS = {
  policies: engineQueryKey('listPolicies', undefined),
  jobs: engineQueryKey('listJobs', { limit: 200 }),
  settings: engineQueryKey('getSettings', undefined),
  drill: engineQueryKey('getDrill', { id: 'd1' }),
};

function cacheWithAnswers() {
  const client = createQueryCache();
  for (const key of Object.values(KEYS)) client.setQueryData(key, []);
  const stale = (): string[] =>
    Object.entries(KEYS)
      .filter(([, key]) => client.getQueryState(key)?.isInvalidated)
      .map(([name]) => name);
  return { client, stale };
}

describe('renderer query cache', () => {
  it('keys an answer by method and input, an omitted input as an empty one', () => {
    expect(engineQueryKey('listPolicies', undefined)).toEqual(engineQueryKey('listPolicies', {}));
    expect(engineQueryKey('listJobs', { limit: 1 })).not.toEqual(engineQueryKey('listJobs', { limit: 2 }));
  });

  it('marks out of date only the answers of methods that read what an event says changed', () => {
    const { client, stale } = cacheWithAnswers();
    const stream = fakeStream();
    refreshOnEngineEvents(client, stream);
    stream.send({ type: 'catalog.changed', topics: ['policies'], method: 'createPolicy' });
    expect(stale()).toEqual(['policies']);
    stream.send({ type: 'job.finished', jobId: 'j', status: 'succeeded' });
    expect(stale()).toEqual(['policies', 'jobs', 'drill']);
  });

  it('refreshes nothing on job progress', () => {
    const { client, stale } = cacheWithAnswers();
    const stream = fakeStream();
    refreshOnEngineEvents(client, stream);
    stream.send({ type: 'job.progress', jobId: 'j', phase: 'Copying', bytesDone: 1, bytesTotal: 2, bytesPerSecond: 1, etaSeconds: 1 });
    expect(stale()).toEqual([]);
  });

  it('marks everything out of date when a lost stream comes back, and stops listening when told', () => {
    const { client, stale } = cacheWithAnswers();
    const stream = fakeStream();
    const stop = refreshOnEngineEvents(client, stream);
    stream.state('lost');
    expect(stale()).toEqual([]);
    stream.state('live');
    expect(stale()).toEqual(['policies', 'jobs', 'settings', 'drill']);
    stop();
    expect(stream.size).toBe(0);
  });
});
