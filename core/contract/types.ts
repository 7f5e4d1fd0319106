/** Plain-JSON shapes that travel over every transport. */

export type VaultLocation = { kind: 'folder'; path: string };

export interface VaultTarget {
  id: string;
  name: string;
  location: VaultLocation;
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
