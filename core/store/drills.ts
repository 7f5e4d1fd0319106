import { randomUUID } from 'node:crypto';
import type { ActionItem, Drill, DrillStep } from '../contract/drills';
import type { Db } from './database';

interface DrillRow {
  id: string;
  plan_id: string | null;
  kind: Drill['kind'];
  status: Drill['status'];
  started_at: string;
  finished_at: string | null;
  operator: string | null;
  rpo_seconds: number | null;
  rto_seconds: number | null;
  notes: string | null;
  details: string;
}

/** Fields of a drill kept in the details JSON column (the catalog never queries them). */
type DrillDetails = Pick<Drill, 'plan' | 'rpoTargetSeconds' | 'rtoTargetSeconds' | 'isolation' | 'cleanupConfirmed' | 'vms' | 'failure'>;

interface StepRow {
  id: string;
  drill_id: string;
  seq: number;
  vm_id: string | null;
  name: string;
  status: DrillStep['status'];
  started_at: string;
  finished_at: string | null;
  detail: string | null;
}

interface ActionRow {
  id: string;
  source: ActionItem['source'];
  subject: string;
  description: string;
  owner: string | null;
  status: ActionItem['status'];
  created_at: string;
  closed_at: string | null;
  drill_id: string | null;
}

/**
 * Drills, their timed steps and the action items they raise. drill_steps.vm_id holds the VM's display name:
 * evidence must read the same after the VM is renamed or removed from the inventory.
 */
export class DrillsStore {
  constructor(private readonly db: Db) {}

  save(drill: Drill): void {
    const details: DrillDetails = {
      plan: drill.plan,
      rpoTargetSeconds: drill.rpoTargetSeconds,
      rtoTargetSeconds: drill.rtoTargetSeconds,
      isolation: drill.isolation,
      cleanupConfirmed: drill.cleanupConfirmed,
      vms: drill.vms,
      failure: drill.failure ?? null,
    };
    this.db
      .prepare(
        `INSERT INTO drills (id, plan_id, kind, status, started_at, finished_at, operator, rpo_seconds, rto_seconds, notes, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, rpo_seconds = excluded.rpo_seconds,
           rto_seconds = excluded.rto_seconds, notes = excluded.notes, details = excluded.details`,
      )
      .run(
        drill.id,
        drill.planId,
        drill.kind,
        drill.status,
        drill.startedAt,
        drill.finishedAt,
        drill.operator,
        drill.rpoSeconds,
        drill.rtoSeconds,
        drill.notes,
        JSON.stringify(details),
      );
  }

  get(id: string): Drill | undefined {
    const row = this.db.prepare('SELECT * FROM drills WHERE id = ?').get(id) as DrillRow | undefined;
    return row && toDrill(row);
  }

  /** Drills started in [from, to), newest first. */
  list(options: { from?: string; to?: string; limit?: number } = {}): Drill[] {
    const rows = this.db
      .prepare('SELECT * FROM drills WHERE started_at >= ? AND started_at < ? ORDER BY started_at DESC LIMIT ?')
      .all(options.from ?? '', options.to ?? '9999', options.limit ?? 10_000) as DrillRow[];
    return rows.map(toDrill);
  }

  addStep(step: Omit<DrillStep, 'id'>): DrillStep {
    const id = randomUUID();
    this.db
      .prepare(
        'INSERT INTO drill_steps (id, drill_id, seq, vm_id, name, status, started_at, finished_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, step.drillId, step.seq, step.vm, step.name, step.status, step.startedAt, step.finishedAt, step.detail);
    return { ...step, id };
  }

  finishStep(id: string, status: DrillStep['status'], finishedAt: string, detail: string | null): void {
    this.db
      .prepare('UPDATE drill_steps SET status = ?, finished_at = ?, detail = COALESCE(?, detail) WHERE id = ?')
      .run(status, finishedAt, detail, id);
  }

  steps(drillId: string): DrillStep[] {
    return (this.db.prepare('SELECT * FROM drill_steps WHERE drill_id = ? ORDER BY seq').all(drillId) as StepRow[]).map(toStep);
  }

  /** Every step of the drills started in [from, to), for the report. */
  stepsInPeriod(from: string, to: string): DrillStep[] {
    return (
      this.db
        .prepare(
          'SELECT s.* FROM drill_steps s JOIN drills d ON d.id = s.drill_id WHERE d.started_at >= ? AND d.started_at < ? ORDER BY d.started_at, s.seq',
        )
        .all(from, to) as StepRow[]
    ).map(toStep);
  }

  raiseActionItem(item: Omit<ActionItem, 'id' | 'status' | 'closedAt'>): ActionItem {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO action_items (id, source, subject, description, owner, created_at, drill_id) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, item.source, item.subject, item.description, item.owner, item.createdAt, item.drillId);
    return { ...item, id, status: 'open', closedAt: null };
  }

  closeActionItem(id: string, closedAt: string): void {
    this.db.prepare("UPDATE action_items SET status = 'done', closed_at = ? WHERE id = ?").run(closedAt, id);
  }

  /** Items open now, plus those created in [from, to). */
  actionItems(options: { from?: string; to?: string } = {}): ActionItem[] {
    const rows = this.db
      .prepare("SELECT * FROM action_items WHERE status = 'open' OR (created_at >= ? AND created_at < ?) ORDER BY status DESC, created_at")
      .all(options.from ?? '', options.to ?? '9999') as ActionRow[];
    return rows.map((row) => ({
      id: row.id,
      source: row.source,
      subject: row.subject,
      description: row.description,
      owner: row.owner,
      status: row.status,
      createdAt: row.created_at,
      closedAt: row.closed_at,
      drillId: row.drill_id,
    }));
  }
}

function toDrill(row: DrillRow): Drill {
  const details = JSON.parse(row.details) as DrillDetails;
  return {
    id: row.id,
    planId: row.plan_id,
    kind: row.kind,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    operator: row.operator ?? 'system',
    notes: row.notes,
    rpoSeconds: row.rpo_seconds,
    rtoSeconds: row.rto_seconds,
    plan: details.plan,
    rpoTargetSeconds: details.rpoTargetSeconds,
    rtoTargetSeconds: details.rtoTargetSeconds,
    isolation: details.isolation,
    cleanupConfirmed: details.cleanupConfirmed,
    vms: details.vms,
    failure: details.failure ?? null,
  };
}

function toStep(row: StepRow): DrillStep {
  return {
    id: row.id,
    drillId: row.drill_id,
    seq: row.seq,
    vm: row.vm_id,
    name: row.name,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    detail: row.detail,
  };
}
