import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { vsphereStaging } from '../../core/drills/vsphere-staging';
import { vsphereDiskStaging } from '../../core/failover/host-site';
import type { DatastoreOps, Hypervisor } from '../../core/hypervisors/types';
import { tempDir } from '../helpers/temp';

/** A host with only what staging may touch: its datastores (when given) and close. */
function host(datastores?: DatastoreOps): { hypervisor: Hypervisor; closed: () => number } {
  let closes = 0;
  const unused = () => Promise.reject(new Error('staging only uses the datastores facet'));
  const hypervisor: Hypervisor = {
    kind: datastores ? 'vsphere' : 'hyperv',
    describe: unused,
    listVms: unused,
    createCheckpoint: unused,
    openCheckpointDisk: unused,
    changedAreas: unused,
    releaseCheckpoint: unused,
    createIsolatedVm: unused,
    powerOn: unused,
    powerOff: unused,
    heartbeat: unused,
    removeVm: unused,
    close: async () => {
      closes += 1;
    },
    ...(datastores ? { datastores } : {}),
  };
  return { hypervisor, closed: () => closes };
}

function restoredDisk(): string {
  const folder = path.join(tempDir(), 'dc01');
  fs.mkdirSync(folder, { recursive: true });
  const descriptor = path.join(folder, '0-disk1.vmdk');
  fs.writeFileSync(descriptor, 'descriptor');
  fs.writeFileSync(descriptor.replace(/\.vmdk$/, '-flat.vmdk'), 'extent');
  return descriptor;
}

// Staging reaches the datastores through the Hypervisor facet: no provider class, no cast.
describe('ESXi disk staging through the datastores facet', () => {
  it('uploads descriptor and extent through the facet, then deletes the folder it made', async () => {
    const calls: string[] = [];
    const { hypervisor, closed } = host({
      uploadFile: async (file, to) => void calls.push(`upload ${path.basename(file)} → ${to}`),
      deletePath: async (to) => void calls.push(`delete ${to}`),
    });
    const descriptor = restoredDisk();
    const staging = vsphereDiskStaging(() => hypervisor, 'LocalDS_0', 'lifeboat-restore');
    expect(await staging.stage([descriptor], 'dc01-p1', new AbortController().signal)).toEqual([
      '[LocalDS_0] lifeboat-restore/dc01-p1/0-disk1.vmdk',
    ]);
    await staging.unstage('dc01-p1');
    expect(calls).toEqual([
      'upload 0-disk1.vmdk → [LocalDS_0] lifeboat-restore/dc01-p1/0-disk1.vmdk',
      'upload 0-disk1-flat.vmdk → [LocalDS_0] lifeboat-restore/dc01-p1/0-disk1-flat.vmdk',
      'delete [LocalDS_0] lifeboat-restore/dc01-p1',
    ]);
    expect(fs.existsSync(path.dirname(descriptor))).toBe(false); // the datastore holds them now
    expect(closed()).toBe(2);
  });

  it('a host without datastores is a typed conflict with a fix; the connection is closed and the restored files kept', async () => {
    const { hypervisor, closed } = host();
    const descriptor = restoredDisk();
    const staging = vsphereDiskStaging(() => hypervisor, 'LocalDS_0', 'lifeboat-failover');
    await expect(staging.stage([descriptor], 'dc01', new AbortController().signal)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'The host is a hyperv host, not vSphere: restored ESXi disks can only be put on a vSphere datastore.',
      fix: expect.stringContaining('Hosts page'),
    });
    expect(closed()).toBe(1);
    expect(fs.existsSync(descriptor)).toBe(true);
    await expect(vsphereStaging(hypervisor, 'LocalDS_0')([descriptor], 'DC01')).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
