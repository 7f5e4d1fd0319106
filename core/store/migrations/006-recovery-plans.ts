/** Recovery plans: the definition (groups, checks, scripts, targets) is one JSON document per plan. */
export const sql = `
CREATE TABLE recovery_plans (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  definition  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
`;
