/**
 * A plan that is failed over: its VMs run at the recovery site until failback. One row per failed-over plan;
 * no row means the plan is normal. `recovered` (JSON) says where each recovered VM runs and which disks it
 * uses, so failback can find it again after Lifeboat restarts.
 */
export const sql = `
CREATE TABLE plan_failover (
  plan_id      TEXT PRIMARY KEY,
  mode         TEXT NOT NULL,
  failover_id  TEXT NOT NULL,
  since        TEXT NOT NULL,
  recovered    TEXT NOT NULL
);
`;
