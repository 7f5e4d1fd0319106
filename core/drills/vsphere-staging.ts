import fs from 'node:fs';
import path from 'node:path';
import type { VsphereHost } from '../hypervisors/vsphere/provider';

/**
 * Puts restored ESXi disks (descriptor + -flat extent) on a datastore for the drill VM, under
 * `[datastore] lifeboat-drills/<vm>/`, and removes that folder afterwards.
 */
export function vsphereStaging(host: VsphereHost, datastore: string) {
  return async (files: string[], vmName: string): Promise<{ hostPaths: string[]; remove(): Promise<void> }> => {
    const folder = `[${datastore}] lifeboat-drills/${vmName.replace(/[^\w.-]+/g, '_')}`;
    const hostPaths: string[] = [];
    for (const descriptor of files) {
      const flat = descriptor.replace(/\.vmdk$/, '-flat.vmdk');
      for (const file of [descriptor, ...(fs.existsSync(flat) ? [flat] : [])]) await host.uploadFile(file, `${folder}/${path.basename(file)}`);
      hostPaths.push(`${folder}/${path.basename(descriptor)}`);
    }
    return { hostPaths, remove: () => host.deleteDatastorePath(folder) };
  };
}

/** The datastore of a VM's first disk ("[LocalDS_0] vm/disk.vmdk" → "LocalDS_0"): drills stage next to it. */
export function datastoreOf(diskPath: string | undefined): string | null {
  return diskPath ? (/^\[([^\]]+)\]/.exec(diskPath)?.[1] ?? null) : null;
}
