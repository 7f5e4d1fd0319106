import type { EmailSettings } from '../contract/notifications';
import type { ReportScheduleSetting } from '../contract/reports';
import type { ConcurrencyLimits } from '../contract/types';
import type { Db } from './database';

/** Known settings and their value types; values are stored as JSON. */
export interface SettingValues {
  organisation: string;
  firstRunCompletedAt: string;
  /** The newest audit entry, so deleting the tail of the log is detectable; `mac` seals it with the audit key. */
  auditHead: { seq: number; hash: string; mac?: string };
  /** The first audit entry written with a MAC (older ones predate keyed entries). */
  auditKeyedFrom: number;
  startAtLogin: boolean;
  schedulesPaused: boolean;
  email: Omit<EmailSettings, 'passwordStored'>;
  autoUpdate: boolean;
  reportSchedule: ReportScheduleSetting;
  concurrency: ConcurrencyLimits;
  copyRetries: number;
  /** Browser mode's last port, tried first on the next start (see core/console-session.ts). */
  consolePort: number;
}

export class SettingsStore {
  constructor(private readonly db: Db) {}

  get<K extends keyof SettingValues>(key: K): SettingValues[K] | undefined {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as SettingValues[K]);
  }

  set<K extends keyof SettingValues>(key: K, value: SettingValues[K], now: Date): void {
    this.db
      .prepare(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(value), now.toISOString());
  }
}
