import type { SecretBox } from '../secrets/secret-box';
import { LifeboatError } from '../contract/errors';
import type { Db } from './database';

/** Secrets sealed by a SecretBox; the catalog never holds a plaintext credential. */
export class SecretsStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  put(id: string, purpose: string, plaintext: string, now: Date): void {
    const sealed = this.box.seal(plaintext);
    this.db
      .prepare(
        `INSERT INTO secrets (id, purpose, box, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET purpose = excluded.purpose, box = excluded.box, sealed = excluded.sealed,
           updated_at = excluded.updated_at`,
      )
      .run(id, purpose, this.box.kind, sealed, now.toISOString(), now.toISOString());
  }

  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM secrets WHERE id = ?').get(id) !== undefined;
  }

  get(id: string): string | undefined {
    const row = this.db.prepare('SELECT box, sealed FROM secrets WHERE id = ?').get(id) as
      | { box: string; sealed: Buffer }
      | undefined;
    if (!row) return undefined;
    if (row.box !== this.box.kind) {
      throw new LifeboatError('SECRET_UNREADABLE', `The secret "${id}" was sealed by ${row.box}, not ${this.box.kind}.`, {
        fix:
          row.box === 'electron-safe-storage'
            ? 'Open the Lifeboat desktop app on this computer (it holds the key), or enter the secret again here.'
            : 'Enter the secret again in Settings.',
      });
    }
    return this.box.open(row.sealed);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM secrets WHERE id = ?').run(id);
  }
}
