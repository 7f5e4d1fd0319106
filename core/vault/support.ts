import { LifeboatError } from '../contract/errors';
import { BackendError } from './backends/types';
import { SealBroken } from './block-codec';
import type { Manifest } from './format';

export interface RecoveryPointSummary {
  id: string;
  vm: string;
  time: string;
  metadata: Record<string, unknown>;
  disks: { name: string; size: number; storedBytes: number; referencedBytes: number; dataBlocks: number }[];
  /** Set when the point's manifest cannot be read or authenticated: what is wrong, naming the object. */
  damaged?: string;
}

/** A recovery point whose manifest cannot be read or authenticated. */
export interface DamagedPoint {
  id: string;
  /** The object key (`points/<id>`). */
  key: string;
  /** Its VM, when a readable point derived from it names it; null otherwise. */
  vm: string | null;
  reason: string;
}

/** Whether a read failed because the object is damaged (fails its seal or does not parse), not storage. */
export function isUnreadable(error: unknown): boolean {
  return error instanceof SealBroken || error instanceof SyntaxError;
}

/** Turns storage and crypto failures into what a user can act on. */
export function vaultError(error: unknown, location: string): unknown {
  if (error instanceof LifeboatError) return error;
  if (error instanceof BackendError) {
    switch (error.kind) {
      case 'transient':
        return new LifeboatError('BACKEND_UNAVAILABLE', `Cannot reach the vault at ${location}: ${error.message}`, {
          fix: 'Check the network, the storage account or share, and try again: the next run reuses everything already uploaded.',
          cause: error,
        });
      case 'access-denied':
        return new LifeboatError('ACCESS_DENIED', `The vault at ${location} refused access: ${error.message}`, {
          fix: 'Check the credentials (connection string, access keys, share permissions) allow reading and writing.',
          cause: error,
        });
      case 'full':
        return new LifeboatError('STORAGE_FULL', `The vault at ${location} is full: ${error.message}`, {
          fix: 'Free space (run `lifeboat vault prune` with a shorter retention) or move the vault to larger storage.',
          cause: error,
        });
      case 'not-found':
      case 'invalid-range':
        return new LifeboatError('VAULT_CORRUPT', `The vault at ${location} is missing data: ${error.message}`, {
          fix: 'Run `lifeboat vault verify` to see which recovery points are affected.',
          cause: error,
        });
      default:
        return new LifeboatError('BACKEND_UNAVAILABLE', `The vault at ${location} failed: ${error.message}`, {
          fix: 'Check the storage is healthy and try again.',
          cause: error,
        });
    }
  }
  if (error instanceof SealBroken) {
    return new LifeboatError('VAULT_CORRUPT', `The vault at ${location} holds damaged data (${error.message}).`, {
      fix: 'Run `lifeboat vault verify --read-data` to see which recovery points are affected.',
      cause: error,
    });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new LifeboatError('CANCELLED', 'Cancelled.', { cause: error });
  }
  return error;
}

export function summarize(manifest: Manifest): RecoveryPointSummary {
  return {
    id: manifest.id,
    vm: manifest.vm,
    time: manifest.time,
    metadata: manifest.metadata,
    disks: manifest.disks.map((disk) => ({
      name: disk.name,
      size: disk.size,
      storedBytes: disk.storedBytes,
      referencedBytes: disk.referencedBytes,
      dataBlocks: disk.dataBlocks,
    })),
  };
}

/** Runs `work` over `items` with at most `limit` at a time; the first failure rejects (others finish). */
export async function mapLimit<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (error) {
        failure ??= error;
      }
    }
  });
  await Promise.all(runners);
  if (failure !== null) throw failure;
}
