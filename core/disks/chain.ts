import { invalidDisk } from './errors';
import type { ReadStats } from './types';

/** Checkpoint chains deeper than this are refused as damaged (Hyper-V allows 50 checkpoints, VMware 32 snapshots). */
export const MAX_CHAIN_DEPTH = 128;

/**
 * What a reader knows about the files below it (its children) while it opens: the shared byte counter and
 * the identities already on the chain, so a parent pointing back at a child is a clear error, not a hang.
 */
export interface ChainContext {
  readonly stats: ReadStats;
  /** File names from the disk the caller opened down to the current file's child. */
  readonly names: readonly string[];
  /** Format-specific identities (VHDX DataWriteGuid) already on the chain. */
  readonly ids: ReadonlySet<string>;
}

export function rootContext(stats: ReadStats = { bytesReadFromSource: 0 }): ChainContext {
  return { stats, names: [], ids: new Set() };
}

/**
 * Called by a file once it knows its identity: refuses a loop or an absurd depth, and returns the context its
 * own parent opens with.
 */
export function descend(ctx: ChainContext, name: string, ids: readonly string[]): ChainContext {
  const names = [...ctx.names, name];
  const top = ctx.names[0] ?? name;
  if (ctx.names.includes(name) || ids.some((id) => ctx.ids.has(id))) {
    throw invalidDisk(
      top,
      `the parent chain loops back on itself (${names.join(' -> ')})`,
      'Each disk of a checkpoint chain must name a different, older disk as its parent. Restore the chain from a copy or rebuild it with the hypervisor.',
    );
  }
  if (names.length > MAX_CHAIN_DEPTH) {
    throw invalidDisk(
      top,
      `the parent chain is deeper than ${MAX_CHAIN_DEPTH} disks`,
      'Merge or delete old checkpoints/snapshots in the hypervisor, then retry.',
    );
  }
  return { stats: ctx.stats, names, ids: new Set([...ctx.ids, ...ids]) };
}
