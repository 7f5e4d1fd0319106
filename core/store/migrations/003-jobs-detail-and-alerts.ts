/**
 * Jobs get what the Activity page shows without joins (a title, the host and target they load), and alerts
 * get a table: raised by the RPO watchdog and failed runs, cleared when the condition ends.
 */
export const sql = `
ALTER TABLE jobs ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN host_id TEXT;
ALTER TABLE jobs ADD COLUMN target_id TEXT;
ALTER TABLE jobs ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual';
CREATE INDEX jobs_by_status ON jobs (status);

CREATE TABLE alerts (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  subject     TEXT NOT NULL,
  severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message     TEXT NOT NULL,
  fix         TEXT,
  raised_at   TEXT NOT NULL,
  cleared_at  TEXT
);
CREATE UNIQUE INDEX alerts_open_by_subject ON alerts (kind, subject) WHERE cleared_at IS NULL;
`;
