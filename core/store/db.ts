import type Database from 'better-sqlite3';

/** The catalog connection every store takes; its own module so migrations need not import the opener. */
export type Db = Database.Database;
