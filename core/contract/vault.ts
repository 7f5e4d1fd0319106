import { z } from 'zod';
import { method } from './define';

/**
 * The vault through the ConsoleApi. `location` is a folder path, azblob://<container>[/<prefix>] or
 * s3://<bucket>[/<prefix>] (credentials from the engine's environment); left out, it is the vault chosen in
 * the first-run wizard. `passphrase` left out is the one stored (sealed) by the wizard. Long runs emit
 * job.progress / job.finished events under `jobId` (pass your own to follow or cancel a run).
 */
const location = z.string().trim().min(1, 'Give a vault location, or leave it out for the default vault.').optional();
const passphrase = z.string().min(1).optional();
const jobId = z.string().trim().min(1).max(100).optional();
const name = (what: string) => z.string().trim().min(1, `Give the ${what}.`).max(200);
const count = z.number().int().min(0).max(100_000).optional();

export const WRITE_FORMATS = ['raw', 'vhdx', 'vmdk', 'vmdk-esxi', 'vhd-fixed'] as const;

export interface VaultInfo {
  location: string;
  id: string;
  blockSize: number;
  /** False when a vault was already there and the passphrase opened it. */
  created: boolean;
}

export interface RecoveryPointInfo {
  id: string;
  vm: string;
  time: string;
  disks: { name: string; size: number; storedBytes: number; referencedBytes: number }[];
  /**
   * Only on a point whose manifest cannot be read or authenticated (vaultList): what is wrong. Its `vm` is
   * known only when a readable point derived from it names it (else ""), its `time` is "", `disks` empty.
   */
  damaged?: string;
}

export interface VaultBackupInfo extends RecoveryPointInfo {
  jobId: string;
  stats: { bytesRead: number; bytesNew: number; bytesStored: number; seconds: number };
}

export interface VaultRestoreInfo {
  jobId: string;
  pointId: string;
  disk: string;
  file: string;
  format: (typeof WRITE_FORMATS)[number];
  size: number;
  bytesWritten: number;
  seconds: number;
}

export interface VaultVerifyInfo {
  jobId: string;
  ok: boolean;
  points: number;
  disks: number;
  packs: number;
  packsRead: number;
  bytesRead: number;
  problems: { kind: string; message: string }[];
  affected: { pointId: string; vm: string; time: string; disk: string; badBlocks: number }[];
  unreferencedPacks: number;
}

export interface VaultPruneInfo {
  kept: string[];
  forgotten: string[];
  packsDeleted: number;
  bytesFreed: number;
  /** Packs rewritten with only the blocks still needed, and the bytes that moved. */
  packsRepacked: number;
  bytesRepacked: number;
  dryRun: boolean;
}

export interface VaultLockInfo {
  id: string;
  kind: string;
  host: string;
  pid: number;
  operation: string;
  started: string;
  refreshed: string;
}

export const vaultMethods = {
  vaultInit: method(
    'Create the vault (by default at the wizard’s location with the stored passphrase), or connect to the one already there.',
    z.object({ location, passphrase }),
  )
    .returns<VaultInfo>()
    .reads(),
  vaultList: method(
    'Recovery points in a vault, oldest first; damaged ones (manifest unreadable) last, with `damaged` set.',
    z.object({ location, passphrase }),
  )
    .returns<RecoveryPointInfo[]>()
    .reads(),
  vaultBackupDisk: method(
    'Back up one disk file (raw, VHDX, VMDK) as a new recovery point.',
    z.object({
      location,
      passphrase,
      jobId,
      diskFile: name('disk file path'),
      vm: name('VM name'),
      disk: name('disk name'),
      parent: z.string().trim().min(4).optional(),
    }),
  )
    .returns<VaultBackupInfo>()
    .reads(),
  vaultRestoreDisk: method(
    'Restore one disk of a recovery point into a new disk file.',
    z.object({
      location,
      passphrase,
      jobId,
      pointId: name('recovery point id'),
      disk: name('disk name'),
      outFile: name('output file path'),
      format: z.enum(WRITE_FORMATS).default('raw'),
    }),
  )
    .returns<VaultRestoreInfo>()
    .reads(),
  vaultVerify: method(
    'Check every recovery point can be restored; readData "all" or a fraction (0.1 = 10%) of packs also downloads and checks data.',
    z.object({ location, passphrase, jobId, readData: z.union([z.enum(['none', 'all']), z.number().gt(0).max(1)]).default('none') }),
  )
    .returns<VaultVerifyInfo>()
    .reads(),
  vaultPrune: method(
    'Forget recovery points the retention does not keep and delete data nothing needs.',
    z.object({
      location,
      passphrase,
      keepLast: count,
      keepDaily: count,
      keepWeekly: count,
      keepMonthly: count,
      keepYearly: count,
      dryRun: z.boolean().default(false),
    }),
  )
    .returns<VaultPruneInfo>()
    .reads(),
  vaultRecoveryKit: method('The printable recovery kit of a vault (plain text).', z.object({ location, passphrase }))
    .returns<{ text: string }>()
    .reads(),
  vaultUnlock: method('Break stale locks (all: every lock).', z.object({ location, passphrase, all: z.boolean().default(false) }))
    .returns<{ removed: VaultLockInfo[] }>()
    .reads(),
  vaultCancel: method('Cancel a running vault job by its jobId.', z.object({ jobId: name('job id') }))
    .returns<{ cancelled: boolean }>()
    .reads(),
};
