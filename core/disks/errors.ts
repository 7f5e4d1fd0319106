import { LifeboatError } from '../contract/errors';

/**
 * Every parser fault is one of two typed errors whose message starts with the file at fault, so a user with
 * a chain of five checkpoint files knows which one to look at.
 */
const DAMAGED_FIX =
  'The disk file is damaged or incomplete. Copy it again from the host, or check it with the hypervisor (Hyper-V: Inspect Disk; VMware: vmware-vdiskmanager -R), then retry.';

export function invalidDisk(file: string, problem: string, fix: string = DAMAGED_FIX): LifeboatError {
  return new LifeboatError('DISK_INVALID', `${file}: ${problem}`, { fix });
}

export function unsupportedDisk(file: string, problem: string, fix: string): LifeboatError {
  return new LifeboatError('DISK_UNSUPPORTED', `${file}: ${problem}`, { fix });
}

/** The largest virtual disk any supported format can describe (VHDX's limit); anything above is a damaged header. */
export const MAX_VIRTUAL_SIZE = 64 * 2 ** 40;

export const MiB = 2 ** 20;
