import { afterEach, describe, expect, it, vi } from 'vitest';
import { RatePacer } from '../../core/vault/backends/throttle';
import { applyRetention } from '../../core/vault/retention';

const point = (id: string, time: string, vm = 'web') => ({ id, vm, time });

describe('vault retention', () => {
  const points = [
    point('a', '2025-01-01T10:00:00Z'),
    point('b', '2025-01-01T22:00:00Z'),
    point('c', '2025-01-02T10:00:00Z'),
    point('d', '2025-01-09T10:00:00Z'),
    point('e', '2025-02-03T10:00:00Z'),
    point('f', '2025-02-03T11:00:00Z'),
    point('x', '2025-01-01T10:00:00Z', 'db'),
  ];
  const kept = (policy: Parameters<typeof applyRetention>[1]) =>
    applyRetention(points, policy)
      .keep.map((p) => p.id)
      .sort();

  it('keeps the newest N per VM', () => {
    expect(kept({ keepLast: 2 })).toEqual(['e', 'f', 'x']);
  });

  it('keeps the newest point of each day, week, month and year', () => {
    expect(kept({ keepDaily: 3 })).toEqual(['c', 'd', 'f', 'x']);
    expect(kept({ keepWeekly: 2 })).toEqual(['d', 'f', 'x']);
    expect(kept({ keepMonthly: 5 })).toEqual(['d', 'f', 'x']);
    expect(kept({ keepYearly: 1 })).toEqual(['f', 'x']);
    expect(kept({ keepLast: 1, keepMonthly: 2 })).toEqual(['d', 'f', 'x']);
  });

  it('refuses a policy that keeps nothing', () => {
    expect(() => applyRetention(points, {})).toThrow(/Say what to keep/);
    expect(() => applyRetention(points, { keepLast: 0 })).toThrow(/Say what to keep/);
  });
});

describe('bandwidth pacer', () => {
  afterEach(() => vi.useRealTimers());

  it('spaces transfers at the limit with no initial burst, and a new limit applies to waiting transfers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const MiB = 1024 * 1024;
    const pacer = new RatePacer(MiB);
    let done = false;
    const transfer = pacer.take(4 * MiB).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1900);
    expect(done).toBe(false); // two slices take two seconds at 1 MiB/s
    pacer.setLimit(null);
    await vi.advanceTimersByTimeAsync(200);
    expect(done).toBe(true);
    await transfer;
  });

  it('reports paced bytes a quarter second at a time, so a slow upload shows progress', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const KiB = 1024;
    const pacer = new RatePacer(64 * KiB);
    const sent: number[] = [];
    const transfer = pacer.take(64 * KiB, undefined, (bytes) => sent.push(bytes));
    await vi.advanceTimersByTimeAsync(600);
    expect(sent).toEqual([16 * KiB, 16 * KiB]);
    pacer.setLimit(null); // the rest goes unpaced: the caller reports it once the put is done
    await vi.advanceTimersByTimeAsync(300);
    expect(await transfer).toBe(48 * KiB);
  });

  it('lets a small object (an index, a manifest) past queued pack slices, counting its bytes against the limit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const KiB = 1024;
    const pacer = new RatePacer(256 * KiB);
    let packDone = false;
    const pack = pacer.take(512 * KiB).then(() => (packDone = true));
    await vi.advanceTimersByTimeAsync(10);
    const small = await pacer.take(32 * KiB); // does not wait for the pack's two seconds
    expect(small).toBe(32 * KiB);
    expect(packDone).toBe(false);
    // The pack's later slices come after the small object's eighth of a second: 2 s + 0.125 s in all.
    await vi.advanceTimersByTimeAsync(2050);
    expect(packDone).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(packDone).toBe(true);
    await pack;
  });

  it('lets transfers through at once without a limit', async () => {
    const pacer = new RatePacer(null);
    const started = performance.now();
    await pacer.take(1e12);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
