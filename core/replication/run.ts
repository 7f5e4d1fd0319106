import type { Clock } from '../clock';
import type { Vm } from '../contract/hosts';
import type { Policy } from '../contract/protection';
import type { DiskReader, Extent } from '../disks/types';
import type { Checkpoint, Hypervisor } from '../hypervisors/types';
import type { JobOutcome, JobRunContext } from '../jobs/queue';
import type { JobsStore } from '../store/jobs';
import type { CatalogPoint, RecoveryPointsStore } from '../store/recovery-points';
import { VaultLockedError } from '../vault/lock';
import type { PointOwner, VaultPort } from './vault-port';

export interface ReplicationDeps {
  /** A connected hypervisor for the host; the run closes it. */
  connect(hostId: string): Hypervisor;
  /** The policy's bandwidth schedule applies to the run's uploads. */
  openVault(targetId: string, policy?: Policy): Promise<VaultPort>;
  points: RecoveryPointsStore;
  jobs: JobsStore;
  clock: Clock;
}

/**
 * One protection run of one VM: checkpoint → read its disks (only what changed when the host tracks it) →
 * vault → commit the recovery point → apply retention → release the checkpoint. The checkpoint is recorded
 * with the job before anything depends on it and released on every path — success, failure and cancel —
 * so a crash leaves nothing a later start cannot clean up (see releaseLeftovers).
 */
export async function replicateVm(policy: Policy, vm: Vm, run: JobRunContext, deps: ReplicationDeps): Promise<JobOutcome> {
  run.log(`Copying ${vm.name} from ${vm.hostName} (policy "${policy.name}", ${policy.consistency} consistency).`);
  const hypervisor = deps.connect(vm.hostId);
  let checkpoint: Checkpoint | null = null;
  try {
    run.progress('Taking a checkpoint', 0, 0);
    // The point's time is when the disks were frozen, on the engine's clock (the one RPO ages are measured by).
    const frozenAt = deps.clock.now();
    checkpoint = await hypervisor.createCheckpoint(vm.externalId, {
      consistency: policy.consistency,
      name: `Lifeboat ${run.jobId.slice(0, 8)}`,
    });
    deps.jobs.setResources(run.jobId, [
      { kind: 'checkpoint', hostId: vm.hostId, ref: checkpoint, description: `checkpoint "${checkpoint.name}" of ${vm.name}` },
    ]);
    run.log(describeCheckpoint(checkpoint));
    if (checkpoint.noChangeTracking) run.log(`Change tracking: ${checkpoint.noChangeTracking}`);
    run.signal.throwIfAborted();
    const copied = await copyCheckpoint(policy, vm, checkpoint, frozenAt, hypervisor, run, deps);
    if (copied.checkpointGone) {
      checkpoint = null;
      deps.jobs.setResources(run.jobId, []);
    }
    return copied.outcome;
  } finally {
    if (checkpoint) {
      try {
        await hypervisor.releaseCheckpoint(checkpoint);
        deps.jobs.setResources(run.jobId, []);
        run.log('Checkpoint released.');
      } catch (error) {
        // Kept on the job: the next engine start tries again.
        run.log(`Could not release the checkpoint yet: ${(error as Error).message}`);
      }
    }
    await hypervisor.close().catch(() => undefined);
  }
}

async function copyCheckpoint(
  policy: Policy,
  vm: Vm,
  checkpoint: Checkpoint,
  frozenAt: Date,
  hypervisor: Hypervisor,
  run: JobRunContext,
  deps: ReplicationDeps,
): Promise<{ outcome: JobOutcome; checkpointGone: boolean }> {
  const vault = await deps.openVault(policy.targetId, policy);
  const readers: DiskReader[] = [];
  try {
    const owner = pointOwner(deps, policy.targetId, vm.id);
    const parent = await vault.latest(owner);
    const since = parent ? keptChangeIds(parent, deps.points.get(parent.id)) : new Map<string, string>();
    const disks = [];
    for (const disk of checkpoint.disks) {
      const reader = await hypervisor.openCheckpointDisk(checkpoint, disk.key);
      readers.push(reader);
      const changed = await changesSince(hypervisor, checkpoint, disk.key, parent !== null, since.get(disk.key), run);
      disks.push({ name: disk.key, reader, changed, parentPointId: changed ? parent!.id : null, changeId: disk.changeId });
    }
    const point = await vault.backup(
      {
        vm: vm.name,
        time: frozenAt,
        disks,
        metadata: {
          vmId: vm.id,
          host: { id: vm.hostId, name: vm.hostName, kind: vm.hostKind },
          policy: { id: policy.id, name: policy.name, rpoMinutes: policy.rpoMinutes },
          checkpoint: { kind: checkpoint.kind, note: checkpoint.note },
          config: {
            cpus: vm.cpus,
            memoryMiB: vm.memoryMiB,
            firmware: vm.firmware,
            generation: vm.generation,
            guestOs: vm.guestOs,
            disks: vm.disks,
            nics: vm.nics,
          },
        },
      },
      {
        signal: run.signal,
        onProgress: (done, total, stage, detail) =>
          run.progress(stage === 'send' ? 'Sending the last data to the vault' : 'Copying disks', done, total, detail),
      },
    );
    const appConsistent = checkpoint.kind !== 'crash-consistent';
    deps.points.upsert({
      id: point.id,
      vmId: vm.id,
      vmName: vm.name,
      targetId: policy.targetId,
      jobId: run.jobId,
      time: point.time,
      appConsistent,
      sizeBytes: point.sizeBytes,
      storedBytes: point.storedBytes,
      details: {
        checkpointKind: checkpoint.kind,
        disks: checkpoint.disks.map((d) => ({ name: d.key, sizeBytes: d.capacityBytes, changeId: d.changeId })),
      },
    });
    run.log(
      `Recovery point ${point.id} committed: read ${point.bytesRead} bytes, stored ${point.storedBytes} new bytes, uploaded at ${Math.round(point.uploadBytesPerSecond)} bytes/s.`,
    );

    const checkpointGone = await keepChangeReference(hypervisor, checkpoint, [...since.values()], point.id, run, deps);

    run.progress('Applying retention', 0, 0);
    await applyRetention(deps, run, vault, policy, pointOwner(deps, policy.targetId, vm.id));
    return { outcome: { bytesRead: point.bytesRead, bytesStored: point.storedBytes, appConsistent }, checkpointGone };
  } finally {
    for (const reader of readers) await reader.close().catch(() => undefined);
    await vault.close().catch(() => undefined);
  }
}

/**
 * The change id each disk of the parent point kept: in the vault point where the platform knew it at the
 * checkpoint (VMware CBT), else in the catalog, where keepChangeReference wrote it after the commit (Hyper-V RCT).
 */
function keptChangeIds(
  parent: { disks: { name: string; changeId: string | null }[] },
  catalogPoint: CatalogPoint | undefined,
): Map<string, string> {
  const ids = new Map<string, string>();
  const catalogDisks = Array.isArray(catalogPoint?.details.disks)
    ? (catalogPoint.details.disks as { name?: unknown; changeId?: unknown }[])
    : [];
  for (const disk of catalogDisks)
    if (typeof disk.name === 'string' && typeof disk.changeId === 'string') ids.set(disk.name, disk.changeId);
  for (const disk of parent.disks) if (disk.changeId) ids.set(disk.name, disk.changeId);
  return ids;
}

/** The ranges to read of one disk, or null for all of it — with the reason in the job log either way. */
async function changesSince(
  hypervisor: Hypervisor,
  checkpoint: Checkpoint,
  diskKey: string,
  parent: boolean,
  sinceChangeId: string | undefined,
  run: JobRunContext,
): Promise<Extent[] | null> {
  if (!parent) {
    run.log(`Disk ${diskKey}: read in full — the first copy of this VM to this vault.`);
    return null;
  }
  if (!sinceChangeId) {
    run.log(`Disk ${diskKey}: read in full — the last copy kept no change-tracking reference for it.`);
    return null;
  }
  const areas = await hypervisor.changedAreas(checkpoint, diskKey, sinceChangeId);
  if (areas.kind === 'full-read') {
    run.log(`Disk ${diskKey}: read in full — ${areas.reason}`);
    return null;
  }
  run.log(`Disk ${diskKey}: ${areas.extents.length} changed areas since the last copy (change tracking).`);
  return areas.extents;
}

/**
 * After the commit, where the platform learns change ids only now (Hyper-V turns the recovery checkpoint into a
 * reference point): records them on the catalog point for the next copy. A failure costs the next copy a full
 * read, never this point. Returns whether the checkpoint is gone (converted) so it is not released again.
 */
async function keepChangeReference(
  hypervisor: Hypervisor,
  checkpoint: Checkpoint,
  superseded: string[],
  pointId: string,
  run: JobRunContext,
  deps: ReplicationDeps,
): Promise<boolean> {
  if (!hypervisor.keepChangeReference || checkpoint.noChangeTracking) return false;
  try {
    const kept = await hypervisor.keepChangeReference(checkpoint, superseded);
    const point = deps.points.get(pointId);
    if (point) {
      const disks = checkpoint.disks.map((d) => ({ name: d.key, sizeBytes: d.capacityBytes, changeId: kept.changeIds[d.key] ?? null }));
      deps.points.upsert({ ...point, details: { ...point.details, disks } });
    }
    run.log(`Change tracking: a reference point is kept for the next copy (${Object.keys(kept.changeIds).length} disks).`);
    for (const note of kept.notes) run.log(`Change tracking: ${note}`);
    return true;
  } catch (error) {
    run.log(`Change tracking: no reference point could be kept, so the next copy reads the disks in full: ${(error as Error).message}`);
    return false;
  }
}

function pointOwner(deps: ReplicationDeps, targetId: string, vmId: string): PointOwner {
  return {
    vmId,
    knownPointIds: new Set(
      deps.points
        .listForVm(vmId)
        .filter((p) => p.targetId === targetId)
        .map((p) => p.id),
    ),
  };
}

function describeCheckpoint(checkpoint: Checkpoint): string {
  switch (checkpoint.kind) {
    case 'app-consistent':
      return 'Application-consistent checkpoint taken (VSS / quiesced).';
    case 'powered-off':
      return 'The VM is powered off: its disks are read as they are (consistent).';
    case 'crash-consistent':
      return `Crash-consistent checkpoint taken${checkpoint.note ? `: ${checkpoint.note}` : ''}. Applications will recover as after a power loss.`;
  }
}

/**
 * Retention needs the vault to itself. This engine's other copies are waited for (the vault port's gate);
 * a drill restoring from it, or another console at work on it, postpones retention to the next run: the new
 * point is committed either way, and keeping an old point a while longer is safe. A stale lock is not
 * waited out: it fails the run, so the operator hears that someone must unlock the vault.
 */
async function applyRetention(
  deps: ReplicationDeps,
  run: JobRunContext,
  vault: VaultPort,
  policy: Policy,
  owner: PointOwner,
): Promise<void> {
  let remaining: string[] | null;
  try {
    remaining = await vault.prune(owner, policy.retention, run.signal);
  } catch (error) {
    if (!(error instanceof VaultLockedError) || error.stale) throw error;
    run.log(`Retention postponed to the next copy: ${error.message}`);
    return;
  }
  if (remaining === null) return;
  const removed = deps.points.retainOnlyForVm(policy.targetId, owner.vmId, remaining);
  if (removed > 0) run.log(`Retention removed ${removed} older recovery point${removed === 1 ? '' : 's'}.`);
}
