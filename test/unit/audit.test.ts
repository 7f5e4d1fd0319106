import { describe, expect, it } from 'vitest';
import { AuditLog, GENESIS_HASH } from '../../core/audit/log';
import { openCatalog } from '../../core/store/database';
import { SettingsStore } from '../../core/store/settings';
import { tempDir } from '../helpers/temp';

function logWith(entries: number) {
  const dir = tempDir();
  const db = openCatalog(dir);
  let t = Date.parse('2026-03-01T09:00:00Z');
  const log = new AuditLog(db, new SettingsStore(db), { now: () => new Date((t += 60_000)) }, () => Buffer.alloc(32, 7));
  for (let i = 1; i <= entries; i++) log.append('alice', 'policy.changed', `policy-${i}`, { rpoMinutes: i * 5 });
  return { dir, db, log };
}

describe('audit log', () => {
  it('chains every entry to the one before it', () => {
    const { db, log } = logWith(3);
    const entries = log.list().reverse();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(log.verify()).toMatchObject({ ok: true, checked: 3, headHash: entries[2]!.hash });
    db.close();
  });

  it('names the row whose content was edited in SQLite', () => {
    const { db, log } = logWith(5);
    db.prepare('UPDATE audit_events SET details = \'{"rpoMinutes":999}\' WHERE seq = 3').run();
    expect(log.verify()).toMatchObject({ ok: false, brokenAtSeq: 3, problem: expect.stringContaining('Entry 3') });
    db.close();
  });

  it('detects a row rewritten with a recomputed hash, a deleted row, and a deleted tail', () => {
    const forged = logWith(4);
    forged.db.prepare("UPDATE audit_events SET actor = 'mallory', hash = 'f00d' WHERE seq = 2").run();
    expect(forged.log.verify()).toMatchObject({ ok: false, brokenAtSeq: 2 });
    forged.db.close();

    const deleted = logWith(4);
    deleted.db.prepare('DELETE FROM audit_events WHERE seq = 2').run();
    expect(deleted.log.verify()).toMatchObject({ ok: false, brokenAtSeq: 2, problem: expect.stringContaining('missing') });
    deleted.db.close();

    const tail = logWith(4);
    tail.db.prepare('DELETE FROM audit_events WHERE seq >= 3').run();
    expect(tail.log.verify()).toMatchObject({ ok: false, brokenAtSeq: 3, problem: expect.stringContaining('newest') });
    tail.db.close();
  });
});
