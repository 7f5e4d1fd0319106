import fs from 'node:fs';
import path from 'node:path';
import type { Vm } from '../contract/hosts';
import type { Possible } from '../contract/restore';
import type { WriteFormat } from '../disks/types';
import { datastoreOf } from '../drills/vsphere-staging';
import { vsphereDiskStaging } from '../failover/host-site';
import type { Hypervisor } from '../hypervisors/types';
import type { HostRecord } from '../store/hosts';

/**
 * Where a point restored as a new VM lives on a host: the format its disks are restored in, the local
 * folder they are written to (created by the restore, so it is the restore's to delete on failure), and how
 * the host gets to see them — the same staging failover uses (host-site.ts).
 */
export interface NewVmPlacement {
  format: WriteFormat;
  /** Must not exist yet: the restore creates it and removes it if it fails. */
  diskFolder: string;
  /** IsolatedVmSpec.location, when the provider needs it to put the VM beside its disks. */
  location?: string;
  stage(files: string[], key: string, signal: AbortSignal): Promise<string[]>;
  /** Removes what stage put on the host (after a failure). */
  unstage(key: string): Promise<void>;
}

const local = { stage: async (files: string[]) => files, unstage: async () => undefined };

/** The same rule as the Workstation provider's folder names (createIsolatedVm puts the .vmx in <location>/<this>). */
export function workstationFolderName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are not allowed in file names
  return name.replace(/[<>:"/\\|?*\x00-\x1f]/g, '_').trim() || 'vm';
}

/** Whether a point of `source` can be registered as a new VM on `host`, and why not in words a user can act on. */
export function newVmPossible(host: HostRecord, source: Vm): Possible {
  try {
    placementBase(host, source);
    return { ok: true, reason: null };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

export function newVmPlacement(
  host: HostRecord,
  source: Vm,
  name: string,
  key: string,
  scratch: string,
  connect: () => Hypervisor,
): NewVmPlacement {
  const base = placementBase(host, source);
  switch (base.kind) {
    case 'workstation':
      // Next to the source VM's folder, named like any Workstation VM: the user finds it where they expect.
      return { format: 'vmdk', diskFolder: path.join(base.folder, workstationFolderName(name)), location: base.folder, ...local };
    case 'hyperv':
      return { format: 'vhdx', diskFolder: path.join(base.folder, key), ...local };
    case 'vsphere':
      // Restored as ESXi disks here, then uploaded to `[datastore] lifeboat-restore/<key>/`.
      return {
        format: 'vmdk-esxi',
        diskFolder: path.join(scratch, key),
        ...vsphereDiskStaging(connect, base.datastore, 'lifeboat-restore'),
      };
  }
}

type Base = { kind: 'workstation'; folder: string } | { kind: 'hyperv'; folder: string } | { kind: 'vsphere'; datastore: string };

function placementBase(host: HostRecord, source: Vm): Base {
  if (host.kind !== source.hostKind)
    throw new Error(
      `${host.name} is a ${host.kind} host and ${source.name} a ${source.hostKind} VM: restore its disk to a file and convert it instead.`,
    );
  if (host.kind === 'workstation') {
    const folders = host.settings.folders ?? [];
    const beside = host.id === source.hostId ? path.dirname(path.dirname(source.externalId)) : null;
    // Beside the source only when discovery looks there, so the new VM is listed once it is registered.
    const within = beside !== null && folders.some((folder) => beside === folder || beside.startsWith(folder + path.sep));
    const folder = within ? beside : folders[0];
    if (!folder) throw new Error(`${host.name} has no VM folder to put a new VM in: add one to the host in Lifeboat.`);
    if (!fs.existsSync(folder))
      throw new Error(`The VM folder ${folder} of ${host.name} is not there: reconnect the drive or share, or add the folder again.`);
    return { kind: 'workstation', folder };
  }
  if (host.kind === 'hyperv') {
    if (host.address !== null)
      throw new Error(
        `Lifeboat cannot write disks on ${host.name} from this machine: run Lifeboat on that Hyper-V host, or restore the disk to a file and copy it there.`,
      );
    const disk = host.id === source.hostId ? source.disks[0]?.path : undefined;
    if (!disk)
      throw new Error(
        `Lifeboat does not know where ${host.name} keeps VM disks: restore the disk to a file and create the VM in Hyper-V Manager.`,
      );
    return { kind: 'hyperv', folder: path.dirname(disk) };
  }
  const datastore = datastoreOf(source.disks[0]?.path);
  if (!datastore)
    throw new Error(
      `Lifeboat does not know a datastore of ${source.name} on ${host.name}: restore the disk to a file and upload it with the vSphere Client.`,
    );
  return { kind: 'vsphere', datastore };
}
