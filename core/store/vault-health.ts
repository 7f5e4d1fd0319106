import type { VaultHealth } from '../contract/vault-health';
import type { Db } from './database';

interface Row {
  target_id: string;
  target: string;
  location: string;
  checked_at: string;
  state: VaultHealth['state'];
  problem: string | null;
  fix: string | null;
  bytes_used: number | null;
  measured_at: string | null;
  free_bytes: number | null;
}

export type VaultHealthRecord = Omit<VaultHealth, 'target' | 'location'>;

export class VaultHealthStore {
  constructor(private readonly db: Db) {}

  /** Every configured target's last check (targets never checked yet are left out). */
  list(): VaultHealth[] {
    const rows = this.db
      .prepare(
        `SELECT h.*, t.name AS target, t.location FROM vault_health h JOIN targets t ON t.id = h.target_id ORDER BY t.is_default DESC, t.name`,
      )
      .all() as Row[];
    return rows.map((row) => ({
      targetId: row.target_id,
      target: row.target,
      location: (JSON.parse(row.location) as { path: string }).path,
      checkedAt: row.checked_at,
      state: row.state,
      problem: row.problem,
      fix: row.fix,
      bytesUsed: row.bytes_used,
      measuredAt: row.measured_at,
      freeBytes: row.free_bytes,
    }));
  }

  save(record: VaultHealthRecord): void {
    this.db
      .prepare(
        `INSERT INTO vault_health (target_id, checked_at, state, problem, fix, bytes_used, measured_at, free_bytes)
         VALUES (@targetId, @checkedAt, @state, @problem, @fix, @bytesUsed, @measuredAt, @freeBytes)
         ON CONFLICT (target_id) DO UPDATE SET checked_at = excluded.checked_at, state = excluded.state, problem = excluded.problem,
           fix = excluded.fix, bytes_used = excluded.bytes_used, measured_at = excluded.measured_at, free_bytes = excluded.free_bytes`,
      )
      .run(record);
  }

  /** Forgets the checks of targets that were removed. */
  prune(): void {
    this.db.prepare('DELETE FROM vault_health WHERE target_id NOT IN (SELECT id FROM targets)').run();
  }
}
