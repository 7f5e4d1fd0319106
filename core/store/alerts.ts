import { randomUUID } from 'node:crypto';
import type { Alert } from '../contract/protection';
import type { Db } from './database';

interface AlertRow {
  id: string;
  kind: string;
  subject: string;
  severity: Alert['severity'];
  message: string;
  fix: string | null;
  raised_at: string;
  cleared_at: string | null;
}

/** At most one open alert per (kind, subject): raising again updates it; clearing closes it. */
export class AlertsStore {
  constructor(private readonly db: Db) {}

  /** Returns the alert when it is new or changed severity, null when it was already open as is. */
  raise(alert: Omit<Alert, 'id' | 'raisedAt' | 'clearedAt'>, now: Date): Alert | null {
    const open = this.open(alert.kind, alert.subject);
    if (open && open.severity === alert.severity) return null;
    if (open) {
      this.db
        .prepare('UPDATE alerts SET severity = ?, message = ?, fix = ? WHERE id = ?')
        .run(alert.severity, alert.message, alert.fix, open.id);
      return { ...open, severity: alert.severity, message: alert.message, fix: alert.fix };
    }
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO alerts (id, kind, subject, severity, message, fix, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, alert.kind, alert.subject, alert.severity, alert.message, alert.fix, now.toISOString());
    return { ...alert, id, raisedAt: now.toISOString(), clearedAt: null };
  }

  clear(kind: string, subject: string, now: Date): boolean {
    return (
      this.db
        .prepare('UPDATE alerts SET cleared_at = ? WHERE kind = ? AND subject = ? AND cleared_at IS NULL')
        .run(now.toISOString(), kind, subject).changes > 0
    );
  }

  open(kind: string, subject: string): Alert | undefined {
    const row = this.db.prepare('SELECT * FROM alerts WHERE kind = ? AND subject = ? AND cleared_at IS NULL').get(kind, subject) as
      AlertRow | undefined;
    return row && toAlert(row);
  }

  list(includeCleared: boolean): Alert[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts ${includeCleared ? '' : 'WHERE cleared_at IS NULL'} ORDER BY cleared_at IS NOT NULL, raised_at DESC LIMIT 1000`,
      )
      .all() as AlertRow[];
    return rows.map(toAlert);
  }
}

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    severity: row.severity,
    message: row.message,
    fix: row.fix,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at,
  };
}
