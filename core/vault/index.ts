/**
 * The vault: encrypted, deduplicated recovery points on a folder, Azure Blob or S3. Replication and drills
 * call it in-process:
 *   const vault = await Vault.open(location, passphrase, { credentials });   // a cloud vault's, as a value; readOnly: true to only read
 *   const point = await vault.backup({ vm, disks: [{ name, reader, changedExtents?, parent? }], metadata }, { signal, onProgress });
 *   await vault.restoreDisk(point.id, 'disk0', writer, { signal, onProgress });
 *   await vault.close();
 * FORMAT.md describes every object it writes.
 */
export { Vault, DEFAULT_BLOCK_SIZE, DEFAULT_PACK_SIZE, type VaultOptions, type VaultSecret } from './vault';
export type { VaultCore } from './vault-core';
export type { BackendCredentials } from './backends/credentials';
export type { RecoveryPointSummary, DamagedPoint } from './support';
export type { BackupDisk, BackupRequest, BackupResult, BackupStats } from './backup';
export type { RestoreResult } from './restore';
export type { VerifyOptions, VerifyReport, VerifyProblem, AffectedDisk } from './verify';
export { VaultDamagedError, MIN_PACK_AGE_MS, MIN_PACK_AGE_ENV, type PruneOptions, type PruneReport } from './prune';
export type { ForgetReport } from './forget';
export type { RetentionPolicy } from './retention';
export type { VaultProgress, RunOptions } from './progress';
export type { LockInfo } from './lock';
export { parseLocation } from './backends/open';
