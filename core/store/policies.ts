import { randomUUID } from 'node:crypto';
import { intervalMinutesFor, type BandwidthWindow, type Consistency, type Policy, type Retention } from '../contract/protection';
import type { Db } from './database';

interface PolicyRow {
  id: string;
  name: string;
  target_id: string;
  rpo_minutes: number;
  schedule: string | null;
  retention: string;
  consistency: Consistency;
  bandwidth: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export type PolicyFields = Omit<Policy, 'id' | 'createdAt' | 'updatedAt' | 'intervalMinutes'>;

export class PoliciesStore {
  constructor(private readonly db: Db) {}

  list(): Policy[] {
    const rows = this.db.prepare('SELECT * FROM policies ORDER BY name').all() as PolicyRow[];
    return rows.map((row) => this.toPolicy(row));
  }

  get(id: string): Policy | undefined {
    const row = this.db.prepare('SELECT * FROM policies WHERE id = ?').get(id) as PolicyRow | undefined;
    return row && this.toPolicy(row);
  }

  findByName(name: string): Policy | undefined {
    const row = this.db.prepare('SELECT * FROM policies WHERE name = ? COLLATE NOCASE').get(name) as PolicyRow | undefined;
    return row && this.toPolicy(row);
  }

  /** The enabled policy protecting a VM, if any: a VM belongs to at most one policy. */
  policyOfVm(vmId: string): Policy | undefined {
    const row = this.db.prepare('SELECT p.* FROM policies p JOIN policy_vms pv ON pv.policy_id = p.id WHERE pv.vm_id = ?').get(vmId) as
      PolicyRow | undefined;
    return row && this.toPolicy(row);
  }

  create(fields: PolicyFields, now: Date): Policy {
    const id = randomUUID();
    const stamp = now.toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO policies (id, name, target_id, rpo_minutes, schedule, retention, consistency, bandwidth, enabled, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          fields.name,
          fields.targetId,
          fields.rpoMinutes,
          fields.schedule,
          JSON.stringify(fields.retention),
          fields.consistency,
          JSON.stringify(fields.bandwidth),
          fields.enabled ? 1 : 0,
          stamp,
          stamp,
        );
      this.setVms(id, fields.vmIds);
    })();
    return this.get(id)!;
  }

  update(id: string, fields: PolicyFields, now: Date): Policy {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE policies SET name = ?, target_id = ?, rpo_minutes = ?, schedule = ?, retention = ?, consistency = ?, bandwidth = ?,
             enabled = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          fields.name,
          fields.targetId,
          fields.rpoMinutes,
          fields.schedule,
          JSON.stringify(fields.retention),
          fields.consistency,
          JSON.stringify(fields.bandwidth),
          fields.enabled ? 1 : 0,
          now.toISOString(),
          id,
        );
      this.setVms(id, fields.vmIds);
    })();
    return this.get(id)!;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM policies WHERE id = ?').run(id);
  }

  private setVms(policyId: string, vmIds: readonly string[]): void {
    this.db.prepare('DELETE FROM policy_vms WHERE policy_id = ?').run(policyId);
    const insert = this.db.prepare('INSERT INTO policy_vms (policy_id, vm_id) VALUES (?, ?)');
    for (const vmId of new Set(vmIds)) insert.run(policyId, vmId);
  }

  private toPolicy(row: PolicyRow): Policy {
    const vmIds = this.db.prepare('SELECT vm_id FROM policy_vms WHERE policy_id = ? ORDER BY vm_id').pluck().all(row.id) as string[];
    return {
      id: row.id,
      name: row.name,
      vmIds,
      targetId: row.target_id,
      rpoMinutes: row.rpo_minutes,
      schedule: row.schedule,
      retention: JSON.parse(row.retention) as Retention,
      consistency: row.consistency,
      bandwidth: JSON.parse(row.bandwidth) as BandwidthWindow[],
      enabled: row.enabled === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      intervalMinutes: intervalMinutesFor(row.rpo_minutes),
    };
  }
}
