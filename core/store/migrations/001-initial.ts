/** The catalog as first shipped. JSON columns hold provider-specific detail the catalog never queries. */
export const sql = `
CREATE TABLE settings (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE hosts (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  kind                  TEXT NOT NULL CHECK (kind IN ('hyperv', 'vsphere', 'workstation')),
  address               TEXT,
  config                TEXT NOT NULL DEFAULT '{}',
  credentials_secret_id TEXT,
  added_at              TEXT NOT NULL,
  last_seen_at          TEXT,
  status                TEXT NOT NULL DEFAULT 'unknown',
  status_message        TEXT
);

CREATE TABLE vms (
  id             TEXT PRIMARY KEY,
  host_id        TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  external_id    TEXT NOT NULL,
  name           TEXT NOT NULL,
  power_state    TEXT NOT NULL DEFAULT 'unknown',
  details        TEXT NOT NULL DEFAULT '{}',
  first_seen_at  TEXT NOT NULL,
  last_seen_at   TEXT NOT NULL,
  removed_at     TEXT,
  UNIQUE (host_id, external_id)
);

CREATE TABLE targets (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL UNIQUE,
  kind                  TEXT NOT NULL,
  location              TEXT NOT NULL,
  credentials_secret_id TEXT,
  is_default            INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL
);

CREATE TABLE policies (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  target_id    TEXT NOT NULL REFERENCES targets(id),
  rpo_minutes  INTEGER NOT NULL CHECK (rpo_minutes > 0),
  schedule     TEXT,
  retention    TEXT NOT NULL DEFAULT '{}',
  consistency  TEXT NOT NULL DEFAULT 'prefer' CHECK (consistency IN ('require', 'prefer', 'crash')),
  bandwidth    TEXT NOT NULL DEFAULT '[]',
  enabled      INTEGER NOT NULL DEFAULT 1,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE policy_vms (
  policy_id  TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  vm_id      TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
  PRIMARY KEY (policy_id, vm_id)
);

CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,
  policy_id       TEXT,
  vm_id           TEXT,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  created_at      TEXT NOT NULL,
  started_at      TEXT,
  finished_at     TEXT,
  bytes_read      INTEGER NOT NULL DEFAULT 0,
  bytes_stored    INTEGER NOT NULL DEFAULT 0,
  app_consistent  INTEGER,
  error           TEXT,
  log             TEXT NOT NULL DEFAULT ''
);

CREATE TABLE recovery_points (
  id              TEXT PRIMARY KEY,
  vm_id           TEXT,
  vm_name         TEXT NOT NULL,
  target_id       TEXT NOT NULL,
  job_id          TEXT,
  time            TEXT NOT NULL,
  app_consistent  INTEGER NOT NULL DEFAULT 0,
  size_bytes      INTEGER NOT NULL DEFAULT 0,
  stored_bytes    INTEGER NOT NULL DEFAULT 0,
  details         TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE drills (
  id            TEXT PRIMARY KEY,
  plan_id       TEXT,
  kind          TEXT NOT NULL DEFAULT 'test' CHECK (kind IN ('test', 'planned', 'unplanned', 'failback')),
  status        TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  operator      TEXT,
  rpo_seconds   INTEGER,
  rto_seconds   INTEGER,
  notes         TEXT,
  details       TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE drill_steps (
  id           TEXT PRIMARY KEY,
  drill_id     TEXT NOT NULL REFERENCES drills(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  vm_id        TEXT,
  name         TEXT NOT NULL,
  status       TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  detail       TEXT
);

CREATE TABLE audit_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  time       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  subject    TEXT,
  details    TEXT NOT NULL DEFAULT '{}',
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
`;
