import { randomUUID } from 'node:crypto';
import type { VaultLocation, VaultTarget } from '../contract/types';
import type { Db } from './database';

interface TargetRow {
  id: string;
  name: string;
  location: string;
}

export class TargetsStore {
  constructor(private readonly db: Db) {}

  get(id: string): VaultTarget | null {
    const row = this.db.prepare('SELECT id, name, location FROM targets WHERE id = ?').get(id) as TargetRow | undefined;
    return row ? toTarget(row) : null;
  }

  getDefault(): VaultTarget | null {
    const row = this.db.prepare('SELECT id, name, location FROM targets WHERE is_default = 1').get() as TargetRow | undefined;
    return row ? toTarget(row) : null;
  }

  /** Replaces the default target's location, or creates it. */
  setDefault(name: string, location: VaultLocation, now: Date): VaultTarget {
    const existing = this.getDefault();
    if (existing) {
      this.db
        .prepare('UPDATE targets SET name = ?, kind = ?, location = ? WHERE id = ?')
        .run(name, location.kind, JSON.stringify(location), existing.id);
      return { id: existing.id, name, location };
    }
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO targets (id, name, kind, location, is_default, created_at) VALUES (?, ?, ?, ?, 1, ?)')
      .run(id, name, location.kind, JSON.stringify(location), now.toISOString());
    return { id, name, location };
  }
}

function toTarget(row: TargetRow): VaultTarget {
  return { id: row.id, name: row.name, location: JSON.parse(row.location) as VaultLocation };
}
