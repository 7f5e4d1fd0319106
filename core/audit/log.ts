import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock';
import type { AuditEntry, AuditVerification } from '../contract/audit';
import type { Db } from '../store/database';
import type { SettingsStore } from '../store/settings';
import { canonicalJson } from './canonical-json';

export const GENESIS_HASH = '0'.repeat(64);
/** What the secret box derives the audit MAC key from (SecretBox.deriveKey). */
export const AUDIT_MAC_LABEL = 'audit mac v1';

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
  mac: string | null;
}

/** An anchor of the log kept outside the catalog (a vault, a workbook), and where it came from. */
export interface AnchorToCheck {
  /** In words, for the verdict: 'the vault "Primary" (anchor written 2026-12-03T10:00Z)'. */
  source: string;
  seq: number;
  hash: string;
}

/** The hash of an entry covers every field and the previous entry's hash, so no row can change unseen. */
export function entryHash(entry: Omit<AuditRow, 'hash' | 'mac'>): string {
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
 * Whoever can write lifeboat.db could recompute every hash, so each entry and the head also carry a MAC
 * made with a key the catalog never holds (`macKey`, from the secret box); and anchors kept outside the
 * catalog (every vault, every workbook) catch a shortened or rewritten log even then.
 */
export class AuditLog {
  private key: Buffer | null | undefined;

  constructor(
    private readonly db: Db,
    private readonly settings: SettingsStore,
    private readonly clock: Clock,
    /** The MAC key (see AUDIT_MAC_LABEL); null when this process cannot have it, and then entries carry none. */
    private readonly macKey: () => Buffer | null,
  ) {
    if (this.settings.get('auditKeyedFrom') === undefined) {
      const last = this.db.prepare('SELECT MAX(seq) FROM audit_events').pluck().get() as number | null;
      this.settings.set('auditKeyedFrom', (last ?? 0) + 1, this.clock.now());
    }
  }

  /** The key, read once; null when the secret box cannot give one (then entries are written without a MAC). */
  private keyOrNull(): Buffer | null {
    if (this.key === undefined) {
      try {
        this.key = this.macKey();
      } catch {
        this.key = null;
      }
    }
    return this.key;
  }

  private mac(text: string): string | null {
    const key = this.keyOrNull();
    return key ? createHmac('sha256', key).update(text).digest('hex') : null;
  }

  append(actor: string, action: string, subject: string | null, details: Record<string, unknown> = {}): AuditEntry {
    return this.db.transaction(() => {
      const last = this.db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; hash: string } | undefined;
      const now = this.clock.now();
      const row: Omit<AuditRow, 'hash' | 'mac'> = {
        seq: (last?.seq ?? 0) + 1,
        time: now.toISOString(),
        actor,
        action,
        subject,
        details: canonicalJson(details),
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const hash = entryHash(row);
      const mac = this.mac(`entry:${hash}`);
      this.db
        .prepare(
          'INSERT INTO audit_events (seq, time, actor, action, subject, details, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(row.seq, row.time, row.actor, row.action, row.subject, row.details, row.prev_hash, hash, mac);
      const headMac = this.mac(`head:${row.seq}:${hash}`);
      this.settings.set('auditHead', { seq: row.seq, hash, ...(headMac ? { mac: headMac } : {}) }, now);
      return toEntry({ ...row, hash, mac });
    })();
  }

  /** The log's end as it stands, for anchors written elsewhere (null while it is empty). */
  head(): { seq: number; hash: string; keyedFrom: number } | null {
    const last = this.db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    return last ? { ...last, keyedFrom: this.settings.get('auditKeyedFrom') ?? 1 } : null;
  }

  list(options: { from?: string; to?: string; limit?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(`SELECT * FROM audit_events WHERE time >= ? AND time < ? ORDER BY seq DESC LIMIT ?`)
      .all(options.from ?? '', options.to ?? '9999', options.limit ?? 1000) as AuditRow[];
    return rows.map(toEntry);
  }

  /**
   * Walks the whole chain; reports the first row that is edited, missing or out of place, then checks the
   * end against the head record and against every anchor given (vaults, a workbook).
   */
  verify(anchors: readonly AnchorToCheck[] = []): AuditVerification {
    const keyedFrom = this.settings.get('auditKeyedFrom') ?? 1;
    const key = this.keyOrNull();
    const hashes = new Map<number, string>();
    const wanted = new Set(anchors.map((anchor) => anchor.seq));
    // Every fault is named, not just the first: an auditor needs the anchor a rewrite disagrees with too.
    const faults: { seq: number; problem: string }[] = [];
    let previous = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (const row of this.db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
      if (faults.length > 0) break;
      if (row.seq !== expectedSeq)
        faults.push({
          seq: expectedSeq,
          problem: `Entry ${expectedSeq}${row.seq > expectedSeq + 1 ? `–${row.seq - 1}` : ''} is missing (deleted).`,
        });
      else if (row.prev_hash !== previous)
        faults.push({ seq: row.seq, problem: `Entry ${row.seq} does not follow entry ${row.seq - 1} (chain link changed).` });
      else if (entryHash(row) !== row.hash)
        faults.push({ seq: row.seq, problem: `Entry ${row.seq} (${row.action}) was edited after it was written.` });
      else if (key && row.seq >= keyedFrom && !this.macMatches(row.mac, `entry:${row.hash}`)) {
        faults.push({
          seq: row.seq,
          problem: `Entry ${row.seq} (${row.action}) was rewritten: its hash was recomputed, but its seal (MAC) does not match.`,
        });
      }
      if (faults.length > 0) break;
      if (wanted.has(row.seq)) hashes.set(row.seq, row.hash);
      previous = row.hash;
      expectedSeq++;
      checked++;
    }
    // The rows after a fault are still read for the anchors' sake: which anchors does the stored log contradict?
    for (const row of this.db.prepare('SELECT seq, hash FROM audit_events WHERE seq >= ?').iterate(expectedSeq) as IterableIterator<{
      seq: number;
      hash: string;
    }>) {
      if (wanted.has(row.seq)) hashes.set(row.seq, row.hash);
    }
    const last = (this.db.prepare('SELECT MAX(seq) FROM audit_events').pluck().get() as number | null) ?? 0;
    if (faults.length === 0) {
      const head = this.settings.get('auditHead');
      if (!head && last > 0)
        faults.push({
          seq: last,
          problem: `The record of the log's end is missing while ${last} entries are present (the newest entries may have been deleted with it).`,
        });
      else if (head && head.seq > last)
        faults.push({ seq: last + 1, problem: `Entries ${last + 1}–${head.seq} are missing (the newest entries were deleted).` });
      else if (head && (head.seq !== last || head.hash !== previous))
        faults.push({ seq: head.seq, problem: `The recorded end of the log (entry ${head.seq}) does not match the entries present.` });
      else if (head && key && head.seq >= keyedFrom && !this.macMatches(head.mac ?? null, `head:${head.seq}:${head.hash}`)) {
        faults.push({
          seq: head.seq,
          problem: `The record of the log's end (entry ${head.seq}) was rewritten: its seal (MAC) does not match.`,
        });
      }
    }
    for (const anchor of anchors) {
      if (anchor.seq > last)
        faults.push({
          seq: last + 1,
          problem: `The log ends at entry ${last}, but ${anchor.source} records entry ${anchor.seq}: entries ${last + 1}–${anchor.seq} were deleted.`,
        });
      else if (hashes.get(anchor.seq) !== anchor.hash)
        faults.push({ seq: anchor.seq, problem: `Entry ${anchor.seq} differs from ${anchor.source}: the log was rewritten up to there.` });
    }
    if (faults.length > 0) return broken(checked, faults[0]!.seq, faults.map((fault) => fault.problem).join(' '));
    return { ok: true, checked, headHash: previous, problem: null, brokenAtSeq: null, anchorsChecked: anchors.map((a) => a.source) };
  }

  private macMatches(mac: string | null, text: string): boolean {
    const expected = this.mac(text);
    if (!mac || !expected || mac.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(mac), Buffer.from(expected));
  }
}

function broken(checked: number, seq: number, problem: string): AuditVerification {
  return { ok: false, checked, headHash: null, problem, brokenAtSeq: seq, anchorsChecked: [] };
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
