/**
 * Sealed secrets (vault passphrase, host and target credentials) get their own table so that a diagnostics
 * export can drop it whole; and the indexes the dashboard and reports query by.
 */
export const sql = `
CREATE TABLE secrets (
  id          TEXT PRIMARY KEY,
  purpose     TEXT NOT NULL,
  box         TEXT NOT NULL,
  sealed      BLOB NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE INDEX jobs_by_started ON jobs (started_at);
CREATE INDEX jobs_by_vm ON jobs (vm_id, started_at);
CREATE INDEX recovery_points_by_vm ON recovery_points (vm_id, time);
CREATE INDEX drill_steps_by_drill ON drill_steps (drill_id, seq);
CREATE INDEX audit_events_by_time ON audit_events (time);
CREATE INDEX vms_by_host ON vms (host_id);
`;
