import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { RecoveredVm } from '../contract/failover';
import { fileResolver, openDisk } from '../disks';
import type { DiskReader, WriteFormat } from '../disks/types';
import type { SandboxVm } from '../drills/sandbox';
import { fullRead, type ChangedAreas, type Checkpoint, type CheckpointOptions, type Hypervisor } from '../hypervisors/types';
import {
  connectQmp,
  removeStandby,
  shutDownStandby,
  standbyControlSocket,
  standbyDisks,
  standbyRunning,
  standbyVm,
  startStandbyVm,
} from './qemu-standby';
import { commitLeftoverOverlays, freezeStandbyDisks, thawStandbyDisks } from './standby-snapshot';

export interface RecoveryVmSpec {
  name: string;
  /** File-safe and unique (from the VM's id, vm-file-name.ts): folders and staged files are named by it. */
  key: string;
  /** Restored disk files, boot disk first. */
  disks: string[];
  memoryMiB: number;
  cpus: number;
  firmware: 'bios' | 'uefi';
  /** Recovery networks, one adapter each. */
  networks: string[];
}

/**
 * Where a real failover starts VMs. The drill sandboxes stop at "boot it, check it, throw it away"; a
 * recovery site keeps the VM, connected to the recovery networks, until failback.
 */
export interface RecoverySite {
  /** null: this machine. */
  readonly hostId: string | null;
  readonly label: string;
  readonly diskFormat: WriteFormat;
  /** Where one VM's restored disks go (by its key); they are the recovered VM's disks from then on. */
  diskFolder(key: string): string;
  start(spec: RecoveryVmSpec, signal: AbortSignal): Promise<{ recoveryVmId: string; vm: SandboxVm }>;
  /** Checks and evidence for a recovered VM started earlier. */
  attach(recoveryVmId: string): SandboxVm;
  isRunning(recoveryVmId: string): Promise<boolean>;
  /** Guest shutdown, then power off after the timeout. Says how it stopped. */
  shutDown(recoveryVmId: string, timeoutSeconds: number): Promise<string>;
  /** The stopped recovered VM as a host replication can copy from, its disks named as in the recovery point. */
  copySource(recovered: RecoveredVm): Hypervisor;
  /** The recovered VM as a host replication can copy from while it runs (a crash-consistent point at least). */
  liveCopySource(recovered: RecoveredVm): Hypervisor;
  /** Removes the recovered VM and its disks there. */
  remove(recovered: RecoveredVm): Promise<void>;
  isGone(recoveryVmId: string): Promise<boolean>;
}

/** The QEMU standby on this machine: needs nothing of the lost site (see qemu-standby.ts). */
export function qemuStandbySite(qemu: string, root: string): RecoverySite {
  const folderOf = (key: string): string => path.join(root, key);
  return {
    hostId: null,
    label: 'this machine (QEMU standby)',
    diskFormat: 'raw',
    diskFolder: (key) => path.join(folderOf(key), 'disks'),
    async start(spec, signal) {
      signal.throwIfAborted();
      const folder = folderOf(spec.key);
      const vm = await startStandbyVm(qemu, folder, {
        name: `lifeboat-recovered-${spec.name}`,
        disks: spec.disks,
        memoryMiB: spec.memoryMiB,
        firmware: spec.firmware,
        networks: spec.networks,
      });
      return { recoveryVmId: folder, vm };
    },
    attach: (id) => standbyVm(id),
    isRunning: async (id) => standbyRunning(id),
    shutDown: (id, timeoutSeconds) => shutDownStandby(id, timeoutSeconds),
    copySource: (recovered) => new StoppedDisks(recovered, standbyDisks(recovered.recoveryVmId)),
    liveCopySource: (recovered) => new RunningStandbyDisks(recovered, standbyDisks(recovered.recoveryVmId)),
    remove: (recovered) => removeStandby(recovered.recoveryVmId),
    async isGone(id) {
      return !standbyRunning(id) && !fs.existsSync(id);
    },
  };
}

/**
 * A stopped VM's disk files seen through the Hypervisor interface, so failback's copy into the vault is the
 * ordinary replication run: a powered-off checkpoint reads the files as they are.
 */
class StoppedDisks implements Hypervisor {
  readonly kind = 'workstation' as const;

  constructor(
    protected readonly recovered: RecoveredVm,
    protected readonly files: string[],
  ) {}

  async createCheckpoint(vmId: string): Promise<Checkpoint> {
    if (this.files.length === 0)
      throw new LifeboatError(
        'VM_NOT_FOUND',
        `The recovered copy of ${this.recovered.vm} has no disks left at ${this.recovered.recoveryVmId}.`,
        { fix: 'It was removed by hand: restore the VM from the vault instead.' },
      );
    // A copy taken while it ran and cut short may have left its last writes in an overlay: merge them first.
    commitLeftoverOverlays(this.files);
    return this.checkpointOf(vmId, 'powered-off', null);
  }

  protected checkpointOf(vmId: string, kind: Checkpoint['kind'], note: string | null): Checkpoint {
    const disks = this.files.map((file, index) => ({
      key: this.recovered.diskNames[index] ?? `disk${index}`,
      path: file,
      capacityBytes: fs.statSync(file).size,
      changeId: null,
    }));
    return { id: `${kind}:${Date.now()}`, vmId, name: 'recovered copy', kind, createdAt: new Date().toISOString(), note, disks };
  }

  async openCheckpointDisk(checkpoint: Checkpoint, diskKey: string): Promise<DiskReader> {
    const disk = checkpoint.disks.find((d) => d.key === diskKey)!;
    return openDisk(disk.path, fileResolver);
  }

  async changedAreas(): Promise<ChangedAreas> {
    return fullRead("a recovered copy is read in full: the original VM's change tracking means nothing to it.");
  }

  async releaseCheckpoint(_checkpoint: Checkpoint): Promise<void> {}
  async close(): Promise<void> {}

  private unsupported(): never {
    throw new LifeboatError('INTERNAL', 'Not available on a stopped recovered VM.');
  }
  describe = async () => this.unsupported();
  listVms = async () => this.unsupported();
  createIsolatedVm = async () => this.unsupported();
  powerOn = async () => this.unsupported();
  powerOff = async () => this.unsupported();
  heartbeat = async () => this.unsupported();
  removeVm = async () => this.unsupported();
}

/**
 * A running standby VM seen through the Hypervisor interface: a checkpoint redirects its writes to overlays
 * (standby-snapshot.ts) so the raw files hold still while they are copied; releasing it merges them back.
 * A standby VM that is not running is read as stopped disks.
 */
class RunningStandbyDisks extends StoppedDisks {
  override async createCheckpoint(vmId: string, options?: CheckpointOptions): Promise<Checkpoint> {
    if (options?.consistency === 'require') {
      throw new LifeboatError(
        'CHECKPOINT_FAILED',
        `${this.recovered.vm} runs at the QEMU standby, which cannot quiesce its applications, and its policy requires application-consistent points.`,
        {
          fix: 'While the plan is failed over, set the policy\'s consistency to "prefer" so its work there is copied, or fail back.',
        },
      );
    }
    const socket = standbyControlSocket(this.recovered.recoveryVmId);
    if (!standbyRunning(this.recovered.recoveryVmId) || !socket) return super.createCheckpoint(vmId);
    const qmp = await connectQmp(socket);
    try {
      await freezeStandbyDisks(qmp, this.files);
    } finally {
      qmp.close();
    }
    return this.checkpointOf(
      vmId,
      'crash-consistent',
      'Taken while the recovered VM ran at the QEMU standby: every disk frozen at the same instant.',
    );
  }

  override async releaseCheckpoint(checkpoint: Checkpoint): Promise<void> {
    if (checkpoint.kind !== 'crash-consistent') return;
    const socket = standbyControlSocket(this.recovered.recoveryVmId);
    // Stopped meanwhile: the overlays are merged offline before the next copy or failback reads the disks.
    if (!standbyRunning(this.recovered.recoveryVmId) || !socket) return;
    const qmp = await connectQmp(socket);
    try {
      await thawStandbyDisks(qmp, this.files);
    } finally {
      qmp.close();
    }
  }
}
