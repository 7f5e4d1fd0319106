import type { BackendMetrics } from './backends/metrics';
import type { Backend } from './backends/types';
import type { BlockIndex } from './block-index';
import type { BlockKeys } from './block-codec';
import type { Manifest, ManifestDisk } from './format';
import type { DamagedPoint } from './support';
import type { VaultTunables } from './tunables';
import type { BlockWorkers } from './worker-pool';

/** The vault's storage as the operations see it: the whole backend stack, with what crossed the wire. */
export interface MeteredStore extends Backend {
  snapshot(): BackendMetrics;
  reset(): void;
}

/** What the operations read from the options the vault was opened with. */
export interface VaultSettings {
  /** Notices worth a log line (a vault lock taken over from a holder that is gone); default: stderr. */
  log?: ((message: string) => void) | undefined;
  /** Unreferenced packs younger than this are left by prune (default MIN_PACK_AGE_MS; see prune.ts). */
  minPackAgeMs?: number | undefined;
  /** Where LIFEBOAT_VAULT_* tuning is read (default: this process's environment). */
  tunables?: VaultTunables | undefined;
}

/**
 * Exactly what the operations (backup, restore, verify, prune, forget, repack, the audit anchor) need from an
 * open vault, as restic's Repository interface: Vault implements it, and the operations import this leaf
 * module instead of vault.ts, so neither side has to be read to understand the other.
 */
export interface VaultCore {
  readonly location: string;
  readonly blockSize: number;
  readonly packSize: number;
  readonly keys: BlockKeys;
  readonly backend: MeteredStore;
  /** Which pack holds each block, as far as loadIndex has read. */
  readonly index: BlockIndex;
  readonly options: VaultSettings;
  now(): Date;
  workers(): BlockWorkers;
  /** Forgets the loaded index, so the next loadIndex reads what is there now (another prune may have run). */
  forgetIndex(): void;
  /** Loads index objects not loaded yet; a damaged one fails the load unless `damaged` collects its key. */
  loadIndex(damaged?: string[]): Promise<Set<string>>;
  /** Records an index object this process wrote, so loadIndex does not read it back. */
  noteIndexObject(id: string): void;
  readManifest(pointId: string): Promise<Manifest>;
  readBlockList(disk: ManifestDisk): Promise<Uint8Array>;
  pointIds(): Promise<string[]>;
  scanManifests(): Promise<{ manifests: Manifest[]; damaged: DamagedPoint[] }>;
  /** A point by full id, a unique prefix of at least 4 characters, or "latest" (of a VM with "latest:<vm>"). */
  resolvePoint(reference: string): Promise<Manifest>;
}
