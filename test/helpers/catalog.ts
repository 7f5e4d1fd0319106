import { randomUUID } from 'node:crypto';
import type { Db } from '../../core/store/database';

/** Rows the hypervisor and vault rooms normally write, for tests of what builds on them. */
export function seedHost(db: Db, name = 'lab', kind: 'hyperv' | 'vsphere' | 'workstation' = 'workstation'): string {
  const id = randomUUID();
  db.prepare('INSERT INTO hosts (id, name, kind, added_at) VALUES (?, ?, ?, ?)').run(id, name, kind, '2026-01-01T00:00:00Z');
  return id;
}

export function seedVm(db: Db, hostId: string, name: string): string {
  const id = randomUUID();
  db.prepare('INSERT INTO vms (id, host_id, external_id, name, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    id,
    hostId,
    `ext-${name}`,
    name,
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00Z',
  );
  return id;
}

export function seedTarget(db: Db, name = 'Primary vault'): string {
  const id = randomUUID();
  db.prepare("INSERT INTO targets (id, name, kind, location, created_at) VALUES (?, ?, 'folder', '{}', ?)").run(
    id,
    name,
    '2026-01-01T00:00:00Z',
  );
  return id;
}

export function seedPoint(db: Db, vmId: string, vmName: string, targetId: string, time: string): void {
  db.prepare('INSERT INTO recovery_points (id, vm_id, vm_name, target_id, time) VALUES (?, ?, ?, ?, ?)').run(
    randomUUID(),
    vmId,
    vmName,
    targetId,
    time,
  );
}

/** A clock the test moves by hand. */
export function manualClock(start: string) {
  let now = Date.parse(start);
  return {
    now: () => new Date(now),
    set: (iso: string) => (now = Date.parse(iso)),
    advanceMinutes: (minutes: number) => (now += minutes * 60_000),
  };
}
