import type { Db } from './database';

export interface CatalogPoint {
  id: string;
  vmId: string | null;
  vmName: string;
  targetId: string;
  jobId: string | null;
  time: string;
  appConsistent: boolean;
  sizeBytes: number;
  storedBytes: number;
  details: Record<string, unknown>;
}

interface PointRow {
  id: string;
  vm_id: string | null;
  vm_name: string;
  target_id: string;
  job_id: string | null;
  time: string;
  app_consistent: number;
  size_bytes: number;
  stored_bytes: number;
  details: string;
}

/** The catalog's copy of the recovery points in the vaults; the vault stays the truth (catalog rebuild). */
export class RecoveryPointsStore {
  constructor(private readonly db: Db) {}

  upsert(point: CatalogPoint): void {
    this.db
      .prepare(
        `INSERT INTO recovery_points (id, vm_id, vm_name, target_id, job_id, time, app_consistent, size_bytes, stored_bytes, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET vm_id = excluded.vm_id, vm_name = excluded.vm_name, target_id = excluded.target_id,
           job_id = excluded.job_id, time = excluded.time, app_consistent = excluded.app_consistent,
           size_bytes = excluded.size_bytes, stored_bytes = excluded.stored_bytes, details = excluded.details`,
      )
      .run(
        point.id,
        point.vmId,
        point.vmName,
        point.targetId,
        point.jobId,
        point.time,
        point.appConsistent ? 1 : 0,
        point.sizeBytes,
        point.storedBytes,
        JSON.stringify(point.details),
      );
  }

  listForVm(vmId: string): CatalogPoint[] {
    return (this.db.prepare('SELECT * FROM recovery_points WHERE vm_id = ? ORDER BY time DESC').all(vmId) as PointRow[]).map(toPoint);
  }

  listAll(): CatalogPoint[] {
    return (this.db.prepare('SELECT * FROM recovery_points ORDER BY time DESC').all() as PointRow[]).map(toPoint);
  }

  listForTarget(targetId: string): CatalogPoint[] {
    return (this.db.prepare('SELECT * FROM recovery_points WHERE target_id = ? ORDER BY time DESC').all(targetId) as PointRow[]).map(
      toPoint,
    );
  }

  get(id: string): CatalogPoint | undefined {
    const row = this.db.prepare('SELECT * FROM recovery_points WHERE id = ?').get(id) as PointRow | undefined;
    return row && toPoint(row);
  }

  /** Keeps only the given ids of one VM in one target: retention removed the others from the vault. */
  retainOnlyForVm(targetId: string, vmId: string, ids: readonly string[]): number {
    const keep = new Set(ids);
    const remove = this.listForVm(vmId).filter((p) => p.targetId === targetId && !keep.has(p.id));
    const del = this.db.prepare('DELETE FROM recovery_points WHERE id = ?');
    this.db.transaction(() => remove.forEach((p) => del.run(p.id)))();
    return remove.length;
  }

  /** Keeps only the given ids for a target: prune removed the others from the vault. */
  retainOnly(targetId: string, ids: readonly string[]): number {
    const keep = new Set(ids);
    const remove = this.listForTarget(targetId).filter((p) => !keep.has(p.id));
    const del = this.db.prepare('DELETE FROM recovery_points WHERE id = ?');
    this.db.transaction(() => remove.forEach((p) => del.run(p.id)))();
    return remove.length;
  }
}

function toPoint(row: PointRow): CatalogPoint {
  return {
    id: row.id,
    vmId: row.vm_id,
    vmName: row.vm_name,
    targetId: row.target_id,
    jobId: row.job_id,
    time: row.time,
    appConsistent: row.app_consistent === 1,
    sizeBytes: row.size_bytes,
    storedBytes: row.stored_bytes,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
