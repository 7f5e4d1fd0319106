import type { RpoState, VmRpoStatus } from '../contract/protection';
import type { Db } from '../store/database';

/** Above this share of the RPO a VM is "at risk": one more missed run and it breaches. */
export const WARNING_FRACTION = 0.8;
/** Clocks of a host and this machine may differ this much before a point "from the future" is a problem. */
export const FUTURE_TOLERANCE_SECONDS = 120;

export function rpoState(ageSeconds: number | null, rpoMinutes: number, protectedForSeconds: number): RpoState {
  const rpoSeconds = rpoMinutes * 60;
  if (ageSeconds === null) return protectedForSeconds <= rpoSeconds ? 'pending' : 'breach';
  if (ageSeconds > rpoSeconds) return 'breach';
  if (ageSeconds > rpoSeconds * WARNING_FRACTION) return 'warning';
  return 'ok';
}

interface Row {
  vm_id: string;
  vm: string;
  policy_id: string;
  policy: string;
  rpo_minutes: number;
  since: string;
  last: string | null;
  vault_state: string | null;
  vault_problem: string | null;
  vault_fix: string | null;
  target: string;
  copy_status: string | null;
  copy_error: string | null;
}

/** Every protected VM's newest good point against its RPO, as of `now`. */
export function evaluateRpo(db: Db, now: Date): VmRpoStatus[] {
  const rows = db
    .prepare(
      `SELECT pv.vm_id, v.name AS vm, p.id AS policy_id, p.name AS policy, p.rpo_minutes, p.created_at AS since,
              (SELECT MAX(rp.time) FROM recovery_points rp WHERE rp.vm_id = pv.vm_id) AS last,
              h.state AS vault_state, h.problem AS vault_problem, h.fix AS vault_fix, t.name AS target,
              j.status AS copy_status, j.error AS copy_error
         FROM policy_vms pv
         JOIN policies p ON p.id = pv.policy_id
         JOIN vms v ON v.id = pv.vm_id
         JOIN targets t ON t.id = p.target_id
         LEFT JOIN vault_health h ON h.target_id = p.target_id
         LEFT JOIN jobs j ON j.id = (SELECT id FROM jobs WHERE vm_id = pv.vm_id AND kind = 'replication' AND finished_at IS NOT NULL
                                      ORDER BY finished_at DESC LIMIT 1)
        ORDER BY v.name`,
    )
    .all() as Row[];
  return rows.map((row) => {
    const rawAge = row.last === null ? null : Math.round((now.getTime() - Date.parse(row.last)) / 1000);
    const ageSeconds = rawAge === null ? null : Math.max(0, rawAge);
    const protectedFor = Math.max(0, Math.round((now.getTime() - Date.parse(row.since)) / 1000));
    const measured = {
      vmId: row.vm_id,
      vm: row.vm,
      policyId: row.policy_id,
      policy: row.policy,
      rpoMinutes: row.rpo_minutes,
      lastPointTime: row.last,
      ageSeconds,
    };
    // A vault that is down holds nothing new and may restore nothing: whatever the age of the newest point.
    if (row.vault_state === 'unavailable' || row.vault_state === 'damaged') {
      const problem = `Its vault "${row.target}" is ${row.vault_state === 'damaged' ? 'damaged' : 'unavailable'}: ${row.vault_problem ?? 'it did not answer.'}`;
      return { ...measured, status: 'breach' as const, problem, fix: row.vault_fix, reason: 'vault' as const };
    }
    if (row.last === null && (row.copy_status === 'failed' || row.copy_status === 'interrupted')) {
      const how = row.copy_status === 'interrupted' ? 'was interrupted' : 'failed';
      const problem = `Not protected yet: its first copy ${how}${row.copy_error ? ` (${row.copy_error.replace(/\.$/, '')})` : ''}.`;
      return {
        ...measured,
        status: 'breach' as const,
        problem,
        fix: 'Open Activity for the failed copy, fix what it names, then choose Copy now.',
        reason: 'first-copy' as const,
      };
    }
    // A point dated ahead of this machine's clock has no age to judge: say so instead of "0 min old, OK".
    if (rawAge !== null && rawAge < -FUTURE_TOLERANCE_SECONDS) {
      const problem = `Its newest recovery point is dated ${row.last}, ${formatAhead(-rawAge)} ahead of this machine's clock, so its age cannot be judged: the clock of this machine or of the VM's host is wrong.`;
      const fix =
        "Set the clocks of this machine and of the VM's host right (Windows Time / NTP); the next copy is then judged against the RPO again.";
      return { ...measured, status: 'warning' as const, problem, fix, reason: 'clock' as const };
    }
    return { ...measured, status: rpoState(ageSeconds, row.rpo_minutes, protectedFor), problem: null, fix: null, reason: null };
  });
}

function formatAhead(seconds: number): string {
  return seconds < 7200
    ? `${Math.round(seconds / 60)} minutes`
    : seconds < 172_800
      ? `${Math.round(seconds / 3600)} hours`
      : `${Math.round(seconds / 86_400)} days`;
}
