import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { Vm } from '../contract/hosts';
import { createDiskWriter } from '../disks';
import type { WriteFormat } from '../disks/types';
import { EXTENSION } from '../drills/engine';
import { safeName } from '../drills/steps';
import { createVmOnRestoredDisks } from '../failover/host-site';
import type { Hypervisor, IsolatedVm } from '../hypervisors/types';
import { resolveDiskPath } from '../hypervisors/disk-path';
import type { JobRunContext } from '../jobs/queue';
import type { VaultPort } from '../replication/vault-port';
import type { JobResource } from '../store/jobs';
import type { CatalogPoint } from '../store/recovery-points';
import { formatBytes } from '../contract/units';
import type { NewVmPlacement } from './placement';

/** What the restore jobs need from the engine; tests of the failure paths can hand in their own. */
export interface RestoreRunDeps {
  openVault(targetId: string): Promise<VaultPort>;
  connect(hostId: string): Hypervisor;
  /**
   * Records what the job has created and not finished yet (jobs.setResources): if the engine dies mid-restore,
   * the next start removes exactly these (jobs/leftovers.ts), and nothing else.
   */
  hold(jobId: string, resources: JobResource[]): void;
}

const heldPath = (file: string, description: string): JobResource => ({ kind: 'path', hostId: null, ref: { path: file }, description });

/** The disk of a point written into a new file: partial files are removed, never left looking like disks. */
export async function restoreOneDisk(
  vault: VaultPort,
  point: CatalogPoint,
  disk: { name: string; size: number },
  format: WriteFormat,
  file: string,
  run: JobRunContext,
  label: string,
): Promise<void> {
  const writer = await createDiskWriter(format, file, disk.size);
  try {
    await vault.restoreDisk(point.id, disk.name, writer, {
      signal: run.signal,
      onProgress: (done, total) => run.progress(label, done, total),
    });
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function pointDisk(vault: VaultPort, point: CatalogPoint, name: string): Promise<{ name: string; size: number }> {
  const disks = await vault.pointDisks(point.id);
  const disk = disks.find((candidate) => candidate.name === name);
  if (!disk)
    throw new LifeboatError('NOT_FOUND', `Recovery point ${point.id} has no disk named "${name}".`, {
      field: 'disk',
      fix: `Its disks are: ${disks.map((d) => d.name).join(', ') || '(none)'}.`,
    });
  return disk;
}

/**
 * A free file name in `folder` from the VM's and the point's ids (names repeat; ids do not), reserved at once
 * with an exclusive create so two restores never share a file and nothing existing is ever overwritten.
 */
export function reserveDiskFile(folder: string, vm: Vm, point: CatalogPoint, disk: string, format: WriteFormat): string {
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw folderError(folder, error);
  }
  const stem = `${safeName(vm.name).slice(0, 40)}-${vm.id.slice(0, 8)}-point-${point.id.slice(0, 8)}-${safeName(disk).slice(0, 40)}`;
  for (let n = 1; n < 1000; n++) {
    const file = path.join(folder, `${stem}${n === 1 ? '' : `-${n}`}.${EXTENSION[format]}`);
    try {
      fs.closeSync(fs.openSync(file, 'wx', 0o600));
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw folderError(folder, error);
    }
  }
  throw new LifeboatError('CONFLICT', `${folder} already holds 999 restores of this disk.`, {
    fix: 'Move or delete old restored disks, or choose another folder.',
  });
}

function folderError(folder: string, error: unknown): LifeboatError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new LifeboatError('ACCESS_DENIED', `Lifeboat may not write in ${folder}.`, {
      field: 'folder',
      fix: 'Choose a folder this account can write to, or give it write permission.',
    });
  if (code === 'ENOSPC')
    return new LifeboatError('STORAGE_FULL', `The disk holding ${folder} is full.`, {
      field: 'folder',
      fix: 'Free space there, or choose a folder on another disk.',
    });
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return new LifeboatError('INVALID_INPUT', `${folder} is not a folder: part of that path is a file.`, {
      field: 'folder',
      fix: 'Choose a folder, or leave the field empty for the default one.',
    });
  return new LifeboatError('INVALID_INPUT', `Lifeboat cannot write in ${folder}: ${(error as Error).message}.`, {
    field: 'folder',
    fix: 'Choose an existing local folder or share.',
  });
}

export async function restoreDiskToFile(
  deps: RestoreRunDeps,
  vm: Vm,
  point: CatalogPoint,
  diskName: string,
  format: WriteFormat,
  file: string,
  run: JobRunContext,
): Promise<string> {
  deps.hold(run.jobId, [heldPath(file, `partly restored disk file ${file}`)]);
  const vault = await deps.openVault(point.targetId).catch((error: unknown) => {
    fs.rmSync(file, { force: true });
    deps.hold(run.jobId, []);
    throw error;
  });
  try {
    const disk = await pointDisk(vault, point, diskName);
    run.log(`Restoring disk ${disk.name} of ${vm.name} from point ${point.id} (${point.time}) to ${file} as ${format}.`);
    await restoreOneDisk(vault, point, disk, format, file, run, `Restoring ${disk.name}`);
    return `${format.toUpperCase()} disk of ${formatBytes(disk.size)}`;
  } catch (error) {
    fs.rmSync(file, { force: true }); // the file reserved for this restore, and only it
    throw error;
  } finally {
    deps.hold(run.jobId, []);
    await vault.close().catch(() => undefined);
  }
}

/**
 * Every disk of the point restored into the placement's new folder, then a VM created on them on the host,
 * powered off with no network (the original may still be running: a twin on its network would clash).
 * On failure everything this created is removed again: the folder and the staged files.
 */
export async function restoreAsNewVm(
  deps: RestoreRunDeps,
  source: Vm,
  point: CatalogPoint,
  name: string,
  hostId: string,
  placement: NewVmPlacement,
  key: string,
  run: JobRunContext,
): Promise<IsolatedVm> {
  if (fs.existsSync(placement.diskFolder)) {
    throw new LifeboatError('CONFLICT', `${placement.diskFolder} already exists.`, {
      field: 'name',
      fix: 'Choose another name for the new VM.',
    });
  }
  fs.mkdirSync(placement.diskFolder, { recursive: true });
  deps.hold(run.jobId, [heldPath(placement.diskFolder, `folder of the partly restored VM ${name}`)]);
  let staged = false;
  try {
    const vault = await deps.openVault(point.targetId);
    const files: string[] = [];
    try {
      const disks = await vault.pointDisks(point.id);
      for (const [index, disk] of disks.entries()) {
        const file = path.join(placement.diskFolder, `${workstationDiskName(name, index)}.${EXTENSION[placement.format]}`);
        run.log(`Restoring disk ${disk.name} (${index + 1} of ${disks.length}) from point ${point.id} to ${file}.`);
        await restoreOneDisk(vault, point, disk, placement.format, file, run, `Restoring ${disk.name}`);
        files.push(file);
      }
    } finally {
      await vault.close().catch(() => undefined);
    }
    run.signal.throwIfAborted();
    staged = true;
    const created = await createVmOnRestoredDisks(
      () => deps.connect(hostId),
      placement.stage,
      {
        key,
        vm: {
          name,
          cpus: source.cpus ?? 1,
          memoryMiB: source.memoryMiB ?? 1024,
          firmware: source.firmware === 'uefi' ? 'uefi' : 'bios',
          ...(source.generation ? { generation: source.generation } : {}),
          ...(source.guestOs ? { guestOs: source.guestOs } : {}),
          ...(placement.location ? { location: placement.location } : {}),
          disks: files,
        },
      },
      run.signal,
    );
    run.log(`Registered ${name} (${created.vmId}), powered off, with no network adapter.`);
    return created;
  } catch (error) {
    // createVmOnRestoredDisks is the last step: a failure there or before leaves no VM, only files to remove.
    if (staged) await placement.unstage(key).catch(() => undefined);
    fs.rmSync(placement.diskFolder, { recursive: true, force: true }); // created above: ours to remove
    throw error;
  } finally {
    deps.hold(run.jobId, []);
  }
}

/** Disk files named as Workstation names a VM's disks, so the new VM looks like any other. */
function workstationDiskName(name: string, index: number): string {
  const stem = safeName(name).slice(0, 60) || 'vm';
  return index === 0 ? stem : `${stem}-${index}`;
}

/**
 * The point written over the VM's own disk files (this computer's Workstation or Hyper-V): each disk to a
 * new file beside the original first, renamed over it only when complete, so a failed restore leaves the VM
 * as it was. Only for a VM that is off (checked just before, by the caller, and again here).
 */
export async function restoreOverOriginal(deps: RestoreRunDeps, vm: Vm, point: CatalogPoint, run: JobRunContext): Promise<string> {
  const host = deps.connect(vm.hostId);
  try {
    const now = (await host.listVms()).find((candidate) => candidate.externalId === vm.externalId);
    if (!now)
      throw new LifeboatError('VM_NOT_FOUND', `${vm.name} is no longer on ${vm.hostName}.`, { fix: 'Restore it as a new VM instead.' });
    if (now.powerState !== 'off')
      throw new LifeboatError('CONFLICT', `${vm.name} is ${now.powerState}: its disks cannot be replaced while it may write to them.`, {
        fix: `Shut ${vm.name} down, then restore again.`,
      });
  } finally {
    await host.close().catch(() => undefined);
  }
  const vault = await deps.openVault(point.targetId);
  const written: string[] = [];
  try {
    const disks = await vault.pointDisks(point.id);
    const plan = disks.map((disk, index) => {
      const original = vm.disks.find((d) => d.key === disk.name) ?? vm.disks[index];
      if (!original)
        throw new LifeboatError('CONFLICT', `${vm.name} has no disk for ${disk.name} of the point.`, {
          fix: 'Restore it as a new VM instead, or add the disk back to the VM first.',
        });
      const file = vm.hostKind === 'workstation' ? resolveDiskPath(vm.externalId, original.path) : original.path;
      const format: WriteFormat = original.format === 'vhdx' ? 'vhdx' : original.format === 'vmdk' ? 'vmdk' : 'raw';
      return { disk, file, format };
    });
    const fresh = (file: string): string => `${file}.lifeboat-restore-${run.jobId.slice(0, 8)}`;
    for (const { disk, file, format } of plan) {
      run.log(`Restoring disk ${disk.name} from point ${point.id} beside ${file}.`);
      written.push(fresh(file));
      deps.hold(
        run.jobId,
        written.map((f) => heldPath(f, `partly restored disk ${f}`)),
      );
      await restoreOneDisk(vault, point, disk, format, fresh(file), run, `Restoring ${disk.name}`);
    }
    // Only once every disk is complete does any original change: a VM never gets half its disks replaced.
    for (const { file } of plan) fs.renameSync(fresh(file), file);
    written.length = 0;
    return `${plan.length} ${plan.length === 1 ? 'disk' : 'disks'} of ${vm.name} replaced with the recovery point`;
  } finally {
    for (const file of written) fs.rmSync(file, { force: true });
    deps.hold(run.jobId, []);
    await vault.close().catch(() => undefined);
  }
}
