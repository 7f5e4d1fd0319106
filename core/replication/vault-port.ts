import type { ProgressDetail } from '../jobs/progress-meter';
import type { Retention } from '../contract/protection';
import type { DiskReader, DiskWriter, Extent } from '../disks/types';

/**
 * What a replication run needs from a vault. core/vault implements it; the run never sees packs, indexes or
 * backends, and tests of the run's failure paths can hold a vault that fails on cue.
 */
/**
 * Which of a vault's recovery points are one VM's: by the VM id its manifests record, never by its name —
 * names repeat across hosts. Manifests written before ids were recorded count only when the catalog says so.
 */
export interface PointOwner {
  vmId: string;
  /** The catalog's point ids for this VM in this vault. */
  knownPointIds: ReadonlySet<string>;
}

export function ownsPoint(owner: PointOwner, point: { id: string; metadata: Record<string, unknown> }): boolean {
  const recorded = point.metadata.vmId;
  return typeof recorded === 'string' ? recorded === owner.vmId : owner.knownPointIds.has(point.id);
}

export interface VaultPort {
  /** The VM's newest recovery point in this vault, with each disk's change id (VMware CBT) when recorded. */
  latest(owner: PointOwner): Promise<{ id: string; time: string; disks: { name: string; changeId: string | null }[] } | null>;
  /** Progress comes in two stages: reading the disks, then sending what is still queued for the vault. */
  backup(
    input: VaultBackupInput,
    options: {
      signal: AbortSignal;
      onProgress(bytesDone: number, bytesTotal: number, stage: 'read' | 'send', detail?: ProgressDetail): void;
    },
  ): Promise<VaultPointResult>;
  /**
   * Applies retention to the VM's points, once no other copy of this engine writes to the vault; returns the
   * ids that remain, or null when the VM's retention had nothing to forget (the vault was not touched).
   */
  prune(owner: PointOwner, retention: Retention, signal?: AbortSignal): Promise<string[] | null>;
  /** The disks a point holds, with their virtual sizes, for a restore. */
  pointDisks(pointId: string): Promise<{ name: string; size: number }[]>;
  /** Writes the disk into `writer` (the caller closes or aborts it). */
  restoreDisk(
    pointId: string,
    disk: string,
    writer: DiskWriter,
    options: { signal: AbortSignal; onProgress(bytesDone: number, bytesTotal: number): void },
  ): Promise<void>;
  /** Re-reads and re-hashes every block the point uses: the drill's "vault data" check. */
  verifyPoint(pointId: string, signal: AbortSignal): Promise<{ ok: boolean; problem: string | null }>;
  close(): Promise<void>;
}

export interface VaultBackupInput {
  vm: string;
  time: Date;
  disks: VaultDiskInput[];
  /** The VM's configuration and how the point was taken; kept in the manifest so the vault alone can rebuild the catalog. */
  metadata: Record<string, unknown>;
}

export interface VaultDiskInput {
  name: string;
  reader: DiskReader;
  /** Only these ranges changed since `parentPointId`; null: read every allocated extent. */
  changed: Extent[] | null;
  parentPointId: string | null;
  changeId: string | null;
}

export interface VaultPointResult {
  id: string;
  time: string;
  /** Virtual size of all disks. */
  sizeBytes: number;
  /** New bytes this point added to the vault (after dedup and compression). */
  storedBytes: number;
  bytesRead: number;
  /** Measured upload rate of the run's packs (bytes/s), to show a bandwidth limit is honoured. */
  uploadBytesPerSecond: number;
}
