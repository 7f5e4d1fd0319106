import type { PlanFailoverState, RecoveredVm } from '../contract/failover';
import type { Db } from './database';

interface Row {
  plan_id: string;
  mode: PlanFailoverState['mode'];
  failover_id: string;
  since: string;
  recovered: string;
  plan_name: string | null;
}

/** Which plans are failed over, and where their VMs run (see migration 007). */
export class FailoverStateStore {
  constructor(private readonly db: Db) {}

  get(planId: string): PlanFailoverState | undefined {
    const row = this.db
      .prepare('SELECT f.*, p.name AS plan_name FROM plan_failover f LEFT JOIN recovery_plans p ON p.id = f.plan_id WHERE f.plan_id = ?')
      .get(planId) as Row | undefined;
    return row && toState(row);
  }

  list(): PlanFailoverState[] {
    return (
      this.db
        .prepare('SELECT f.*, p.name AS plan_name FROM plan_failover f LEFT JOIN recovery_plans p ON p.id = f.plan_id ORDER BY f.since')
        .all() as Row[]
    ).map(toState);
  }

  save(state: Omit<PlanFailoverState, 'plan'>): void {
    this.db
      .prepare(
        `INSERT INTO plan_failover (plan_id, mode, failover_id, since, recovered) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (plan_id) DO UPDATE SET mode = excluded.mode, failover_id = excluded.failover_id, since = excluded.since, recovered = excluded.recovered`,
      )
      .run(state.planId, state.mode, state.failoverId, state.since, JSON.stringify(state.vms));
  }

  clear(planId: string): void {
    this.db.prepare('DELETE FROM plan_failover WHERE plan_id = ?').run(planId);
  }
}

function toState(row: Row): PlanFailoverState {
  return {
    planId: row.plan_id,
    plan: row.plan_name ?? row.plan_id,
    mode: row.mode,
    failoverId: row.failover_id,
    since: row.since,
    vms: JSON.parse(row.recovered) as RecoveredVm[],
  };
}
