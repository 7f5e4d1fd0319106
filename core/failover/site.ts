import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { RecoveredVm } from '../contract/failover';
import { openDisk } from '../disks';
import { fileResolver } from '../disks/file-source';
import type { DiskReader, WriteFormat } from '../disks/types';
import type { SandboxVm } from '../drills/sandbox';
import { safeName } from '../drills/steps';
import type { Checkpoint, Hypervisor } from '../hypervisors/types';
import { removeStandby, shutDownStandby, standbyDisks, standbyRunning, standbyVm, startStandbyVm } from './qemu-standby';

export interface RecoveryVmSpec {
  name: string;
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
  /** Where one VM's restored disks go; they are the recovered VM's disks from then on. */
  diskFolder(vmName: string): string;
  start(spec: RecoveryVmSpec, signal: AbortSignal): Promise<{ recoveryVmId: string; vm: SandboxVm }>;
  /** Checks and evidence for a recovered VM started earlier. */
  attach(recoveryVmId: string): SandboxVm;
  isRunning(recoveryVmId: string): Promise<boolean>;
  /** Guest shutdown, then power off after the timeout. Says how it stopped. */
  shutDown(recoveryVmId: string, timeoutSeconds: number): Promise<string>;
  /** The stopped recovered VM as a host replication can copy from, its disks named as in the recovery point. */
  copySource(recovered: RecoveredVm): Hypervisor;
  /** Removes the recovered VM and its disks there. */
  remove(recovered: RecoveredVm): Promise<void>;
  isGone(recoveryVmId: string): Promise<boolean>;
}

/** The QEMU standby on this machine: needs nothing of the lost site (see qemu-standby.ts). */
export function qemuStandbySite(qemu: string, root: string): RecoverySite {
  const folderOf = (vmName: string): string => path.join(root, safeName(vmName));
  return {
    hostId: null,
    label: 'this machine (QEMU standby)',
    diskFormat: 'raw',
    diskFolder: (vmName) => path.join(folderOf(vmName), 'disks'),
    async start(spec, signal) {
      signal.throwIfAborted();
      const folder = folderOf(spec.name);
      const vm = await startStandbyVm(qemu, folder, { name: `lifeboat-recovered-${spec.name}`, disks: spec.disks, memoryMiB: spec.memoryMiB, firmware: spec.firmware, networks: spec.networks });
      return { recoveryVmId: folder, vm };
    },
    attach: (id) => standbyVm(id),
    isRunning: async (id) => standbyRunning(id),
    shutDown: (id, timeoutSeconds) => shutDownStandby(id, timeoutSeconds),
    copySource: (recovered) => new StoppedDisks(recovered, standbyDisks(recovered.recoveryVmId)),
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
    private readonly recovered: RecoveredVm,
    private readonly files: string[],
  ) {}

  async createCheckpoint(vmId: string): Promise<Checkpoint> {
    if (this.files.length === 0) throw new LifeboatError('VM_NOT_FOUND', `The recovered copy of ${this.recovered.vm} has no disks left at ${this.recovered.recoveryVmId}.`, { fix: 'It was removed by hand: restore the VM from the vault instead.' });
    const disks = this.files.map((file, index) => ({ key: this.recovered.diskNames[index] ?? `disk${index}`, path: file, capacityBytes: fs.statSync(file).size, changeId: null }));
    return { id: `powered-off:${Date.now()}`, vmId, name: 'failback', kind: 'powered-off', createdAt: new Date().toISOString(), note: null, disks };
  }

  async openCheckpointDisk(checkpoint: Checkpoint, diskKey: string): Promise<DiskReader> {
    const disk = checkpoint.disks.find((d) => d.key === diskKey)!;
    return openDisk(disk.path, fileResolver);
  }

  async changedAreas(): Promise<null> {
    return null;
  }

  async releaseCheckpoint(): Promise<void> {}
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
