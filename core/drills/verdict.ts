import type { DrillCheck, DrillStatus, DrillVmResult } from '../contract/drills';

/** Checks whose pass is the guest itself speaking; a vault data check proves the copy, not the boot. */
const GUEST_EVIDENCE: ReadonlySet<DrillCheck['kind']> = new Set(['boot', 'heartbeat', 'tcp', 'script']);

/**
 * A VM passes only on positive evidence from its guest and when every configured check passed. A VM that
 * ran but proved nothing — or whose checks could not be run here — is unverified, never passed.
 */
export function vmVerdict(
  checks: DrillCheck[],
  started: boolean,
  failure: string | null,
): { status: DrillVmResult['status']; failure: string | null; unverified: DrillVmResult['unverified'] } {
  const failed = checks.filter((c) => c.status === 'failed');
  if (failure || failed.length > 0 || !started) {
    return {
      status: 'failed',
      failure: failure ?? (failed.map((c) => `${c.name}: ${c.detail}`).join('; ') || 'The VM could not be started.'),
      unverified: null,
    };
  }
  const proof = checks.filter((c) => c.status === 'passed' && GUEST_EVIDENCE.has(c.kind));
  // The boot check's "nothing seen" is superseded when another check heard from the guest.
  // A vault data check skipped because the VM did not come from the vault (Hyper-V Replica) has nothing to prove.
  const open = checks.filter(
    (c) => (c.status === 'unverified' && !(c.kind === 'boot' && proof.length > 0)) || (c.status === 'skipped' && c.kind !== 'vault-verify'),
  );
  if (proof.length > 0 && open.length === 0) return { status: 'passed', failure: null, unverified: null };
  const reasons = proof.length === 0 ? ['Nothing from the guest proved it came up.'] : [];
  for (const c of open) reasons.push(`${c.name} ${c.status === 'skipped' ? 'was not run' : 'proved nothing'}: ${c.detail}`);
  const fix =
    open.find((c) => c.fix)?.fix ??
    'Add a TCP check for a port the guest serves, or install integration services / VMware Tools so its heartbeat can be read.';
  return { status: 'unverified', failure: null, unverified: { reason: reasons.join(' '), fix } };
}

/** The drill's outcome from its VMs: failed beats unverified beats passed; no VMs is a failure. */
export function drillVerdict(vms: DrillVmResult[], extraFailure: boolean): Exclude<DrillStatus, 'running' | 'cancelled' | 'interrupted'> {
  if (extraFailure || vms.length === 0 || vms.some((v) => v.status === 'failed')) return 'failed';
  return vms.some((v) => v.status === 'unverified') ? 'unverified' : 'passed';
}
