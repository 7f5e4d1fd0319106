/**
 * The last health check of each vault target, written by the heartbeat: whether the vault answered, why
 * not, the space left beside it and the bytes it really holds (walked or listed, not summed from the
 * catalog). RPO status, the Dashboard and the tray read it, so a vanished vault turns them red at once.
 */
export const sql = `
CREATE TABLE vault_health (
  target_id     TEXT PRIMARY KEY,
  checked_at    TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('ok', 'new', 'unavailable', 'damaged')),
  problem       TEXT,
  fix           TEXT,
  bytes_used    INTEGER,
  measured_at   TEXT,
  free_bytes    INTEGER
);
`;
