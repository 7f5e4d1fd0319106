import { z } from 'zod';
import type { Extent } from '../../disks/types';
import { fullRead, type ChangedAreas, type Checkpoint, type CheckpointDisk, type KeptChangeReference } from '../types';
import { diskChangesSchema, referencePointSchema } from './output';
import { scripts, type ScriptName } from './runner';

/**
 * Hyper-V Resilient Change Tracking, the way backup products use it: after a committed copy the recovery
 * checkpoint becomes a reference point, whose RCT id per disk is the baseline the next copy asks
 * GetVirtualDiskChanges about. The change id Lifeboat keeps for a disk says which reference point it came from
 * and which disk it described (identifier, size, path), so a disk that was replaced, resized or moved since is
 * read in full instead of trusting ranges that describe another disk.
 */

/** Runs one script on the host and validates its answer (HypervHost.call). */
export type ScriptCall = <T extends z.ZodType>(
  script: ScriptName,
  params: Record<string, unknown>,
  schema: T,
  vm?: string,
) => Promise<z.output<T>>;

const changeIdSchema = z.object({
  v: z.literal(1),
  referencePoint: z.string().min(1),
  rct: z.string().min(1),
  disk: z.string().nullable(),
  size: z.number().nullable(),
  path: z.string(),
});
type ChangeReference = z.output<typeof changeIdSchema>;

export function encodeChangeId(reference: ChangeReference): string {
  return JSON.stringify(reference);
}

export function decodeChangeId(changeId: string): ChangeReference | null {
  try {
    const parsed = changeIdSchema.safeParse(JSON.parse(changeId));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Why the kept reference cannot describe this disk any more, or null when it still does. */
function staleBecause(reference: ChangeReference, disk: CheckpointDisk): string | null {
  if (reference.disk && disk.identity && reference.disk.toLowerCase() !== disk.identity.toLowerCase())
    return `the disk at ${disk.path} was replaced since the last copy (its VHDX identifier changed from ${reference.disk} to ${disk.identity}).`;
  if (reference.size !== null && disk.capacityBytes !== null && reference.size !== disk.capacityBytes)
    return `the disk was resized since the last copy (from ${reference.size} to ${disk.capacityBytes} bytes).`;
  if (reference.path.toLowerCase() !== disk.path.toLowerCase())
    return `the disk moved since the last copy (from ${reference.path} to ${disk.path}); Hyper-V keeps change tracking per file.`;
  return null;
}

export async function rctChangedAreas(
  call: ScriptCall,
  checkpoint: Checkpoint,
  diskKey: string,
  sinceChangeId: string,
): Promise<ChangedAreas> {
  if (checkpoint.noChangeTracking) return fullRead(checkpoint.noChangeTracking);
  const disk = checkpoint.disks.find((d) => d.key === diskKey);
  if (!disk) return fullRead(`the checkpoint has no disk ${diskKey}.`);
  const reference = decodeChangeId(sinceChangeId);
  if (!reference) return fullRead('the last copy kept a change id that is not a Hyper-V reference point Lifeboat wrote.');
  const stale = staleBecause(reference, disk);
  if (stale) return fullRead(stale);
  if (disk.capacityBytes === null) return fullRead(`Hyper-V did not say the size of ${disk.path}, so its changes cannot be asked for.`);
  const answer = await call(
    scripts.diskChanges,
    { vmId: checkpoint.vmId, path: disk.path, limitId: reference.rct, size: disk.capacityBytes },
    diskChangesSchema,
    checkpoint.vmId,
  );
  if (answer.unavailable)
    return fullRead(
      `Hyper-V has no change record since the reference point kept after the last copy (GetVirtualDiskChanges: ${answer.unavailable.meaning}, code ${answer.unavailable.code}): it was removed, the disk was replaced, or change tracking was reset.`,
    );
  const extents: Extent[] = answer.ranges.map(([offset, length]) => ({ offset, length })).filter((e) => e.length > 0);
  return { kind: 'changes', extents };
}

/**
 * Turns the committed copy's recovery checkpoint into a reference point and removes the superseded ones (only
 * reference points that change ids Lifeboat wrote name). A disk the reference point does not list gets no
 * change id: its next copy is a full read, said in the log.
 */
export async function keepRctReference(
  call: ScriptCall,
  checkpoint: Checkpoint,
  superseded: readonly string[],
): Promise<KeptChangeReference> {
  const oldPoints = [...new Set(superseded.map(decodeChangeId).flatMap((r) => (r ? [r.referencePoint] : [])))];
  const kept = await call(
    scripts.saveReferencePoint,
    { vmId: checkpoint.vmId, checkpointId: checkpoint.id, superseded: oldPoints },
    referencePointSchema,
    checkpoint.vmId,
  );
  const changeIds: Record<string, string> = {};
  const notes: string[] = [];
  checkpoint.disks.forEach((disk, index) => {
    const match = disk.identity
      ? kept.disks.find((d) => d.diskIdentifier?.toLowerCase() === disk.identity!.toLowerCase())
      : kept.disks.length === checkpoint.disks.length
        ? kept.disks[index]
        : undefined;
    if (!match) {
      notes.push(`the reference point lists no change tracking id for disk ${disk.key} (${disk.path}): its next copy reads it in full.`);
      return;
    }
    changeIds[disk.key] = encodeChangeId({
      v: 1,
      referencePoint: kept.referencePointId,
      rct: match.rctId,
      disk: disk.identity ?? match.diskIdentifier,
      size: disk.capacityBytes,
      path: disk.path,
    });
  });
  for (const failed of kept.notRemoved)
    notes.push(
      `the reference point ${failed.id} of an earlier copy could not be removed (${failed.message ?? 'no reason given'}); it holds no data, only a change-tracking baseline. Remove it on the host with Msvm_VirtualSystemReferencePointService.DestroyReferencePoint if it stays.`,
    );
  return { changeIds, notes };
}
