import type { SecretBox } from '../secrets/secret-box';
import { LifeboatError } from '../contract/errors';
import type { Db } from './database';

/** What is sealed: the value with the row it belongs to, so a value moved to another row does not open there. */
interface BoundSecret {
  v: 2;
  id: string;
  purpose: string;
  value: string;
}

/**
 * Secrets sealed by a SecretBox; the catalog never holds a plaintext credential. Each sealed value names
 * its own row and purpose inside the seal (authenticated by the box's AEAD), so whoever can write the
 * catalog cannot swap two secrets (say the vault passphrase and an SMTP password) without it showing.
 */
export class SecretsStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    /** The box an earlier start sealed with (the desktop app leaving a plain-text keystore): its values move over. */
    private readonly previous: SecretBox | null = null,
  ) {
    this.bindLegacy();
  }

  put(id: string, purpose: string, plaintext: string, now: Date): void {
    const bound: BoundSecret = { v: 2, id, purpose, value: plaintext };
    const sealed = this.box.seal(JSON.stringify(bound));
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
    const row = this.db.prepare('SELECT purpose, box, sealed FROM secrets WHERE id = ?').get(id) as
      { purpose: string; box: string; sealed: Buffer } | undefined;
    if (!row) return undefined;
    if (row.box !== this.box.kind) {
      throw new LifeboatError('SECRET_UNREADABLE', `The secret "${id}" was sealed by ${row.box}, not ${this.box.kind}.`, {
        fix:
          row.box === 'electron-safe-storage'
            ? 'Open the Lifeboat desktop app on this computer (it holds the key), or enter the secret again here.'
            : 'Enter the secret again in Settings.',
      });
    }
    const opened = this.box.open(row.sealed);
    const bound = parseBound(opened);
    if (!bound) return opened; // sealed before values were bound to their rows (bindLegacy re-seals those)
    if (bound.id !== id || bound.purpose !== row.purpose) {
      throw new LifeboatError(
        'SECRET_UNREADABLE',
        `The stored secret "${id}" (${row.purpose}) holds the sealed value of another secret ("${bound.id}", ${bound.purpose}): the catalog was altered.`,
        {
          fix: 'Enter this secret again in Settings, and check who can write the data folder (lifeboat.db).',
        },
      );
    }
    return bound.value;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM secrets WHERE id = ?').run(id);
  }

  /**
   * Values sealed by an earlier version without their row inside the seal, or by the previous box, are sealed
   * again, bound to their row, by this box.
   */
  private bindLegacy(): void {
    const rows = this.db.prepare('SELECT id, purpose, box, sealed FROM secrets').all() as {
      id: string;
      purpose: string;
      box: string;
      sealed: Buffer;
    }[];
    for (const row of rows) {
      const moving = row.box !== this.box.kind;
      const opener = moving ? (this.previous?.kind === row.box ? this.previous : null) : this.box;
      if (!opener) continue;
      let opened: string;
      try {
        opened = opener.open(row.sealed);
      } catch {
        continue; // reported, with its fix, when something asks for it
      }
      const bound = parseBound(opened);
      if (moving || !bound) this.put(row.id, row.purpose, bound ? bound.value : opened, new Date());
    }
  }
}

function parseBound(opened: string): BoundSecret | null {
  if (!opened.startsWith('{"v":2,')) return null;
  try {
    const value = JSON.parse(opened) as BoundSecret;
    return value.v === 2 && typeof value.id === 'string' && typeof value.value === 'string' ? value : null;
  } catch {
    return null;
  }
}
