import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { LAB_VMS, labDiskContent } from '../../core/hypervisors/sample-lab';
import type { HostConnection } from '../../core/hypervisors/types';
import { WorkstationHost } from '../../core/hypervisors/workstation/provider';
import { parseVmx } from '../../core/hypervisors/workstation/vmx';
import { createService } from '../../core/service';
import { runCli } from '../helpers/cli';
import { bootUntilMarker } from '../helpers/disk-boot';
import { convertToRaw, qemuImg } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

describe('the sample lab', () => {
  it('builds three VMs on real VMDKs, registers them as a Workstation host, and is idempotent', async () => {
    const data = tempDir();
    const folder = path.join(tempDir(), 'My lab');
    const service = createService({ dataDir: data });
    const client = createLocalClient(service.api);
    try {
      const lab = await client.createSampleLab({ folder });
      expect(lab.vms).toEqual(['lab-dc01', 'lab-files01', 'lab-web01']);
      const again = await client.createSampleLab({ folder });
      expect(again.hostId).toBe(lab.hostId);
      const hosts = await client.listHosts();
      expect(hosts).toHaveLength(1);
      expect(hosts[0]).toMatchObject({
        kind: 'workstation',
        name: 'Sample lab',
        vmCount: 3,
        status: 'ok',
        settings: { folders: [folder] },
      });
      const vms = await client.listVms({});
      expect(vms.map((vm) => [vm.name, vm.powerState, vm.disks.length])).toEqual([
        ['lab-dc01', 'off', 1],
        ['lab-files01', 'off', 2],
        ['lab-web01', 'off', 1],
      ]);
      for (const vm of vms) {
        for (const disk of vm.disks) {
          const file = path.join(folder, vm.name, disk.path);
          expect(qemuImg('check', '-f', 'vmdk', file)).toContain('No errors');
          expect(JSON.parse(qemuImg('info', '--output=json', file)).format).toBe('vmdk');
          expect(disk).toMatchObject({
            format: 'vmdk',
            capacityBytes: LAB_VMS.find((l) => l.name === vm.name)!.disks[Number(disk.key.split(':')[1])]! * 1024 * 1024,
          });
        }
      }
    } finally {
      await service.close();
    }
  });

  it('checkpoint → open disk → read equals the file; an isolated copy has networking off; the disk boots', async () => {
    const data = tempDir();
    const folder = path.join(tempDir(), 'lab');
    const service = createService({ dataDir: data });
    const lab = await createLocalClient(service.api).createSampleLab({ folder });
    await service.close();
    const connection: HostConnection = {
      id: lab.hostId,
      name: 'Sample lab',
      kind: 'workstation',
      address: null,
      settings: { folders: [folder] },
      credentials: null,
    };
    const workstation = new WorkstationHost(connection, { vmrun: null, inventoryFile: null });

    const files01 = (await workstation.listVms()).find((vm) => vm.name === 'lab-files01')!;
    const checkpoint = await workstation.createCheckpoint(files01.externalId, { consistency: 'require', name: 'Lifeboat test' });
    expect(checkpoint.kind).toBe('powered-off');
    expect(checkpoint.disks).toHaveLength(2);
    const scratch = tempDir();
    for (const [index, disk] of checkpoint.disks.entries()) {
      const reader = await workstation.openCheckpointDisk(checkpoint, disk.key);
      try {
        expect(reader.format).toBe('vmdk');
        const raw = path.join(scratch, `${index}.raw`);
        convertToRaw(disk.path, raw, 'vmdk');
        const expected = fs.readFileSync(raw);
        expect((await reader.read(0, reader.virtualSize)).equals(expected)).toBe(true);
        for (const piece of labDiskContent('lab-files01', index, reader.virtualSize)) {
          expect((await reader.read(piece.offset, piece.data.length)).equals(piece.data)).toBe(true);
        }
        // Sparse: the reader reports far less allocated than the virtual size.
        const allocated = (await reader.extents()).reduce((sum, e) => sum + e.length, 0);
        expect(allocated).toBeLessThan(reader.virtualSize / 4);
      } finally {
        await reader.close();
      }
    }
    await workstation.releaseCheckpoint(checkpoint);

    const isolated = await workstation.createIsolatedVm({
      name: 'lab-files01 (drill)',
      cpus: files01.cpus!,
      memoryMiB: files01.memoryMiB!,
      firmware: 'bios',
      disks: checkpoint.disks.map((d) => d.path),
      location: path.join(scratch, 'drills'),
    });
    const vmx = parseVmx(fs.readFileSync(isolated.configPath!, 'utf8'));
    expect(vmx.get('ethernet0.present')).toBe('FALSE');
    expect([...vmx.keys()].some((key) => /^ethernet\d+\.(connectiontype|address|generatedaddress)$/.test(key))).toBe(false);
    expect(vmx.get('scsi0:1.filename')).toBe(checkpoint.disks[1]!.path);

    const boot = path.join(folder, 'lab-dc01', 'lab-dc01.vmdk');
    expect(await bootUntilMarker(boot, 'vmdk', 'LIFEBOAT-BOOT-OK lab-dc01')).toContain('LIFEBOAT-BOOT-OK lab-dc01');
  });

  it('from the command line: lab create, then discover --json and hosts list', () => {
    const data = tempDir();
    const dir = path.join(tempDir(), 'cli-lab');
    const created = runCli(['--data', data, 'lab', 'create', '--dir', dir]);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toContain('lab-dc01, lab-files01, lab-web01');

    const discovered = runCli(['--data', data, 'discover', '--json']);
    expect(discovered.status, discovered.stderr).toBe(0);
    expect(discovered.stderr).toMatch(/Sample lab: 3 VMs \(0 added, 0 removed, 0 changed\)/);
    const vms = JSON.parse(discovered.stdout) as {
      name: string;
      host: string;
      powerState: string;
      disks: { path: string; capacityBytes: number }[];
    }[];
    expect(vms.map((vm) => [vm.name, vm.host, vm.powerState, vm.disks.length])).toEqual([
      ['lab-dc01', 'Sample lab', 'off', 1],
      ['lab-files01', 'Sample lab', 'off', 2],
      ['lab-web01', 'Sample lab', 'off', 1],
    ]);

    const hosts = JSON.parse(runCli(['--data', data, 'hosts', 'list', '--json']).stdout) as { name: string; vmCount: number }[];
    expect(hosts).toEqual([expect.objectContaining({ name: 'Sample lab', vmCount: 3 })]);
  });
});
