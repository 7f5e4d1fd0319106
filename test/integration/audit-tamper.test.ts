import { createHmac, hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryHash, type AuditRow } from '../../core/audit/log';
import { runCli } from '../helpers/cli';
import { tempDir, tempDirManual } from '../helpers/temp';

const ENV = { LIFEBOAT_PASSPHRASE: 'Tulip-Harbour-93-Gravel-Lantern' };

/**
 * An attacker who can write lifeboat.db (and, worse, also read the data folder's key file) rewrites the
 * audit log. The anchors kept outside the catalog — in the vault with every copy, in every workbook — are
 * what still catches it.
 */
let honest: string; // a data folder whose log nobody touched, copied for each attack
let workbook: string;

let honestDir: ReturnType<typeof tempDirManual>;

beforeAll(() => {
  honestDir = tempDirManual();
  honest = honestDir.dir;
  const cli = (...args: string[]) => runCli(['--data', honest, ...args], ENV);
  expect(cli('setup', '--organisation', 'Acme', '--vault-folder', path.join(honest, 'vault')).status).toBe(0);
  expect(cli('lab', 'create').status).toBe(0);
  expect(cli('protect', '--vm', 'lab-web01', '--target', path.join(honest, 'vault'), '--rpo', '60m', '--name', 'Web').status).toBe(0);
  const run = cli('run', 'Web');
  expect(run.status, run.stderr).toBe(0); // writes the audit anchor into the vault
  workbook = path.join(honest, 'q4.xlsx');
  const today = new Date().toISOString().slice(0, 10);
  const report = cli('report', '--from', today, '--to', today, '--out', workbook);
  expect(report.status, report.stderr).toBe(0);
  expect(cli('call', 'updateSettings', JSON.stringify({ organisation: 'Acme Ltd' })).status).toBe(0);
});

afterAll(() => honestDir?.remove());

/** A copy of the honest data folder, its vault and workbook beside it as they were. */
function copyOfHonest(): string {
  const dir = path.join(tempDir(), 'data');
  fs.cpSync(honest, dir, { recursive: true });
  return dir;
}

function rows(db: Database.Database): AuditRow[] {
  return db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as AuditRow[];
}

/** Rewrites entry `seq`'s subject and recomputes every later hash (and, given the key file, every MAC). */
function rewrite(dir: string, seq: number, withKeyFile: boolean): void {
  const db = new Database(path.join(dir, 'lifeboat.db'));
  const key = withKeyFile
    ? Buffer.from(hkdfSync('sha256', fs.readFileSync(path.join(dir, 'secret.key')), Buffer.alloc(0), 'lifeboat audit mac v1', 32))
    : null;
  const mac = (text: string): string | null => (key ? createHmac('sha256', key).update(text).digest('hex') : null);
  let previous: string | null = null;
  for (const row of rows(db)) {
    const changed = { ...row, prev_hash: previous ?? row.prev_hash, subject: row.seq === seq ? 'nobody' : row.subject };
    const hash = entryHash(changed);
    db.prepare('UPDATE audit_events SET subject = ?, prev_hash = ?, hash = ?, mac = COALESCE(?, mac) WHERE seq = ?').run(
      changed.subject,
      changed.prev_hash,
      hash,
      mac(`entry:${hash}`),
      row.seq,
    );
    previous = hash;
  }
  const last = rows(db).at(-1)!;
  db.prepare("UPDATE settings SET value = ? WHERE key = 'auditHead'").run(
    JSON.stringify({ seq: last.seq, hash: last.hash, ...(key ? { mac: mac(`head:${last.seq}:${last.hash}`) } : {}) }),
  );
  db.close();
}

describe('the audit log against a local attacker', () => {
  it('passes on the honest log, checked against the vault anchor and the workbook', () => {
    const verify = runCli(['--data', honest, 'audit', 'verify', '--workbook', workbook], ENV);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/Audit log intact: \d+ entries/);
    expect(verify.stdout).toMatch(/matches the anchor in the vault "Primary vault" \(written /);
    expect(verify.stdout).toContain(`matches the workbook ${workbook}`);
  });

  it('(a) an entry edited with every hash recomputed fails on its MAC, and on the anchors even with the key file', () => {
    const dir = copyOfHonest();
    rewrite(dir, 2, false);
    const verify = runCli(['--data', dir, 'audit', 'verify'], ENV);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toMatch(/Entry 2 \(.*\) was rewritten: its hash was recomputed, but its seal \(MAC\) does not match/);
    expect(verify.stderr).toMatch(
      /Entry \d+ differs from the anchor in the vault "Primary vault" \(written .*\): the log was rewritten up to there/,
    );

    const keyHolder = copyOfHonest();
    rewrite(keyHolder, 2, true); // the MACs are right now: only the anchors outside the catalog disagree
    const anchored = runCli(['--data', keyHolder, 'audit', 'verify', '--workbook', workbook], ENV);
    expect(anchored.status).toBe(1);
    expect(anchored.stderr).not.toContain('MAC');
    expect(anchored.stderr).toMatch(/differs from the anchor in the vault "Primary vault"/);
    expect(anchored.stderr).toContain(`differs from the workbook ${workbook}`);
  });

  it('(b) the newest entries deleted with the head record fail, naming the missing end and the anchor', () => {
    const dir = copyOfHonest();
    const db = new Database(path.join(dir, 'lifeboat.db'));
    const kept = 2;
    db.prepare('DELETE FROM audit_events WHERE seq > ?').run(kept);
    db.prepare("DELETE FROM settings WHERE key = 'auditHead'").run();
    db.close();
    const verify = runCli(['--data', dir, 'audit', 'verify'], ENV);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain(`The record of the log's end is missing while ${kept} entries are present`);
    expect(verify.stderr).toMatch(
      new RegExp(
        `The log ends at entry ${kept}, but the anchor in the vault "Primary vault" \\(written .*\\) records entry \\d+: entries ${kept + 1}–\\d+ were deleted`,
      ),
    );
  });

  it('(2) a workbook exported before a rewrite fails the rewritten log; an honest one passes', () => {
    const dir = copyOfHonest();
    // Only the workbook stands between the rewrite and the auditor: the vault is gone.
    const db = new Database(path.join(dir, 'lifeboat.db'));
    db.prepare('UPDATE targets SET location = replace(location, ?, ?)').run(honest, dir);
    db.close();
    fs.rmSync(path.join(dir, 'vault'), { recursive: true });
    rewrite(dir, 1, true);
    const verify = runCli(['--data', dir, 'audit', 'verify', '--workbook', workbook], ENV);
    expect(verify.status).toBe(1);
    expect(verify.stderr).toMatch(/Entry \d+ differs from the workbook .*q4\.xlsx: the log was rewritten up to there/);
    expect(verify.stderr).toMatch(/warning: not checked against the vault "Primary vault"/);
  });
});
