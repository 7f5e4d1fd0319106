import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { wait } from '../../core/drills/steps';

describe('wait (polling loops of drills and failover)', () => {
  it('rejects at once when the signal was aborted before the wait began, and when it is aborted during it', async () => {
    const cancelled = new AbortController();
    cancelled.abort(new Error('cancelled earlier'));
    await expect(wait(60_000, cancelled.signal)).rejects.toThrow('cancelled earlier');
    const later = new AbortController();
    const waiting = wait(60_000, later.signal);
    later.abort(new Error('cancelled now'));
    await expect(waiting).rejects.toThrow('cancelled now');
  });

  it('leaves no listener on a long-lived signal once it has waited', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await wait(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
