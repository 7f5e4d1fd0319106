import { expect } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { openDisk } from '../../core/disks';
import type { ByteSource, SourceResolver } from '../../core/disks/types';

/** mulberry32: a small seeded PRNG, so every fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Mutation {
  patches: Map<number, number>;
  truncateTo: number | undefined;
}

/** A seed file in memory with byte patches and an optional truncation, read without copying the seed. */
export class MutatedSource implements ByteSource {
  static maxRead = 0;
  static reads = 0;

  constructor(
    readonly name: string,
    private readonly base: Buffer,
    private readonly mutation: Mutation | undefined,
  ) {}

  async size(): Promise<number> {
    return Math.min(this.base.length, this.mutation?.truncateTo ?? Infinity);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    MutatedSource.maxRead = Math.max(MutatedSource.maxRead, length);
    MutatedSource.reads++;
    const end = Math.min(offset + length, await this.size());
    if (end <= offset) return Buffer.alloc(0);
    const out = Buffer.from(this.base.subarray(offset, end));
    for (const [at, value] of this.mutation?.patches ?? []) if (at >= offset && at < end) out[at - offset] = value;
    return out;
  }

  async close(): Promise<void> {}
}

export interface Seed {
  name: string;
  data: Buffer;
  /** Byte ranges holding the format's structures; most mutations land there. */
  hot: [number, number][];
  /** How often this file is the one mutated, relative to the others (default: the top file 4, others 1). */
  weight?: number;
}

const INTERESTING_32 = [
  0, 1, 2, 7, 0x7f, 0x80, 0xff, 0x100, 0x200, 0x1000, 0x10000, 0x100000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

/** 1–8 byte flips, interesting 32-bit values, or a truncation; 75% of positions in the hot ranges. */
export function mutate(seed: Seed, random: () => number, fix?: (patches: Map<number, number>, data: Buffer) => void): Mutation {
  const patches = new Map<number, number>();
  const position = () => {
    if (random() < 0.75 && seed.hot.length) {
      const [from, to] = seed.hot[Math.floor(random() * seed.hot.length)]!;
      return Math.min(seed.data.length - 1, from + Math.floor(random() * (to - from)));
    }
    return Math.floor(random() * seed.data.length);
  };
  const kind = random();
  let truncateTo: number | undefined;
  if (kind < 0.1) {
    truncateTo = Math.floor(random() * seed.data.length);
  } else if (kind < 0.45) {
    const at = position() & ~3;
    const value = random() < 0.8 ? INTERESTING_32[Math.floor(random() * INTERESTING_32.length)]! : Math.floor(random() * 2 ** 32);
    for (let i = 0; i < 4; i++) patches.set(at + i, (value >>> (8 * i)) & 0xff);
  } else {
    const n = 1 + Math.floor(random() * 8);
    for (let i = 0; i < n; i++) {
      const at = position();
      patches.set(at, (seed.data[at] ?? 0) ^ (1 << Math.floor(random() * 8)));
    }
  }
  fix?.(patches, seed.data);
  return { patches, truncateTo };
}

export interface FuzzOutcome {
  opened: number;
  refused: Map<string, number>;
}

/**
 * Opens the mutated top file (its siblings, e.g. a parent or extent, unmutated or mutated as given), lists
 * extents and reads pieces of them. Anything but success or a DISK_INVALID/DISK_UNSUPPORTED LifeboatError that
 * names one of the files fails the test, with the case number to replay it.
 */
export async function runFuzz(
  label: string,
  seeds: Seed[],
  cases: number,
  seedNumber: number,
  options: { fix?: (patches: Map<number, number>, data: Buffer) => void; maxRead: number },
): Promise<FuzzOutcome> {
  const outcome: FuzzOutcome = { opened: 0, refused: new Map() };
  MutatedSource.maxRead = 0;
  const top = seeds[0]!;
  for (let i = 0; i < cases; i++) {
    const random = prng(seedNumber * 100_003 + i);
    const weights = seeds.map((s, n) => s.weight ?? (n === 0 ? 4 : 1));
    let pick = random() * weights.reduce((a, b) => a + b, 0);
    const victim = seeds.find((_, n) => (pick -= weights[n]!) < 0) ?? top;
    const mutation = mutate(victim, random, victim === top ? options.fix : undefined);
    const resolver: SourceResolver = {
      open: async (name) => {
        const wanted = name.replace(/^.*[\\/]/, '');
        const seed = seeds.find((s) => s.name === wanted || s.name === name);
        if (!seed) throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
        return new MutatedSource(seed.name, seed.data, seed === victim ? mutation : undefined);
      },
    };
    MutatedSource.reads = 0;
    try {
      const reader = await openDisk(top.name, resolver);
      try {
        const extents = await reader.extents();
        for (const e of extents.slice(0, 8)) {
          await reader.read(e.offset, Math.min(e.length, 64 * 1024));
          const tail = Math.max(e.offset, e.offset + e.length - 64 * 1024);
          await reader.read(tail, e.offset + e.length - tail);
        }
        await reader.read(Math.floor(random() * reader.virtualSize), 4096);
        outcome.opened++;
      } finally {
        await reader.close();
      }
    } catch (error) {
      const where = `${label} case ${i} (seed ${seedNumber}), mutation ${JSON.stringify({ victim: victim.name, patches: [...mutation.patches], truncateTo: mutation.truncateTo })}`;
      if (!(error instanceof LifeboatError)) expect.fail(`${where}: ${(error as Error)?.stack ?? String(error)}`);
      expect(['DISK_INVALID', 'DISK_UNSUPPORTED'], `${where}: ${error.code} ${error.message}`).toContain(error.code);
      expect(
        seeds.some((s) => error.message.startsWith(`${s.name}: `)),
        `${where}: ${error.message}`,
      ).toBe(true);
      const problem = error.message
        .replace(/^[^:]*: /, '')
        .replace(/\d+/g, 'N')
        .slice(0, 60);
      outcome.refused.set(problem, (outcome.refused.get(problem) ?? 0) + 1);
    }
    expect(MutatedSource.reads, `${label} case ${i}: too many reads`).toBeLessThan(20_000);
  }
  expect(MutatedSource.maxRead, `${label}: a single read of ${MutatedSource.maxRead} bytes`).toBeLessThanOrEqual(options.maxRead);
  return outcome;
}
