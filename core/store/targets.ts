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

  list(): VaultTarget[] {
    const rows = this.db
      .prepare('SELECT id, name, location, credentials_secret_id, is_default FROM targets ORDER BY is_default DESC, name')
      .all() as (TargetRow & { credentials_secret_id: string | null; is_default: number })[];
    return rows.map((row) => ({ ...toTarget(row), hasCredentials: row.credentials_secret_id !== null, isDefault: row.is_default === 1 }));
  }

  findByLocation(path: string): VaultTarget | null {
    return this.list().find((target) => target.location.path === path) ?? null;
  }

  create(name: string, location: VaultLocation, credentialsSecretId: string | null, now: Date): VaultTarget {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO targets (id, name, kind, location, credentials_secret_id, is_default, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)')
      .run(id, name, location.kind, JSON.stringify(location), credentialsSecretId, now.toISOString());
    return { id, name, location, hasCredentials: credentialsSecretId !== null, isDefault: false };
  }

  credentialsSecretId(id: string): string | null {
    return (this.db.prepare('SELECT credentials_secret_id FROM targets WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM targets WHERE id = ?').run(id);
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
