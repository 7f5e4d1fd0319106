/**
 * Hosts may be Azure recovery sites. SQLite cannot change a CHECK constraint in place, so the table is rebuilt
 * (sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"): this migration runs with
 * foreign keys off — dropping the old table must not cascade into vms — and is checked with foreign_key_check.
 */
export const sql = `
CREATE TABLE hosts_new (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  kind                  TEXT NOT NULL CHECK (kind IN ('hyperv', 'vsphere', 'workstation', 'azure')),
  address               TEXT,
  config                TEXT NOT NULL DEFAULT '{}',
  credentials_secret_id TEXT,
  added_at              TEXT NOT NULL,
  last_seen_at          TEXT,
  status                TEXT NOT NULL DEFAULT 'unknown',
  status_message        TEXT
);
INSERT INTO hosts_new (id, name, kind, address, config, credentials_secret_id, added_at, last_seen_at, status, status_message)
  SELECT id, name, kind, address, config, credentials_secret_id, added_at, last_seen_at, status, status_message FROM hosts;
DROP TABLE hosts;
ALTER TABLE hosts_new RENAME TO hosts;
`;
