import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LifeboatError } from '../contract/errors';
import { LATEST_SCHEMA_VERSION, migrations as allMigrations, type Migration } from './migrations';

export type Db = Database.Database;

export const CATALOG_FILE = 'lifeboat.db';

export interface OpenOptions {
  /** Tests pass a prefix of the list to build an old database. */
  migrations?: readonly Migration[];
}

/** Opens (creating if needed) the catalog in `dataDir` and brings it to the latest schema. */
export function openCatalog(dataDir: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? allMigrations;
  ensureDataDir(dataDir);
  const file = path.join(dataDir, CATALOG_FILE);
  let db: Db;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db, file, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof LifeboatError ? error : unreadable(file, error);
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, file: string, migrations: readonly Migration[]): void {
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > LATEST_SCHEMA_VERSION || current > latest) {
    throw new LifeboatError(
      'DATABASE_TOO_NEW',
      `The catalog ${file} was written by a newer Lifeboat (schema ${current}; this version knows up to ${latest}).`,
      { fix: 'Install the newer Lifeboat version, or start this one with a different data folder (--data DIR).' },
    );
  }
  for (const migration of migrations.slice(current)) {
    // Each step is all-or-nothing: a crash mid-upgrade leaves the previous version intact.
    db.transaction(() => {
      db.exec(migration.sql);
      migration.up?.(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}

function ensureDataDir(dataDir: string): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch (error) {
    throw new LifeboatError('DATA_FOLDER_UNUSABLE', `Lifeboat cannot write to its data folder ${dataDir}.`, {
      fix: 'Check the folder exists and this account may write to it, or choose another with --data DIR or LIFEBOAT_DATA.',
      cause: error,
    });
  }
}

function unreadable(file: string, error: unknown): LifeboatError {
  const reason = error instanceof Error ? error.message : String(error);
  return new LifeboatError('DATABASE_UNREADABLE', `The catalog ${file} cannot be opened: ${reason}.`, {
    fix: 'Restore the file from a backup, or move it aside and rebuild the catalog from the vault (lifeboat catalog rebuild).',
    cause: error,
  });
}
