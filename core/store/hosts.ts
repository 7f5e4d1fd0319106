import { randomUUID } from 'node:crypto';
import type { Host, HostKind, HostSettings, HostStatus } from '../contract/hosts';
import type { Db } from './database';

interface HostRow {
  id: string;
  name: string;
  kind: HostKind;
  address: string | null;
  config: string;
  credentials_secret_id: string | null;
  added_at: string;
  last_seen_at: string | null;
  status: HostStatus;
  status_message: string | null;
  vm_count: number;
}

export interface HostRecord extends Host {
  credentialsSecretId: string | null;
}

export interface NewHost {
  name: string;
  kind: HostKind;
  address: string | null;
  settings: HostSettings;
  credentialsSecretId: string | null;
}

const SELECT = `SELECT h.*, (SELECT COUNT(*) FROM vms v WHERE v.host_id = h.id AND v.removed_at IS NULL) AS vm_count FROM hosts h`;

/** Hosts in the catalog. Credentials are never here: only the id of their sealed secret. */
export class HostsStore {
  constructor(private readonly db: Db) {}

  list(): HostRecord[] {
    return (this.db.prepare(`${SELECT} ORDER BY h.name COLLATE NOCASE`).all() as HostRow[]).map(toHost);
  }

  get(id: string): HostRecord | undefined {
    const row = this.db.prepare(`${SELECT} WHERE h.id = ?`).get(id) as HostRow | undefined;
    return row && toHost(row);
  }

  findByName(name: string): HostRecord | undefined {
    const row = this.db.prepare(`${SELECT} WHERE h.name = ? COLLATE NOCASE`).get(name) as HostRow | undefined;
    return row && toHost(row);
  }

  create(host: NewHost, now: Date, id: string = randomUUID()): HostRecord {
    this.db
      .prepare(
        'INSERT INTO hosts (id, name, kind, address, config, credentials_secret_id, added_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, host.name, host.kind, host.address, JSON.stringify(host.settings), host.credentialsSecretId, now.toISOString(), 'unknown');
    return this.get(id)!;
  }

  updateSettings(id: string, settings: HostSettings): void {
    this.db.prepare('UPDATE hosts SET config = ? WHERE id = ?').run(JSON.stringify(settings), id);
  }

  /** After each contact: ok with the time seen, or the error the user should read. */
  setStatus(id: string, status: HostStatus, message: string | null, now: Date): void {
    if (status === 'ok') {
      this.db
        .prepare('UPDATE hosts SET status = ?, status_message = ?, last_seen_at = ? WHERE id = ?')
        .run(status, message, now.toISOString(), id);
    } else {
      this.db.prepare('UPDATE hosts SET status = ?, status_message = ? WHERE id = ?').run(status, message, id);
    }
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM hosts WHERE id = ?').run(id);
  }
}

function toHost(row: HostRow): HostRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    address: row.address,
    status: row.status,
    statusMessage: row.status_message,
    addedAt: row.added_at,
    lastSeenAt: row.last_seen_at,
    vmCount: row.vm_count,
    settings: JSON.parse(row.config) as HostSettings,
    hasCredentials: row.credentials_secret_id !== null,
    credentialsSecretId: row.credentials_secret_id,
  };
}

/** The public view: no secret ids. */
export function publicHost(record: HostRecord): Host {
  const { credentialsSecretId: _secret, ...host } = record;
  return host;
}
