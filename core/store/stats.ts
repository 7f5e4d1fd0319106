import type { Status } from '../contract/types';
import type { Db } from './database';

export function catalogCounts(db: Db): Status['counts'] {
  const count = (sql: string): number => (db.prepare(sql).pluck().get() as number | undefined) ?? 0;
  return {
    hosts: count('SELECT COUNT(*) FROM hosts'),
    vms: count('SELECT COUNT(*) FROM vms WHERE removed_at IS NULL'),
    policies: count('SELECT COUNT(*) FROM policies'),
    runningJobs: count("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')"),
    recoveryPoints: count('SELECT COUNT(*) FROM recovery_points'),
    drills: count('SELECT COUNT(*) FROM drills'),
  };
}
