import { BlockIndex } from './block-index';
import { buildPack, keys, type IndexedPack, type PackEntry } from './format';
import type { VaultCore } from './vault-core';

/**
 * A pack whose live blobs fill less than this share of it is rewritten by prune: otherwise the space of
 * forgotten points in packs that still hold one live block would never come back, and a vault under a
 * rolling retention would grow without end. Half keeps the rewrite cheap (at most twice what it frees).
 */
export const REPACK_BELOW_LIVE_SHARE = 0.5;
/** Live blobs are fetched in ranged reads of about this size. */
const MAX_FETCH = 8 * 1024 * 1024;

export interface RepackPlan {
  /** Packs kept as they are. */
  keep: IndexedPack[];
  /** Packs whose live blobs move to new packs; the packs themselves are deleted afterwards. */
  rewrite: IndexedPack[];
  /** The live entries of `rewrite`, each block once, in pack and offset order. */
  moving: { packId: string; entry: PackEntry }[];
  bytesMoving: number;
  /** Bytes of `rewrite` packs that no kept point uses: what the rewrite frees. */
  bytesFreed: number;
}

/**
 * Splits the packs some kept point still uses into those kept whole and those worth rewriting. Packs in
 * `young` (younger than prune's minimum age: their other blocks may belong to a copy still in flight) are
 * kept whole whatever they hold.
 */
export function planRepack(packs: IndexedPack[], used: Set<string>, young: ReadonlySet<string> = new Set()): RepackPlan {
  const plan: RepackPlan = { keep: [], rewrite: [], moving: [], bytesMoving: 0, bytesFreed: 0 };
  const live = (entry: PackEntry): boolean => used.has(entry.id.toString('latin1'));
  for (const pack of packs) {
    const liveBytes = pack.entries.filter(live).reduce((sum, entry) => sum + entry.length, 0);
    (liveBytes < pack.size * REPACK_BELOW_LIVE_SHARE && !young.has(pack.packId) ? plan.rewrite : plan.keep).push(pack);
  }
  // A live block that a kept pack also holds need not move: the kept copy serves it.
  const placed = new Set<string>();
  for (const pack of plan.keep) for (const entry of pack.entries) placed.add(entry.id.toString('latin1'));
  for (const pack of plan.rewrite) {
    let moved = 0;
    for (const entry of [...pack.entries].sort((a, b) => a.offset - b.offset)) {
      const key = entry.id.toString('latin1');
      if (!live(entry) || placed.has(key)) continue;
      placed.add(key);
      plan.moving.push({ packId: pack.packId, entry });
      moved += entry.length;
    }
    plan.bytesMoving += moved;
    plan.bytesFreed += pack.size - moved;
  }
  return plan;
}

/**
 * Copies the moving blobs into new packs, sealed bytes as they are (a blob is sealed with its block id, not
 * its place), and returns the new packs for the index. The old packs stay until the caller has written an
 * index without them, so a prune killed here leaves only unindexed new packs, which the next prune sweeps.
 */
export async function writeRepacked(
  vault: VaultCore,
  plan: RepackPlan,
  signal?: AbortSignal,
  onBytes?: (bytes: number) => void,
): Promise<IndexedPack[]> {
  const written: IndexedPack[] = [];
  let blobs: Buffer[] = [];
  let entries: PackEntry[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (entries.length === 0) return;
    const pack = buildPack(blobs, entries, vault.keys.encKey);
    await vault.backend.put(keys.pack(pack.id), pack.parts, signal ? { signal } : {});
    written.push({ packId: pack.id, size: pack.size, entries });
    blobs = [];
    entries = [];
    size = 0;
  };
  for (const run of fetchRuns(plan.moving)) {
    signal?.throwIfAborted();
    const first = run[0]!.entry;
    const last = run[run.length - 1]!.entry;
    const data = await vault.backend.get(keys.pack(run[0]!.packId), {
      offset: first.offset,
      length: last.offset + last.length - first.offset,
    });
    for (const { entry } of run) {
      const blob = data.subarray(entry.offset - first.offset, entry.offset - first.offset + entry.length);
      entries.push({ ...entry, offset: size });
      blobs.push(blob);
      size += blob.length;
      onBytes?.(blob.length);
      if (size >= vault.packSize) await flush();
    }
  }
  await flush();
  return written;
}

/** Groups moving entries of one pack that lie close together into one ranged read. */
function fetchRuns(moving: RepackPlan['moving']): RepackPlan['moving'][] {
  const runs: RepackPlan['moving'][] = [];
  for (const item of moving) {
    const run = runs.at(-1);
    const start = run?.[0]?.entry.offset ?? 0;
    if (run && run[0]!.packId === item.packId && item.entry.offset + item.entry.length - start <= MAX_FETCH) run.push(item);
    else runs.push([item]);
  }
  return runs;
}

/** The index after a repack: kept packs as they were, new packs in place of the rewritten ones. */
export function indexAfterRepack(plan: RepackPlan, written: IndexedPack[]): BlockIndex {
  const index = new BlockIndex();
  for (const pack of [...plan.keep, ...written]) index.addPack(pack);
  return index;
}
