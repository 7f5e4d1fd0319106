import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { RotatingLog } from '../../core/logging/rotating-log';
import { createService } from '../../core/service';
import { SecretsStore } from '../../core/store/secrets';
import { openCatalog } from '../../core/store/database';
import { KeyFileSecretBox } from '../../core/secrets/key-file-box';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const HOST_PASSWORD = 'Hv01-Adm1n-P@ssw0rd!';
const AZURE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq';

describe('diagnostics export', () => {
  it('contains logs and the catalog, and no secret anywhere in it', async () => {
    const dir = tempDir();
    const service = createService({ dataDir: dir });
    const client = createLocalClient(service.api);
    await client.completeFirstRun({ organisation: 'Acme', vault: { kind: 'folder', path: '/srv/vault' }, passphrase: PASSPHRASE });

    // Credentials as later rooms store them: sealed secrets, plus a careless JSON field and a careless log line.
    const db = openCatalog(dir);
    new SecretsStore(db, new KeyFileSecretBox(dir)).put('host-hv01', 'Hyper-V host HV01', HOST_PASSWORD, new Date());
    new SecretsStore(db, new KeyFileSecretBox(dir)).put('target-azure', 'Azure key', AZURE_KEY, new Date());
    db.prepare("INSERT INTO hosts (id, name, kind, config, added_at) VALUES ('h1', 'HV01', 'hyperv', ?, '2026-01-01')").run(
      JSON.stringify({ user: 'admin', password: 'inline-secret-value' }),
    );
    db.close();
    const log = new RotatingLog(dir);
    log.write('info', `connected to HV01 with ${HOST_PASSWORD}`);
    log.write('info', `vault opened with passphrase ${PASSPHRASE}`);

    const out = path.join(dir, 'support', 'diag.zip');
    const result = await client.exportDiagnostics({ outFile: out });
    await service.close();
    expect(result.entries).toEqual(expect.arrayContaining(['logs/lifeboat.log', 'catalog/lifeboat.db', 'about.json']));

    const zip = await JSZip.loadAsync(fs.readFileSync(out));
    const needles = [PASSPHRASE, HOST_PASSWORD, AZURE_KEY, 'inline-secret-value'];
    for (const name of result.entries) {
      const content = await zip.file(name)!.async('nodebuffer');
      for (const needle of needles) expect(content.includes(Buffer.from(needle)), `${needle} in ${name}`).toBe(false);
    }
    expect(await zip.file('logs/lifeboat.log')!.async('string')).toContain('connected to HV01 with [redacted]');

    const copy = path.join(os.tmpdir(), `diag-${process.pid}.db`);
    fs.writeFileSync(copy, await zip.file('catalog/lifeboat.db')!.async('nodebuffer'));
    const exported = new Database(copy, { readonly: true });
    expect(exported.prepare('SELECT COUNT(*) FROM secrets').pluck().get()).toBe(0);
    expect(exported.prepare("SELECT value FROM settings WHERE key = 'organisation'").pluck().get()).toBe('"Acme"');
    exported.close();
    fs.rmSync(copy);
  });
});

describe('rotating log', () => {
  it('rotates by size and keeps a bounded number of files', () => {
    const dir = tempDir();
    const log = new RotatingLog(dir, { maxBytes: 200, keep: 2 });
    for (let i = 0; i < 30; i++) log.write('info', `line ${i} ${'x'.repeat(40)}`);
    const files = log.files();
    expect(files.map((f) => path.basename(f))).toEqual(['lifeboat.log', 'lifeboat.1.log', 'lifeboat.2.log']);
    for (const file of files) expect(fs.statSync(file).size).toBeLessThanOrEqual(200);
    expect(fs.readFileSync(files[0]!, 'utf8')).toContain('line 29');
  });
});
