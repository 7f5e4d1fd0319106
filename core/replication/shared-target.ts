import type { ServiceContext } from '../service-context';
import { RatePacer, type SharedPacers } from '../vault/backends/throttle';
import { WriteGate } from './write-gate';

/**
 * One target's uplink, shared by every copy writing to it at once: they draw from the same pacer, so two
 * copies under a 20 MiB/s limit get 20 MiB/s between them. When their policies' limits differ, the lowest
 * one in force applies.
 */
export class TargetBandwidth {
  readonly pacers: SharedPacers = { upload: new RatePacer(), download: new RatePacer() };
  private readonly limits = new Set<() => number | null>();

  /** Adds a copy's limit (re-read by `apply`); returns how to take it away when the copy ends. */
  join(limit: () => number | null): () => void {
    this.limits.add(limit);
    this.apply();
    return () => {
      this.limits.delete(limit);
      this.apply();
    };
  }

  apply(): void {
    const inForce = [...this.limits].map((limit) => limit()).filter((value): value is number => value !== null && value > 0);
    this.pacers.upload.setLimit(inForce.length > 0 ? Math.min(...inForce) : null);
  }
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

const byContext = new WeakMap<ServiceContext, Map<string, SharedTarget>>();

export function sharedTarget(ctx: ServiceContext, targetId: string): SharedTarget {
  let targets = byContext.get(ctx);
  if (!targets) byContext.set(ctx, (targets = new Map()));
  let shared = targets.get(targetId);
  if (!shared) targets.set(targetId, (shared = new SharedTarget()));
  return shared;
}
