import { describe, expect, it } from 'vitest';
import type { IndexedPack } from '../../core/vault/format';
import { planRepack } from '../../core/vault/repack';

const id = (n: number): Buffer => Buffer.alloc(32, n);
const pack = (packId: string, blocks: number[]): IndexedPack => ({
  packId,
  size: blocks.length * 100 + 50, // a 50-byte header and trailer
  entries: blocks.map((n, i) => ({ id: id(n), offset: i * 100, length: 100, rawLength: 400, codec: 1 })),
});

describe('repack plan', () => {
  it('rewrites packs under half alive, moving each live block once and none a kept pack already holds', () => {
    const used = new Set([1, 2, 3, 5, 6, 9].map((n) => id(n).toString('latin1')));
    const plan = planRepack(
      [
        pack('mostly-live', [1, 2, 3, 4]),
        pack('mostly-dead', [5, 7, 8, 10]),
        pack('dead-but-shared', [1, 6, 11, 12, 13]),
        pack('half', [9, 14]),
      ],
      used,
    );
    expect(plan.keep.map((p) => p.packId)).toEqual(['mostly-live']);
    expect(plan.rewrite.map((p) => p.packId)).toEqual(['mostly-dead', 'dead-but-shared', 'half']);
    // Block 1 lives on in the kept pack; 5, 6 and 9 move, in their packs' order.
    expect(plan.moving.map((m) => [m.packId, m.entry.id[0]])).toEqual([
      ['mostly-dead', 5],
      ['dead-but-shared', 6],
      ['half', 9],
    ]);
    expect(plan.bytesMoving).toBe(300);
    expect(plan.bytesFreed).toBe(450 - 100 + (550 - 100) + (250 - 100));
  });

  it('keeps packs younger than the minimum age whole, however little of them is live', () => {
    const used = new Set([1, 5].map((n) => id(n).toString('latin1')));
    const plan = planRepack(
      [pack('old-mostly-dead', [1, 2, 3, 4]), pack('young-mostly-dead', [5, 6, 7, 8])],
      used,
      new Set(['young-mostly-dead']),
    );
    expect(plan.keep.map((p) => p.packId)).toEqual(['young-mostly-dead']);
    expect(plan.rewrite.map((p) => p.packId)).toEqual(['old-mostly-dead']);
    expect(plan.moving.map((m) => m.entry.id[0])).toEqual([1]);
  });
});
