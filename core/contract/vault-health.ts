/**
 * What the heartbeat last found at a vault target. `new`: nothing there yet and no point ever stored
 * there (the first copy creates the vault); `unavailable`: it cannot be reached or has vanished;
 * `damaged`: it answers but its config cannot be read.
 */
export interface VaultHealth {
  targetId: string;
  target: string;
  location: string;
  checkedAt: string;
  state: 'ok' | 'new' | 'unavailable' | 'damaged';
  problem: string | null;
  fix: string | null;
  /** Bytes the vault really holds (folder walked like `du -sb`, or objects listed); null until measured. */
  bytesUsed: number | null;
  measuredAt: string | null;
  /** Space left on the vault's disk; null for cloud storage. */
  freeBytes: number | null;
}

export const VAULT_DOWN: ReadonlySet<VaultHealth['state']> = new Set(['unavailable', 'damaged']);
