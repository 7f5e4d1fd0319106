import { randomUUID } from 'node:crypto';
import { planScriptSchema, type PlanFields } from '../contract/plans';
import type { RecoveryPlan } from '../contract/drills';
import type { Db } from './database';

interface PlanRow {
  id: string;
  name: string;
  definition: string;
  created_at: string;
  updated_at: string;
}

export class PlansStore {
  constructor(private readonly db: Db) {}

  list(): RecoveryPlan[] {
    return (this.db.prepare('SELECT * FROM recovery_plans ORDER BY name').all() as PlanRow[]).map(toPlan);
  }

  get(id: string): RecoveryPlan | undefined {
    const row = this.db.prepare('SELECT * FROM recovery_plans WHERE id = ?').get(id) as PlanRow | undefined;
    return row && toPlan(row);
  }

  findByName(name: string): RecoveryPlan | undefined {
    const row = this.db.prepare('SELECT * FROM recovery_plans WHERE name = ?').get(name) as PlanRow | undefined;
    return row && toPlan(row);
  }

  create(fields: PlanFields, now: Date): RecoveryPlan {
    const id = randomUUID();
    const { name, ...definition } = fields;
    this.db
      .prepare('INSERT INTO recovery_plans (id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, name, JSON.stringify(definition), now.toISOString(), now.toISOString());
    return this.get(id)!;
  }

  update(id: string, fields: PlanFields, now: Date): RecoveryPlan {
    const { name, ...definition } = fields;
    this.db
      .prepare('UPDATE recovery_plans SET name = ?, definition = ?, updated_at = ? WHERE id = ?')
      .run(name, JSON.stringify(definition), now.toISOString(), id);
    return this.get(id)!;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM recovery_plans WHERE id = ?').run(id);
  }
}

function toPlan(row: PlanRow): RecoveryPlan {
  const definition = JSON.parse(row.definition) as Omit<PlanFields, 'name'>;
  // Plans saved before scripts ran hold a text there: read it the way the contract does today.
  const preScript = planScriptSchema.parse(definition.preScript ?? null);
  const postScript = planScriptSchema.parse(definition.postScript ?? null);
  return {
    id: row.id,
    name: row.name,
    recoveryHostId: null,
    ...definition,
    preScript,
    postScript,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
