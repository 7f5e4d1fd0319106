import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RoomDeps } from '../service-context';
import { LOG_DIR } from '../logging/rotating-log';
import { VERSION } from '../version';
import { catalogCounts } from '../store/stats';
import { schemaVersion } from '../store/database';

/** What this module needs from the engine (see RoomDeps). */
export type DiagnosticsExportDeps = RoomDeps<'clock' | 'dataDir' | 'db' | 'secrets'>;

export interface DiagnosticsResult {
  file: string;
  bytes: number;
  entries: string[];
}

const REDACTED = '[redacted]';
/** JSON keys whose values are never exported, whatever column they turn up in. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|sas|key$/i;

/**
 * A zip support can read: logs, a copy of the catalog, and facts about the machine. Secrets never leave:
 * the sealed-secrets table is dropped, secret-looking JSON fields are blanked, and every stored secret's
 * plaintext is redacted from every exported text — so even a secret that slipped into a log line is gone.
 */
export async function exportDiagnostics(ctx: DiagnosticsExportDeps, outFile: string): Promise<DiagnosticsResult> {
  const secrets = knownSecrets(ctx);
  const redact = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join(REDACTED), text);
  const { default: JSZip } = await import('jszip'); // loaded when used: every CLI start would pay for it
  const zip = new JSZip();

  const logDir = path.join(ctx.dataDir, LOG_DIR);
  if (fs.existsSync(logDir)) {
    for (const name of fs.readdirSync(logDir).filter((n) => n.endsWith('.log'))) {
      zip.file(`logs/${name}`, redact(fs.readFileSync(path.join(logDir, name), 'utf8')));
    }
  }

  const catalog = scrubbedCatalogCopy(ctx, redact);
  try {
    zip.file('catalog/lifeboat.db', fs.readFileSync(catalog.file));
  } finally {
    fs.rmSync(catalog.dir, { recursive: true, force: true });
  }

  zip.file(
    'about.json',
    redact(
      JSON.stringify(
        {
          version: VERSION,
          exportedAt: ctx.clock.now().toISOString(),
          platform: `${process.platform} ${os.release()} ${process.arch}`,
          node: process.version,
          schemaVersion: schemaVersion(ctx.db),
          counts: catalogCounts(ctx.db),
          memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
          cpus: os.cpus().length,
        },
        null,
        2,
      ),
    ),
  );

  const buffer = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, buffer, { mode: 0o600 });
  return { file: outFile, bytes: buffer.length, entries: Object.keys(zip.files).filter((name) => !zip.files[name]!.dir) };
}

/** Plaintexts of every sealed secret this engine can open, longest first so overlaps redact fully. */
function knownSecrets(ctx: DiagnosticsExportDeps): string[] {
  const ids = ctx.db.prepare('SELECT id FROM secrets').pluck().all() as string[];
  const values: string[] = [];
  for (const id of ids) {
    try {
      const value = ctx.secrets.get(id);
      if (value && value.length >= 4) values.push(value);
    } catch {
      // Sealed by another box (e.g. the desktop app's): it cannot leak what we cannot read.
    }
  }
  return values.sort((a, b) => b.length - a.length);
}

function scrubbedCatalogCopy(ctx: DiagnosticsExportDeps, redact: (text: string) => string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-diag-'));
  const file = path.join(dir, 'lifeboat.db');
  ctx.db.prepare('VACUUM INTO ?').run(file);
  const copy = new Database(file);
  try {
    copy.exec('DELETE FROM secrets;');
    for (const { table, column } of jsonColumns(copy)) {
      const rows = copy.prepare(`SELECT rowid AS id, "${column}" AS value FROM "${table}"`).all() as { id: number; value: unknown }[];
      const update = copy.prepare(`UPDATE "${table}" SET "${column}" = ? WHERE rowid = ?`);
      for (const row of rows) {
        if (typeof row.value !== 'string') continue;
        const cleaned = redact(blankSecretFields(row.value));
        if (cleaned !== row.value) update.run(cleaned, row.id);
      }
    }
    copy.exec('VACUUM;');
  } finally {
    copy.close();
  }
  return { dir, file };
}

/**
 * Every TEXT column of every table: JSON or not, each is redacted. Table and column names come from the
 * copy's own schema (identifiers cannot be bound as parameters), quoted; no outside text reaches the SQL.
 */
function jsonColumns(db: Database.Database): { table: string; column: string }[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  return tables.flatMap((table) =>
    (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string }[])
      .filter((column) => column.type.toUpperCase() === 'TEXT')
      .map((column) => ({ table, column: column.name })),
  );
}

function blankSecretFields(text: string): string {
  if (!text.startsWith('{') && !text.startsWith('[')) return text;
  try {
    return JSON.stringify(
      JSON.parse(text, (key, value: unknown) => (key && SECRET_KEY.test(key) && typeof value === 'string' ? REDACTED : value)),
    );
  } catch {
    return text;
  }
}
