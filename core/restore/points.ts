import type { Vm } from '../contract/hosts';
import type { PointConsistency, PointDrill, VmPoint } from '../contract/restore';
import type { DrillsStore } from '../store/drills';
import type { CatalogPoint, RecoveryPointsStore } from '../store/recovery-points';
import type { TargetsStore } from '../store/targets';

const KINDS: readonly PointConsistency[] = ['app-consistent', 'crash-consistent', 'powered-off'];

/**
 * A VM's recovery points as its page shows them: how each was taken, its disks, and every drill or failover
 * that started the VM from it (the verdict for this VM, which is what the point proved).
 */
export function vmPoints(vm: Vm, stores: { points: RecoveryPointsStore; drills: DrillsStore; targets: TargetsStore }): VmPoint[] {
  const used = new Map<string, PointDrill[]>();
  for (const drill of stores.drills.list({ limit: 10_000 })) {
    for (const result of drill.vms) {
      if (result.vmId !== vm.id || !result.recoveryPointId) continue;
      const list = used.get(result.recoveryPointId) ?? [];
      list.push({ drillId: drill.id, plan: drill.plan, kind: drill.kind, status: result.status, startedAt: drill.startedAt });
      used.set(result.recoveryPointId, list);
    }
  }
  const targetName = new Map<string, string | null>();
  return stores.points.listForVm(vm.id).map((point) => {
    if (!targetName.has(point.targetId)) targetName.set(point.targetId, stores.targets.get(point.targetId)?.name ?? null);
    return {
      id: point.id,
      time: point.time,
      targetId: point.targetId,
      targetName: targetName.get(point.targetId) ?? null,
      consistency: consistencyOf(point),
      sizeBytes: point.sizeBytes,
      storedBytes: point.storedBytes,
      disks: disksOf(point, vm),
      drills: used.get(point.id) ?? [],
    };
  });
}

function consistencyOf(point: CatalogPoint): PointConsistency {
  const kind = point.details.checkpointKind;
  if (typeof kind === 'string' && (KINDS as readonly string[]).includes(kind)) return kind as PointConsistency;
  return point.appConsistent ? 'app-consistent' : 'crash-consistent';
}

/** The disks the run recorded; points from before that was recorded (or rebuilt from a vault) name the VM's disks as they are now. */
function disksOf(point: CatalogPoint, vm: Vm): VmPoint['disks'] {
  const recorded = point.details.disks;
  if (Array.isArray(recorded) && recorded.length > 0) {
    return recorded.map((disk: { name?: unknown; sizeBytes?: unknown }) => ({
      name: String(disk.name),
      sizeBytes: typeof disk.sizeBytes === 'number' ? disk.sizeBytes : null,
    }));
  }
  return vm.disks.map((disk) => ({ name: disk.key, sizeBytes: disk.capacityBytes }));
}
