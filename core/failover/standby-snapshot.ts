import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { childEnv } from '../child-env';
import { LifeboatError } from '../contract/errors';
import type { QmpClient } from '../drills/qmp';
import { wait } from '../drills/steps';

/**
 * Consistent points of a running standby VM, so the work done at the recovery site is protected while the
 * plan is failed over. One QMP transaction sends every disk's writes to a qcow2 overlay at the same instant:
 * from then on the raw files do not change (a crash-consistent point across all disks) and are copied like
 * any frozen disk, while the VM runs on. Afterwards an active block-commit merges each overlay back into its
 * raw file, still without stopping the VM, and the overlay is deleted.
 */
const OVERLAY_SUFFIX = '.lifeboat-overlay.qcow2';

export function overlayOf(rawFile: string): string {
  return `${rawFile}${OVERLAY_SUFFIX}`;
}

/** The drive id QEMU knows each standby disk by (set when the standby VM was started). */
export function driveId(index: number): string {
  return `disk${index}`;
}

interface BlockDevice {
  device: string;
  inserted?: { file: string };
}

interface BlockJob {
  device: string;
  ready: boolean;
}

/** Redirects every disk's writes to an overlay in one transaction. Merges leftover overlays first. */
export async function freezeStandbyDisks(qmp: QmpClient, disks: string[]): Promise<void> {
  await thawStandbyDisks(qmp, disks);
  for (const disk of disks) fs.rmSync(overlayOf(disk), { force: true });
  await qmp.execute('transaction', {
    actions: disks.map((disk, index) => ({
      type: 'blockdev-snapshot-sync',
      data: { device: driveId(index), 'snapshot-file': overlayOf(disk), format: 'qcow2', mode: 'absolute-paths' },
    })),
  });
}

/**
 * Merges each disk's overlay (if one is active) back into its raw file and deletes it, while the VM runs.
 * Safe to call when nothing is frozen, and after a crash left overlays in place.
 */
export async function thawStandbyDisks(qmp: QmpClient, disks: string[], timeoutMs = 10 * 60_000): Promise<void> {
  const devices = (await qmp.execute('query-block')) as BlockDevice[];
  for (const [index, disk] of disks.entries()) {
    const device = devices.find((candidate) => candidate.device === driveId(index));
    if (!device?.inserted?.file.endsWith(OVERLAY_SUFFIX)) continue;
    const job = `lifeboat-commit-${driveId(index)}`;
    await qmp.execute('block-commit', { device: driveId(index), 'job-id': job });
    await waitForJob(qmp, job, (found) => found?.ready === true, timeoutMs, disk);
    await qmp.execute('block-job-complete', { device: job });
    await waitForJob(qmp, job, (found) => found === undefined, timeoutMs, disk);
  }
  for (const disk of disks) fs.rmSync(overlayOf(disk), { force: true });
}

async function waitForJob(
  qmp: QmpClient,
  job: string,
  done: (found: BlockJob | undefined) => boolean,
  timeoutMs: number,
  disk: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const never = new AbortController().signal;
  for (;;) {
    const jobs = (await qmp.execute('query-block-jobs')) as BlockJob[];
    if (done(jobs.find((candidate) => candidate.device === job))) return;
    if (performance.now() > deadline) {
      throw new LifeboatError(
        'INTERNAL',
        `QEMU did not finish merging the changes of ${disk} back within ${Math.round(timeoutMs / 1000)} s.`,
        {
          fix: 'Leave the standby VM running: the next copy or failback merges them again. If it keeps failing, check the disk space of the standby folder.',
        },
      );
    }
    await wait(100, never); // QEMU's job runs in another process: its state can only be polled
  }
}

/**
 * For a stopped standby VM: merges an overlay a crash left behind into its raw file (qemu-img commit), so
 * the raw file holds every write before failback copies it.
 */
export function commitLeftoverOverlays(disks: string[]): void {
  for (const disk of disks) {
    const overlay = overlayOf(disk);
    if (!fs.existsSync(overlay)) continue;
    const result = spawnSync('qemu-img', ['commit', '-q', overlay], { encoding: 'utf8', env: childEnv() });
    if (result.status !== 0) {
      throw new LifeboatError(
        'INTERNAL',
        `The last changes of ${disk} could not be merged from ${overlay}: ${(result.stderr || result.error?.message || '').trim()}.`,
        {
          fix: `Run \`qemu-img commit ${overlay}\` by hand (qemu-utils), then fail back again.`,
        },
      );
    }
    fs.rmSync(overlay, { force: true });
  }
}
