import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { LifeboatError } from '../../core/contract/errors';
import { CATALOG_FILE, openCatalog, schemaVersion, storageError } from '../../core/store/database';
import { LATEST_SCHEMA_VERSION, migrations } from '../../core/store/migrations';
import { tempDir } from '../helpers/temp';

const TABLES = [
  'settings',
  'hosts',
  'vms',
  'targets',
  'policies',
  'jobs',
  'recovery_points',
  'drills',
  'drill_steps',
  'audit_events',
  'secrets',
];

function tables(db: Database.Database): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
}

function openError(dir: string): LifeboatError {
  try {
    openCatalog(dir).close();
  } catch (error) {
    return error as LifeboatError;
  }
  throw new Error('expected openCatalog to fail');
}

describe('catalog store', () => {
  it('creates one WAL-mode SQLite file with every table at the latest schema', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    expect(fs.existsSync(path.join(dir, CATALOG_FILE))).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(tables(db)).toEqual(expect.arrayContaining(TABLES));
    db.close();
  });

  it('upgrades a database written at migration 1 to the latest, keeping its rows', () => {
    const dir = tempDir();
    const old = openCatalog(dir, { migrations: migrations.slice(0, 1) });
    expect(schemaVersion(old)).toBe(1);
    expect(tables(old)).not.toContain('secrets');
    old.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('organisation', '\"Acme\"', '2026-01-01')").run();
    old
      .prepare("INSERT INTO jobs (id, kind, status, created_at, started_at) VALUES ('j1', 'replication', 'succeeded', 'x', '2026-01-01')")
      .run();
    old.close();

    const db = openCatalog(dir);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(tables(db)).toEqual(expect.arrayContaining(TABLES));
    expect(db.prepare("SELECT value FROM settings WHERE key = 'organisation'").pluck().get()).toBe('"Acme"');
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'").pluck().all();
    expect(indexes).toContain('jobs_by_started');
    db.close();
  });

  it('rebuilds hosts for Azure sites (migration 11) without cascading into their VMs', () => {
    const dir = tempDir();
    const old = openCatalog(dir, { migrations: migrations.slice(0, 10) });
    old.prepare("INSERT INTO hosts (id, name, kind, added_at) VALUES ('h1', 'HV01', 'hyperv', '2026-01-01')").run();
    old
      .prepare("INSERT INTO vms (id, host_id, external_id, name, first_seen_at, last_seen_at) VALUES ('v1', 'h1', 'x', 'DC01', 'a', 'a')")
      .run();
    expect(() => old.prepare("INSERT INTO hosts (id, name, kind, added_at) VALUES ('h2', 'Azure', 'azure', 'a')").run()).toThrow(/CHECK/);
    old.close();

    const db = openCatalog(dir);
    expect(db.prepare('SELECT name FROM vms').pluck().all()).toEqual(['DC01']);
    db.prepare("INSERT INTO hosts (id, name, kind, added_at) VALUES ('h2', 'Azure', 'azure', 'a')").run();
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    // The rebuilt table is still the one vms references: removing the host removes its VMs.
    db.prepare("DELETE FROM hosts WHERE id = 'h1'").run();
    expect(db.prepare('SELECT COUNT(*) FROM vms').pluck().get()).toBe(0);
    db.close();
  });

  it('re-opening is idempotent', () => {
    const dir = tempDir();
    openCatalog(dir).close();
    const db = openCatalog(dir);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database from a newer version with a clear error and leaves it untouched', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    const error = openError(dir);
    expect(error.code).toBe('DATABASE_TOO_NEW');
    expect(error.message).toContain(`schema ${LATEST_SCHEMA_VERSION + 5}`);
    expect(error.fix).toMatch(/newer Lifeboat|--data/);
    const raw = new Database(path.join(dir, CATALOG_FILE));
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 5);
    raw.close();
  });

  it('reports a file that is not a database instead of crashing', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, CATALOG_FILE), Buffer.alloc(8192, 'not sqlite '));
    const error = openError(dir);
    expect(error.code).toBe('DATABASE_UNREADABLE');
    expect(error.message).toContain('is damaged');
    expect(error.fix).toContain('catalog rebuild');
  });

  it('gives the rebuild advice for a catalog whose damage the integrity check confirms', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    const insert = db.prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, '\"x\"', '2026-01-01')");
    for (let i = 0; i < 500; i++) insert.run(`key-${i}`);
    db.close();
    // Scribble over every page after the first: the schema still reads, the tables do not.
    const file = path.join(dir, CATALOG_FILE);
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0x5a, pageSize);
    fs.writeFileSync(file, bytes);
    let error: LifeboatError | undefined;
    try {
      const damaged = openCatalog(dir);
      try {
        damaged.prepare('SELECT count(*) FROM settings').get();
      } finally {
        damaged.close();
      }
    } catch (caught) {
      error = caught as LifeboatError;
    }
    expect(error).toMatchObject({ code: 'DATABASE_UNREADABLE' });
    expect(error!.message).toMatch(/is damaged/);
    expect(error!.fix).toContain('catalog rebuild');
  });

  it('turns storage failures into typed errors that do not send anyone to rebuild the catalog', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    const sqlite = (code: string, message: string): Error => Object.assign(new Error(message), { code });
    try {
      const full = storageError(dir, sqlite('SQLITE_FULL', 'database or disk is full'), db)!;
      expect(full.code).toBe('DATA_FOLDER_FULL');
      expect(full.message).toMatch(`The disk holding the data folder ${dir} is full`);
      expect(full.fix).toMatch(/^Free space on that disk, then try again: nothing was lost\./);
      expect(storageError(dir, sqlite('ENOSPC', 'no space left on device'))!.code).toBe('DATA_FOLDER_FULL');

      // This disk has room, so an I/O error is a disk that cannot be read or written, not a full one.
      const io = storageError(dir, sqlite('SQLITE_IOERR_WRITE', 'disk I/O error'), db)!;
      expect(io.code).toBe('DATA_FOLDER_UNUSABLE');
      expect(io.message).toBe(`The disk holding the data folder ${dir} cannot be read or written: disk I/O error (SQLITE_IOERR_WRITE).`);
      expect(io.fix).toContain('nothing was lost');

      // SQLite says "corrupt" but quick_check finds the file sound: no advice to move it aside.
      const unconfirmed = storageError(dir, sqlite('SQLITE_CORRUPT', 'database disk image is malformed'), db)!;
      expect(unconfirmed.code).toBe('DATABASE_UNREADABLE');
      expect(unconfirmed.message).toContain('integrity check found nothing wrong');
      expect(unconfirmed.fix).not.toContain('catalog rebuild');

      // Not about storage: left alone for the caller.
      expect(storageError(dir, sqlite('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'), db)).toBeNull();
      db.exec('CREATE TABLE unique_things (name TEXT UNIQUE)');
      db.prepare("INSERT INTO unique_things VALUES ('a')").run();
      expect(() => db.prepare("INSERT INTO unique_things VALUES ('a')").run()).toThrow(
        expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      );
    } finally {
      db.close();
    }
  });

  it.skipIf(process.platform === 'win32')('creates a missing data folder private (0700)', () => {
    const dir = path.join(tempDir(), 'new', 'data');
    openCatalog(dir).close();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('reports a data folder it cannot create', () => {
    const dir = tempDir();
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const error = openError(path.join(file, 'data'));
    expect(error.code).toBe('DATA_FOLDER_UNUSABLE');
    expect(error.fix).toContain('--data');
  });
});
