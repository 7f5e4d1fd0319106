/**
 * Each audit entry also carries a MAC of its hash, made with a key only the engine holds (derived from the
 * secret box, never stored in the catalog): whoever can write lifeboat.db can recompute hashes, not MACs.
 * Entries written before this version have none; the first keyed entry is recorded (auditKeyedFrom).
 */
export const sql = `
ALTER TABLE audit_events ADD COLUMN mac TEXT;
`;
