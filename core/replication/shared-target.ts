import type { BandwidthInForce } from '../contract/protection';
import type { Db } from '../store/db';
import { RatePacer, type SharedPacers } from '../vault/backends/throttle';
import { WriteGate } from './write-gate';

/**
 * One target's uplink, shared by every copy writing to it at once: they draw from the same pacer, so two
 * copies under a 20 MiB/s limit get 20 MiB/s between them. When their policies' limits differ, the lowest
 * one in force applies.
 */
export class TargetBandwidth {
  readonly pacers: SharedPacers = { upload: new RatePacer(), download: new RatePacer() };
  private readonly limits = new Set<LimitSource>();
  private current: BandwidthInForce | null = null;

  /** Adds a copy's limit (re-read by `apply`); returns how to take it away when the copy ends. */
  join(source: LimitSource): () => void {
    this.limits.add(source);
    this.apply();
    return () => {
      this.limits.delete(source);
      this.apply();
    };
  }

  apply(): void {
    let tightest: BandwidthInForce | null = null;
    for (const source of this.limits) {
      const bytesPerSecond = source.limit();
      if (bytesPerSecond === null || bytesPerSecond <= 0) continue;
      if (!tightest || bytesPerSecond < tightest.bytesPerSecond)
        tightest = { bytesPerSecond, policyId: source.policyId, policyName: source.policyName };
    }
    this.current = tightest;
    this.pacers.upload.setLimit(tightest?.bytesPerSecond ?? null);
  }

  /** The limit every copy to this target runs under now, and the policy it comes from. */
  inForce(): BandwidthInForce | null {
    return this.current;
  }
}

/** One running copy's bandwidth schedule: the limit it wants now, and whose it is. */
export interface LimitSource {
  policyId: string;
  policyName: string;
  limit(): number | null;
}

/** What the jobs of one target share inside this engine. */
export class SharedTarget {
  readonly bandwidth = new TargetBandwidth();
  readonly gate = new WriteGate();
  private opening: Promise<unknown> = Promise.resolve();

  /**
   * Runs `open` after any other job's open of this target has settled: two copies starting together on a
   * vault that does not exist yet must not both create it (each with its own keys).
   */
  openSerially<T>(open: () => Promise<T>): Promise<T> {
    const result = this.opening.then(open, open);
    this.opening = result.catch(() => undefined);
    return result;
  }
}

// One engine, one catalog connection: its targets' shared state lives as long as that connection.
const byCatalog = new WeakMap<Db, Map<string, SharedTarget>>();

export function sharedTarget(ctx: { db: Db }, targetId: string): SharedTarget {
  let targets = byCatalog.get(ctx.db);
  if (!targets) byCatalog.set(ctx.db, (targets = new Map()));
  let shared = targets.get(targetId);
  if (!shared) targets.set(targetId, (shared = new SharedTarget()));
  return shared;
}
