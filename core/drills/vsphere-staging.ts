import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { DatastoreOps, Hypervisor } from '../hypervisors/types';

/**
 * Puts restored ESXi disks (descriptor + -flat extent) on a datastore for the drill VM, under
 * `[datastore] lifeboat-drills/<vm>/`, and removes that folder afterwards.
 */
export function vsphereStaging(host: Hypervisor, datastore: string) {
  return async (files: string[], vmName: string): Promise<{ hostPaths: string[]; remove(): Promise<void> }> => {
    const datastores = datastoresOf(host);
    const folder = `[${datastore}] lifeboat-drills/${vmName.replace(/[^\w.-]+/g, '_')}`;
    const hostPaths: string[] = [];
    for (const descriptor of files) {
      const flat = descriptor.replace(/\.vmdk$/, '-flat.vmdk');
      for (const file of [descriptor, ...(fs.existsSync(flat) ? [flat] : [])])
        await datastores.uploadFile(file, `${folder}/${path.basename(file)}`);
      hostPaths.push(`${folder}/${path.basename(descriptor)}`);
    }
    return { hostPaths, remove: () => datastores.deletePath(folder) };
  };
}

/** The datastore of a VM's first disk ("[LocalDS_0] vm/disk.vmdk" → "LocalDS_0"): drills stage next to it. */
export function datastoreOf(diskPath: string | undefined): string | null {
  return diskPath ? (/^\[([^\]]+)\]/.exec(diskPath)?.[1] ?? null) : null;
}

/** The host's datastores: restored ESXi disks can only be put where a vSphere host reads them. */
export function datastoresOf(host: Hypervisor): DatastoreOps {
  if (host.datastores) return host.datastores;
  throw new LifeboatError(
    'CONFLICT',
    `The host is a ${host.kind} host, not vSphere: restored ESXi disks can only be put on a vSphere datastore.`,
    {
      fix: "Check the VM's host and the plan's recovery host on the Hosts page: disks of a vSphere VM go back to a vSphere host.",
    },
  );
}
