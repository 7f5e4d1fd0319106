import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../../core/store/migrations';
import { describe, expect, it } from 'vitest';
import { CATALOG_FILE } from '../../core/store/database';
import { runCli, serveConsole } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const SUBCOMMANDS = ['serve', 'status', 'setup', 'call'];

describe('lifeboat CLI', () => {
  it('prints status as JSON for the folder chosen by --data or LIFEBOAT_DATA', () => {
    const dir = tempDir();
    const byFlag = runCli(['--data', dir, 'status', '--json']);
    expect(byFlag.status).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ dataDir: dir, firstRunComplete: false, schemaVersion: LATEST_SCHEMA_VERSION });
    expect(fs.existsSync(path.join(dir, CATALOG_FILE))).toBe(true);

    const other = tempDir();
    const byEnv = runCli(['status', '--json'], { LIFEBOAT_DATA: other });
    expect(JSON.parse(byEnv.stdout).dataDir).toBe(other);
  });

  it('has --help for every subcommand', () => {
    expect(runCli(['--help']).stdout).toMatch(/serve[\s\S]*status[\s\S]*setup/);
    for (const command of SUBCOMMANDS) {
      const help = runCli([command, '--help']);
      expect(help.status, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: lifeboat ${command}`);
    }
  });

  it('exits 2 with a one-line reason on unknown commands and bad flags', () => {
    const unknown = runCli(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");

    const flag = runCli(['status', '--colour']);
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim()).toBe("error: unknown option '--colour'");

    const port = runCli(['serve', '--port', 'eighty']);
    expect(port.status).not.toBe(0);
    expect(port.stderr).toContain('--port must be a number');
  });

  it('sets up without a window, validating like the console does', () => {
    const dir = tempDir();
    const weak = runCli(['--data', dir, 'setup', '--organisation', 'Acme', '--vault-folder', '/srv/vault'], {
      LIFEBOAT_PASSPHRASE: 'password1234',
    });
    expect(weak.status).toBe(2);
    expect(weak.stderr).toMatch(/^error: passphrase: /);

    const missing = runCli(['--data', dir, 'setup', '--organisation', 'Acme', '--vault-folder', '/srv/vault']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('LIFEBOAT_PASSPHRASE');

    const file = path.join(dir, 'pass.txt');
    fs.writeFileSync(file, `${PASSPHRASE}\n`);
    const ok = runCli(['--data', dir, 'setup', '--organisation', 'Acme', '--vault-folder', '/srv/vault', '--passphrase-file', file]);
    expect(ok.status, ok.stderr).toBe(0);
    const status = JSON.parse(runCli(['--data', dir, 'status', '--json']).stdout);
    expect(status).toMatchObject({ firstRunComplete: true, organisation: 'Acme' });
  });

  it('calls any ConsoleApi method generically', () => {
    const dir = tempDir();
    const list = runCli(['call', '--list']);
    expect(list.stdout).toMatch(/getSettings\s+\S/);
    const settings = runCli(['--data', dir, 'call', 'getSettings']);
    expect(JSON.parse(settings.stdout)).toMatchObject({ firstRunComplete: false });
    const bad = runCli(['--data', dir, 'call', 'updateSettings', '{"organisation":""}']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/organisation/);
  });

  it('explains a catalog written by a newer version instead of crashing', () => {
    const dir = tempDir();
    runCli(['--data', dir, 'status']);
    const db = new Database(path.join(dir, CATALOG_FILE));
    db.pragma('user_version = 99');
    db.close();
    const result = runCli(['--data', dir, 'status']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('newer Lifeboat');
    expect(result.stderr).toContain('fix:');
  });

  it('serve prints the console link on 127.0.0.1 and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const console = await serveConsole(['--data', dir]);
    expect(console.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{20,}$/);
    const page = await fetch(console.url); // the fragment stays in the browser: the page itself holds no secret
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect(await console.stop()).toBe(0);
  });
});
