import type { Db } from '../db';

/**
 * Drills recorded before boot evidence was required could pass a VM that proved nothing: "still running
 * after the grace period", a heartbeat that was "not installed", or a TCP port that QEMU's own forwarder
 * accepted. Such VMs become unverified, their drills too, and an unverified drill has no RTO. The words of
 * the original record stay; a note says why it changed.
 */
export const sql = '';

/** A check detail that recorded only that the VM ran. */
const RAN_ONLY = /still running|prints no boot marker|no integration services|heartbeat cannot be read|The VM is running/i;
/** A check detail that recorded the guest itself answering. */
const GUEST_SPOKE = /Boot marker seen|answered its heartbeat|Guest heartbeat OK/i;

interface StoredCheck {
  kind: string;
  status: string;
  detail: string;
}
interface StoredVm {
  status: string;
  checks: StoredCheck[];
  recoveredSeconds: number | null;
  unverified?: { reason: string; fix: string } | null;
}

export function up(db: Db): void {
  const rows = db.prepare("SELECT id, status, details FROM drills WHERE status = 'passed'").all() as {
    id: string;
    status: string;
    details: string;
  }[];
  const update = db.prepare(
    'UPDATE drills SET status = ?, rto_seconds = CASE WHEN ? THEN NULL ELSE rto_seconds END, details = ? WHERE id = ?',
  );
  for (const row of rows) {
    const details = JSON.parse(row.details) as { vms?: StoredVm[] };
    let changed = false;
    for (const vm of details.vms ?? []) {
      if (vm.status !== 'passed') continue;
      const spoke = vm.checks.some((c) => c.status === 'passed' && (GUEST_SPOKE.test(c.detail) || c.kind === 'script'));
      if (spoke) continue;
      for (const check of vm.checks) {
        if (check.status === 'passed' && (RAN_ONLY.test(check.detail) || check.kind === 'tcp')) {
          check.status = 'unverified';
          check.detail += ' (Recorded before Lifeboat required evidence from the guest: this shows only that the VM ran.)';
        }
      }
      vm.status = 'unverified';
      vm.recoveredSeconds = null;
      vm.unverified = {
        reason:
          'Recorded before Lifeboat required positive evidence from the guest: the VM ran, but nothing proved that its guest came up.',
        fix: 'Run the drill again; add a TCP check for a port the guest serves, or install integration services / VMware Tools.',
      };
      changed = true;
    }
    if (changed) update.run('unverified', 1, JSON.stringify(details), row.id);
  }
}
