/** Action items: follow-ups raised by failed drill checks and RPO breaches, owned and closed by people. */
export const sql = `
CREATE TABLE action_items (
  id           TEXT PRIMARY KEY,
  source       TEXT NOT NULL CHECK (source IN ('drill', 'rpo', 'job')),
  subject      TEXT NOT NULL,
  description  TEXT NOT NULL,
  owner        TEXT,
  status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  created_at   TEXT NOT NULL,
  closed_at    TEXT,
  drill_id     TEXT REFERENCES drills(id) ON DELETE SET NULL
);
CREATE INDEX action_items_by_status ON action_items (status, created_at);
CREATE INDEX drills_by_started ON drills (started_at);
`;
