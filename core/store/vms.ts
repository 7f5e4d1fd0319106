import { randomUUID } from 'node:crypto';
import type { DiscoveredVm, HostKind, PowerState, Vm } from '../contract/hosts';
import type { Db } from './database';

interface VmRow {
  id: string;
  host_id: string;
  external_id: string;
  name: string;
  power_state: PowerState;
  details: string;
  first_seen_at: string;
  last_seen_at: string;
  removed_at: string | null;
  host_name: string;
  host_kind: HostKind;
  policy_id: string | null;
  policy_name: string | null;
}

export interface InventoryChange {
  total: number;
  added: number;
  removed: number;
  changed: number;
}

/** What `details` holds: everything discovered except the columns of their own. */
type VmDetails = Omit<DiscoveredVm, 'externalId' | 'name' | 'powerState'>;

/**
 * The VM inventory. Discovery replaces a host's list as a whole: new VMs are added, missing ones marked
 * removed (kept, because policies and recovery points refer to them), changed ones updated — and it says how
 * many of each, which is what the `inventory.changed` event reports.
 */
export class VmsStore {
  constructor(private readonly db: Db) {}

  applyDiscovery(hostId: string, vms: readonly DiscoveredVm[], now: Date): InventoryChange {
    const at = now.toISOString();
    return this.db.transaction((): InventoryChange => {
      const existing = new Map(
        (
          this.db.prepare('SELECT id, external_id, name, power_state, details, removed_at FROM vms WHERE host_id = ?').all(hostId) as Pick<
            VmRow,
            'id' | 'external_id' | 'name' | 'power_state' | 'details' | 'removed_at'
          >[]
        ).map((row) => [row.external_id, row]),
      );
      const insert = this.db.prepare(
        'INSERT INTO vms (id, host_id, external_id, name, power_state, details, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const update = this.db.prepare(
        'UPDATE vms SET name = ?, power_state = ?, details = ?, last_seen_at = ?, removed_at = NULL WHERE id = ?',
      );
      const touch = this.db.prepare('UPDATE vms SET last_seen_at = ? WHERE id = ?');
      const remove = this.db.prepare('UPDATE vms SET removed_at = ? WHERE id = ?');

      const change: InventoryChange = { total: 0, added: 0, removed: 0, changed: 0 };
      const seen = new Set<string>();
      for (const vm of vms) {
        if (seen.has(vm.externalId)) continue; // a host listing one VM twice (a registration race) counts it once
        seen.add(vm.externalId);
        change.total++;
        const { externalId, name, powerState, ...rest } = vm;
        const details = JSON.stringify(rest satisfies VmDetails);
        const row = existing.get(externalId);
        if (!row) {
          insert.run(randomUUID(), hostId, externalId, name, powerState, details, at, at);
          change.added++;
        } else if (row.removed_at !== null) {
          update.run(name, powerState, details, at, row.id);
          change.added++;
        } else if (row.name !== name || row.power_state !== powerState || row.details !== details) {
          update.run(name, powerState, details, at, row.id);
          change.changed++;
        } else {
          touch.run(at, row.id);
        }
      }
      for (const row of existing.values()) {
        if (!seen.has(row.external_id) && row.removed_at === null) {
          remove.run(at, row.id);
          change.removed++;
        }
      }
      return change;
    })();
  }

  list(hostId?: string): Vm[] {
    const rows = this.db
      .prepare(
        `SELECT v.*, h.name AS host_name, h.kind AS host_kind, p.id AS policy_id, p.name AS policy_name
         FROM vms v JOIN hosts h ON h.id = v.host_id
         LEFT JOIN policy_vms pv ON pv.vm_id = v.id LEFT JOIN policies p ON p.id = pv.policy_id
         WHERE v.removed_at IS NULL AND (? IS NULL OR v.host_id = ?)
         GROUP BY v.id
         ORDER BY v.name COLLATE NOCASE, h.name COLLATE NOCASE`,
      )
      .all(hostId ?? null, hostId ?? null) as VmRow[];
    return rows.map(toVm);
  }

  get(id: string): Vm | undefined {
    return this.list().find((vm) => vm.id === id);
  }

  /** VMs of a host that a protection policy refers to (they keep the host from being removed). */
  protectedOnHost(hostId: string): { vm: string; policy: string }[] {
    return this.db
      .prepare(
        `SELECT v.name AS vm, p.name AS policy FROM vms v JOIN policy_vms pv ON pv.vm_id = v.id JOIN policies p ON p.id = pv.policy_id
         WHERE v.host_id = ? ORDER BY v.name`,
      )
      .all(hostId) as { vm: string; policy: string }[];
  }
}

function toVm(row: VmRow): Vm {
  const details = JSON.parse(row.details) as Partial<VmDetails>;
  return {
    id: row.id,
    hostId: row.host_id,
    hostName: row.host_name,
    hostKind: row.host_kind,
    externalId: row.external_id,
    name: row.name,
    powerState: row.power_state,
    cpus: details.cpus ?? null,
    memoryMiB: details.memoryMiB ?? null,
    firmware: details.firmware ?? 'unknown',
    generation: details.generation ?? null,
    guestOs: details.guestOs ?? null,
    disks: details.disks ?? [],
    nics: details.nics ?? [],
    heartbeat: details.heartbeat ?? 'unknown',
    replication: details.replication ?? null,
    configPath: details.configPath ?? null,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    protection: row.policy_id && row.policy_name ? { policyId: row.policy_id, policyName: row.policy_name } : null,
  };
}
