import path from 'node:path';
import Database from 'better-sqlite3';
import { LifeboatError } from '../contract/errors';
import { dataFolderTrouble, ensureDataDir } from '../data-dir';
import type { Db } from './db';
import { LATEST_SCHEMA_VERSION, migrations as allMigrations, type Migration } from './migrations';

export type { Db } from './db';

export const CATALOG_FILE = 'lifeboat.db';

export interface OpenOptions {
  /** Tests pass a prefix of the list to build an old database. */
  migrations?: readonly Migration[];
}

/**
 * Opens (creating if needed) the catalog in `dataDir` and brings it to the latest schema. The connection it
 * returns turns storage failures into typed errors wherever they happen (see catalogError): a full disk is
 * not a damaged catalog, and advice to move the catalog aside would throw away the audit log.
 */
export function openCatalog(dataDir: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? allMigrations;
  ensureDataDir(dataDir);
  const file = path.join(dataDir, CATALOG_FILE);
  let db: Db | undefined;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db, file, migrations);
  } catch (error) {
    const failure = error instanceof LifeboatError ? error : catalogError(dataDir, error, db);
    closeQuietly(db);
    throw failure;
  }
  return guardCatalog(db, dataDir);
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
    // foreign_keys cannot change inside a transaction; while it is off, the check below stands in for it.
    if (migration.rebuildsTable) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        migration.up?.(db);
        if (migration.rebuildsTable && (db.pragma('foreign_key_check') as unknown[]).length > 0)
          throw new Error(`migration ${migration.version} would break references between tables`);
        db.pragma(`user_version = ${migration.version}`);
      })();
    } finally {
      if (migration.rebuildsTable) db.pragma('foreign_keys = ON');
    }
  }
}

function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function isCorruption(error: unknown): boolean {
  const code = sqliteCode(error);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/**
 * A SQLite (or file system) failure on the catalog as a LifeboatError, or null when it is not about the
 * storage (a constraint, a bad statement: those stay as they are for the caller).
 * - full disk / unreadable disk → DATA_FOLDER_FULL / DATA_FOLDER_UNUSABLE: free space or fix the disk, nothing is lost;
 * - SQLITE_CORRUPT / SQLITE_NOTADB → DATABASE_UNREADABLE with the restore-or-rebuild advice, but only once
 *   `PRAGMA quick_check` confirms the damage (a NOTADB file cannot be opened at all, which is its own proof).
 */
export function storageError(dataDir: string, error: unknown, db?: Db): LifeboatError | null {
  if (error instanceof LifeboatError) return null;
  const disk = dataFolderTrouble(dataDir, error);
  if (disk) return disk;
  if (!isCorruption(error)) return null;
  const file = path.join(dataDir, CATALOG_FILE);
  const reason = error instanceof Error ? error.message : String(error);
  const check =
    sqliteCode(error) === 'SQLITE_NOTADB' ? { damaged: true, detail: 'it is not a SQLite database' } : integrityCheck(dataDir, db);
  if (check.trouble) return check.trouble;
  if (check.damaged) {
    return new LifeboatError('DATABASE_UNREADABLE', `The catalog ${file} is damaged: ${check.detail ?? reason}.`, {
      fix: 'Restore the file from a backup, or move it aside and rebuild the catalog from the vault (lifeboat catalog rebuild).',
      cause: error,
    });
  }
  return new LifeboatError(
    'DATABASE_UNREADABLE',
    `SQLite reported the catalog ${file} as damaged (${reason}), but its integrity check found nothing wrong.`,
    {
      fix: 'Try again. If it keeps happening, copy the data folder somewhere safe and export diagnostics for support; do not rebuild the catalog yet.',
      cause: error,
    },
  );
}

/** Any failure while opening the catalog, as a LifeboatError. */
function catalogError(dataDir: string, error: unknown, db?: Db): LifeboatError {
  const typed = storageError(dataDir, error, db);
  if (typed) return typed;
  const file = path.join(dataDir, CATALOG_FILE);
  const reason = error instanceof Error ? error.message : String(error);
  return new LifeboatError('DATABASE_UNREADABLE', `The catalog ${file} cannot be opened: ${reason}.`, {
    fix: 'Try again. If it keeps happening, export diagnostics for support; move the catalog aside only if `lifeboat status` says it is damaged.',
    cause: error,
  });
}

/**
 * `PRAGMA quick_check` on the open connection, or on a read-only one when there is none. A check that
 * itself fails on the disk reports that instead.
 */
function integrityCheck(dataDir: string, db?: Db): { damaged: boolean; detail?: string; trouble?: LifeboatError } {
  let own: Db | undefined;
  try {
    const connection = db?.open ? db : (own = new Database(path.join(dataDir, CATALOG_FILE), { readonly: true, fileMustExist: true }));
    const rows = Database.prototype.pragma.call(connection, 'quick_check(5)', { simple: false }) as { quick_check: string }[];
    const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
    return problems.length === 0 ? { damaged: false } : { damaged: true, detail: `quick_check found ${problems.join('; ')}` };
  } catch (error) {
    if (isCorruption(error)) return { damaged: true, detail: error instanceof Error ? error.message : String(error) };
    const trouble = dataFolderTrouble(dataDir, error);
    return trouble ? { damaged: false, trouble } : { damaged: false };
  } finally {
    closeQuietly(own);
  }
}

function closeQuietly(db: Db | undefined): void {
  try {
    db?.close();
  } catch {
    // already failing: the first error is the one to report
  }
}

type AnyFunction = (...args: never[]) => unknown;

/**
 * Makes every statement, exec, pragma and transaction of `db` throw storage failures as LifeboatErrors
 * (storageError); other errors pass through unchanged. The stores keep using the plain better-sqlite3 API.
 */
function guardCatalog(db: Db, dataDir: string): Db {
  const translate = (error: unknown): unknown => storageError(dataDir, error, db) ?? error;
  const guard = <F extends AnyFunction>(fn: F, self: unknown): F =>
    function (this: unknown, ...args: Parameters<F>) {
      try {
        return fn.apply(self ?? this, args);
      } catch (error) {
        throw translate(error);
      }
    } as F;
  const guardIterate = <F extends AnyFunction>(fn: F, self: unknown): F =>
    function* (...args: Parameters<F>) {
      try {
        return yield* fn.apply(self, args) as Iterable<unknown>;
      } catch (error) {
        throw translate(error);
      }
    } as unknown as F;

  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    statement.run = guard(statement.run, statement);
    statement.get = guard(statement.get, statement);
    statement.all = guard(statement.all, statement);
    statement.iterate = guardIterate(statement.iterate, statement);
    return statement;
  }) as Db['prepare'];
  db.exec = guard(db.exec, db);
  db.pragma = guard(db.pragma, db);
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: AnyFunction) => {
    const variants = transaction(fn);
    const wrapped = guard(variants, undefined);
    const properties: PropertyDescriptorMap = {
      default: { value: wrapped },
      deferred: { value: guard(variants.deferred, undefined) },
      immediate: { value: guard(variants.immediate, undefined) },
      exclusive: { value: guard(variants.exclusive, undefined) },
      database: { value: db, enumerable: true },
    };
    for (const name of ['default', 'deferred', 'immediate', 'exclusive'] as const)
      Object.defineProperties(properties[name]!.value, properties);
    return wrapped;
  }) as Db['transaction'];
  return db;
}
