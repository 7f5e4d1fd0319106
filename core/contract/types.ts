/** Plain-JSON shapes that travel over every transport. */

/**
 * Where a vault lives. `path` is the vault's location string: a folder or share path, `azblob://<container>[/<prefix>]`
 * (Azure Blob) or `s3://<bucket>[/<prefix>]` (S3-compatible). Cloud credentials are sealed separately.
 */
export type VaultLocation = { kind: 'folder'; path: string } | { kind: 'azure'; path: string } | { kind: 's3'; path: string };

export interface VaultTarget {
  id: string;
  name: string;
  location: VaultLocation;
  /** True when credentials are stored (sealed) for this target; they are never returned. */
  hasCredentials?: boolean;
  isDefault?: boolean;
}

export interface Settings {
  organisation: string | null;
  /** The vault chosen in the first-run wizard; more targets arrive with protection policies. */
  vault: VaultTarget | null;
  /** True when the vault passphrase is kept (encrypted) so scheduled runs can open the vault. */
  passphraseStored: boolean;
  firstRunComplete: boolean;
  dataDir: string;
  /** A sensible default for the wizard's vault folder on this machine. */
  suggestedVaultPath: string;
  desktop: DesktopSettings;
  concurrency: ConcurrencyLimits;
  /** How many times in a row a failed or interrupted copy is tried again (after 1, 2, 4… minutes). */
  copyRetries: number;
}

/** Copies that failed or were interrupted are tried again after 1, 2, 4… minutes, this many times in a row. */
export const DEFAULT_COPY_RETRIES = 3;

/** How many copies and drills run at once: in all, per host (its disks) and per target (its uplink). */
export interface ConcurrencyLimits {
  total: number;
  perHost: number;
  perTarget: number;
}

/** How the desktop app behaves; ignored by the agent and browser mode. */
export interface DesktopSettings {
  /** Start in the tray when the user signs in, so schedules run without opening the app. */
  startAtLogin: boolean;
  /** Check for and install updates automatically. Off until the user opts in. */
  autoUpdate: boolean;
}

export interface Status {
  version: string;
  dataDir: string;
  schemaVersion: number;
  firstRunComplete: boolean;
  organisation: string | null;
  counts: { hosts: number; vms: number; policies: number; runningJobs: number; recoveryPoints: number; drills: number };
  startedAt: string;
}
