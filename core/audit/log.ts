import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { AuditEntry, AuditVerification } from '../contract/audit';
import type { Db } from '../store/database';
import type { SettingsStore } from '../store/settings';
import { canonicalJson } from './canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

/** An audit_events row as stored. */
export interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** The hash of an entry covers every field and the previous entry's hash, so no row can change unseen. */
export function entryHash(entry: Omit<AuditRow, 'hash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject,
    details: JSON.parse(entry.details) as unknown,
    prevHash: entry.prev_hash,
  });
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Append-only, hash-chained record of everything that changes protection. Editing or deleting a row
 * breaks the chain; deleting the newest rows is caught by the head (last seq + hash) kept in settings.
 */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly settings: SettingsStore,
    private readonly clock: Clock,
  ) {}

  append(actor: string, action: string, subject: string | null, details: Record<string, unknown> = {}): AuditEntry {
    return this.db.transaction(() => {
      const last = this.db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      const now = this.clock.now();
      const row: Omit<AuditRow, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        time: now.toISOString(),
        actor,
        action,
        subject,
        details: canonicalJson(details),
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const hash = entryHash(row);
      this.db
        .prepare(
          'INSERT INTO audit_events (seq, time, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(row.seq, row.time, row.actor, row.action, row.subject, row.details, row.prev_hash, hash);
      this.settings.set('auditHead', { seq: row.seq, hash }, now);
      return toEntry({ ...row, hash });
    })();
  }

  list(options: { from?: string; to?: string; limit?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_events WHERE time >= ? AND time < ? ORDER BY seq DESC LIMIT ?`,
      )
      .all(options.from ?? '', options.to ?? '9999', options.limit ?? 1000) as AuditRow[];
    return rows.map(toEntry);
  }

  /** Walks the whole chain; reports the first row that is edited, missing or out of place. */
  verify(): AuditVerification {
    let previous = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (const row of this.db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
      if (row.seq !== expectedSeq) {
        return broken(checked, expectedSeq, `Entry ${expectedSeq}${row.seq > expectedSeq + 1 ? `–${row.seq - 1}` : ''} is missing (deleted).`);
      }
      if (row.prev_hash !== previous) return broken(checked, row.seq, `Entry ${row.seq} does not follow entry ${row.seq - 1} (chain link changed).`);
      if (entryHash(row) !== row.hash) return broken(checked, row.seq, `Entry ${row.seq} (${row.action}) was edited after it was written.`);
      previous = row.hash;
      expectedSeq++;
      checked++;
    }
    const head = this.settings.get('auditHead');
    if (head && (head.seq !== expectedSeq - 1 || head.hash !== previous)) {
      if (head.seq >= expectedSeq) return broken(checked, expectedSeq, `Entries ${expectedSeq}–${head.seq} are missing (the newest entries were deleted).`);
      return broken(checked, head.seq, `The recorded end of the log (entry ${head.seq}) does not match the entries present.`);
    }
    return { ok: true, checked, headHash: previous, problem: null, brokenAtSeq: null };
  }
}

function broken(checked: number, seq: number, problem: string): AuditVerification {
  return { ok: false, checked, headHash: null, problem, brokenAtSeq: seq };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
