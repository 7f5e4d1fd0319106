import { describe, expect, it } from 'vitest';
import { WriteTurn } from '../../core/vault/write-turn';

describe('WriteTurn', () => {
  it('gives the turn to one taker at a time, across views of the same shared memory (as worker threads see it)', () => {
    const first = new WriteTurn();
    const second = new WriteTurn(first.shared);
    expect(first.tryTake()).toBe(true);
    expect(second.tryTake()).toBe(false);
    first.give();
    expect(second.tryTake()).toBe(true);
    expect(first.tryTake()).toBe(false);
    second.give();
    // take() returns at once when the turn is free.
    first.take();
    expect(second.tryTake()).toBe(false);
    first.give();
  });
});
