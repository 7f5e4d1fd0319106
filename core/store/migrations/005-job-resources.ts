/**
 * What a job holds on a host while it runs (a checkpoint, an isolated VM, restored files), written before
 * the job depends on it, so that a process killed mid-run can release it at the next start.
 */
export const sql = `
ALTER TABLE jobs ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
`;
