import { describe, expect, it } from 'vitest';
import { release } from '../../core/vault/block-jobs';

describe('release (freeing a block buffer before the next garbage collection)', () => {
  it('frees a buffer that owns all its memory, and leaves views into shared memory alone', () => {
    const owned = Buffer.from(new ArrayBuffer(1024 * 1024));
    release(owned);
    expect(owned.buffer.byteLength).toBe(0); // detached: its memory is gone
    expect(owned.length).toBe(0);

    const shared = new ArrayBuffer(64);
    const view = new Uint8Array(shared, 16, 16);
    release(view);
    expect(shared.byteLength).toBe(64);
    const pooled = Buffer.from('small buffers share a pool');
    release(pooled);
    expect(pooled.toString()).toBe('small buffers share a pool');
    release(owned); // twice: nothing left to free, no error
  });
});
