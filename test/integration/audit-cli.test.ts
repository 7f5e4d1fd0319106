import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

describe('lifeboat audit', () => {
  it('`lifeboat audit verify` exits 1 naming the edited row', () => {
    const dir = tempDir();
    const passphrase = 'Tulip-Harbour-93-Gravel-Lantern';
    expect(
      runCli(['--data', dir, 'setup', '--organisation', 'Acme', '--vault-folder', '/srv/v'], { LIFEBOAT_PASSPHRASE: passphrase }).status,
    ).toBe(0);
    expect(runCli(['--data', dir, 'call', 'updateSettings', '{"organisation":"Acme Ltd"}']).status).toBe(0);
    const ok = runCli(['--data', dir, 'audit', 'verify']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('intact: 2 entries');
    const list = JSON.parse(runCli(['--data', dir, 'audit', 'list', '--json']).stdout);
    expect(list.map((e: { action: string }) => e.action)).toEqual(['settings.changed', 'setup.completed']);

    const db = new Database(path.join(dir, 'lifeboat.db'));
    db.prepare("UPDATE audit_events SET subject = 'Someone else' WHERE seq = 1").run();
    db.close();
    const bad = runCli(['--data', dir, 'audit', 'verify']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Entry 1 (setup.completed) was edited');
  });
});
