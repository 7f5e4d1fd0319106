import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatError } from '../../core/contract/errors';
import { createDiskWriter } from '../../core/disks';
import { flatFileFor } from '../../core/disks/vmdk-writer';
import type { HostConnection } from '../../core/hypervisors/types';
import { DatastoreSource } from '../../core/hypervisors/vsphere/datastore';
import { VsphereHost } from '../../core/hypervisors/vsphere/provider';
import { children, first, text } from '../../core/hypervisors/vsphere/xml';
import { convertToRaw } from '../helpers/qemu-images';
import { tempDirManual } from '../helpers/temp';
import { startVcsim, VCSIM_USER, vcsimConnection, type Vcsim } from '../helpers/vcsim';

const M = 1024 * 1024;

function connection(sim: Vcsim, overrides: Partial<HostConnection> = {}, settings: HostConnection['settings'] = {}): HostConnection {
  return vcsimConnection(sim, { id: 'test', ...overrides }, settings);
}

async function failure(promise: Promise<unknown>): Promise<LifeboatError> {
  try {
    await promise;
  } catch (error) {
    return error as LifeboatError;
  }
  throw new Error('expected a failure');
}

let sim: Vcsim;
let work: ReturnType<typeof tempDirManual>;

beforeAll(async () => {
  sim = await startVcsim();
  work = tempDirManual();
});

afterAll(async () => {
  await sim?.stop();
  work?.remove();
});

describe("vSphere provider against govmomi's simulator", () => {
  it('lists the default VMs with their disks and NICs through the PropertyCollector', async () => {
    const host = new VsphereHost(connection(sim));
    try {
      const description = await host.describe();
      expect(description.product).toMatch(/VMware vCenter Server/);
      const vms = await host.listVms();
      expect(vms.length).toBe(3);
      for (const vm of vms) {
        expect(vm.externalId).toMatch(/^[0-9a-f-]{36}$/);
        expect(vm.powerState).toBe('running');
        expect(vm.disks).toHaveLength(1);
        expect(vm.disks[0]).toMatchObject({ format: 'vmdk', capacityBytes: 1024 * 1024 });
        expect(vm.disks[0]!.path).toMatch(new RegExp(`^\\[LocalDS_0\\] ${vm.name}/disk1\\.vmdk$`));
        expect(vm.nics).toHaveLength(1);
        expect(vm.nics[0]!.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        expect(vm.nics[0]!.network).toBeTruthy();
        expect(vm.cpus).toBeGreaterThan(0);
        expect(vm.memoryMiB).toBeGreaterThan(0);
      }
      expect(new Set(vms.map((vm) => vm.name)).size).toBe(vms.length);
    } finally {
      await host.close();
    }
  });

  it('takes and removes a quiesced snapshot, and names the frozen disks', async () => {
    const host = new VsphereHost(connection(sim), { taskPollMs: 20 });
    try {
      const [vm] = await host.listVms();
      const checkpoint = await host.createCheckpoint(vm!.externalId, { consistency: 'prefer', name: 'lifeboat-test' });
      expect(checkpoint.kind).toBe('app-consistent');
      expect(checkpoint.id).toMatch(/^snapshot-/);
      expect(checkpoint.disks).toEqual([expect.objectContaining({ key: vm!.disks[0]!.key, path: vm!.disks[0]!.path, capacityBytes: M })]);
      const ref = await host.vmRef(vm!.externalId);
      const before = await host.client.properties(ref, ['snapshot']);
      expect(text(before.get('snapshot'), 'currentSnapshot')).toBe(checkpoint.id);

      await host.releaseCheckpoint(checkpoint);
      const after = await host.client.properties(ref, ['snapshot.rootSnapshotList']);
      expect(after.get('snapshot.rootSnapshotList') ?? '').toBe('');
      await host.releaseCheckpoint(checkpoint); // twice is harmless
    } finally {
      await host.close();
    }
  });

  it('reads a disk placed in the datastore through /folder Range requests, byte for byte', async () => {
    const host = new VsphereHost(connection(sim), { taskPollMs: 20 });
    try {
      const vms = await host.listVms();
      const vm = vms[1]!;
      const vmdk = path.join(sim.datastoreDir, vm.name, 'disk1.vmdk');
      // Replace the simulator's placeholder with a real sparse VMDK holding data at a few offsets.
      const writer = await createDiskWriter('vmdk', vmdk, 8 * M);
      const pieces = [
        { offset: 0, data: Buffer.alloc(512, 0x11) },
        { offset: 3 * M + 4096, data: Buffer.alloc(70_000, 0x22) },
        { offset: 8 * M - 512, data: Buffer.alloc(512, 0x33) },
      ];
      for (const p of pieces) await writer.write(p.offset, p.data);
      await writer.close();

      const checkpoint = await host.createCheckpoint(vm.externalId, { consistency: 'prefer', name: 'lifeboat-read' });
      const reader = await host.openCheckpointDisk(checkpoint, checkpoint.disks[0]!.key);
      try {
        expect(reader.format).toBe('vmdk');
        expect(reader.virtualSize).toBe(8 * M);
        const raw = path.join(work.dir, 'expected.raw');
        convertToRaw(vmdk, raw, 'vmdk');
        const expected = fs.readFileSync(raw);
        const actual = await reader.read(0, 8 * M);
        expect(actual.equals(expected)).toBe(true);
        // Only grains that hold data are fetched (plus metadata), not the whole virtual disk.
        expect(reader.stats.bytesReadFromSource).toBeLessThan(1 * M);
      } finally {
        await reader.close();
        await host.releaseCheckpoint(checkpoint);
      }

      // The container file itself, read through the datastore source, equals the file on disk.
      const source = new DatastoreSource(
        host.http,
        () => host.client.sessionCookie,
        { dcPath: 'DC0', dsName: 'LocalDS_0' },
        `${vm.name}/disk1.vmdk`,
      );
      const file = fs.readFileSync(vmdk);
      expect(await source.size()).toBe(file.length);
      expect((await source.read(0, file.length)).equals(file)).toBe(true);
      expect((await source.read(12345, 777)).equals(file.subarray(12345, 12345 + 777))).toBe(true);
      expect((await source.read(file.length - 10, 100)).equals(file.subarray(file.length - 10))).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('follows a VMDK descriptor to its flat extent on the same datastore', async () => {
    const host = new VsphereHost(connection(sim), { taskPollMs: 20 });
    try {
      const vm = (await host.listVms())[2]!;
      const vmdk = path.join(sim.datastoreDir, vm.name, 'disk1.vmdk');
      const writer = await createDiskWriter('vmdk-esxi', vmdk, 2 * M);
      await writer.write(M, Buffer.from('flat extent data, read over /folder'));
      await writer.close();
      expect(fs.existsSync(flatFileFor(vmdk))).toBe(true);
      const checkpoint = await host.createCheckpoint(vm.externalId, { consistency: 'crash', name: 'lifeboat-flat' });
      expect(checkpoint.kind).toBe('crash-consistent');
      const reader = await host.openCheckpointDisk(checkpoint, checkpoint.disks[0]!.key);
      expect((await reader.read(M, 35)).toString()).toBe('flat extent data, read over /folder');
      await reader.close();
      await host.releaseCheckpoint(checkpoint);
    } finally {
      await host.close();
    }
  });

  it('creates an isolated VM with no network, powers it, and removes only what Lifeboat created', async () => {
    const host = new VsphereHost(connection(sim), { taskPollMs: 20 });
    try {
      const [production] = await host.listVms();
      const created = await host.createIsolatedVm({
        name: 'drill-restored-01',
        cpus: 2,
        memoryMiB: 512,
        firmware: 'bios',
        disks: [production!.disks[0]!.path],
      });
      const vms = await host.listVms();
      const drill = vms.find((vm) => vm.externalId === created.vmId)!;
      expect(drill).toMatchObject({ name: 'drill-restored-01', cpus: 2, memoryMiB: 512, powerState: 'off', nics: [] });
      expect(drill.disks.map((d) => d.path)).toEqual([production!.disks[0]!.path]);

      await host.powerOn(created.vmId);
      expect((await host.listVms()).find((vm) => vm.externalId === created.vmId)!.powerState).toBe('running');
      expect(['ok', 'no-contact', 'degraded', 'not-installed']).toContain(await host.heartbeat(created.vmId));

      const refused = await failure(host.removeVm(production!.externalId));
      expect(refused.code).toBe('CONFLICT');
      expect(refused.message).toContain('not created by Lifeboat');

      await host.removeVm(created.vmId);
      expect((await host.listVms()).some((vm) => vm.externalId === created.vmId)).toBe(false);
      await host.removeVm(created.vmId); // gone already: fine
    } finally {
      await host.close();
    }
  });

  it('disconnects every network adapter of a registered VM', async () => {
    const host = new VsphereHost(connection(sim), { taskPollMs: 20 });
    const startConnected = async (vmId: string): Promise<string | undefined> => {
      const devices = (await host.client.properties(await host.vmRef(vmId), ['config.hardware.device'])).get('config.hardware.device');
      const nic = children(devices, 'VirtualDevice').find((d) => first(d, 'macAddress') !== undefined);
      return text(first(nic, 'connectable'), 'startConnected');
    };
    try {
      const vm = (await host.listVms()).at(-1)!;
      expect(await startConnected(vm.externalId)).toBe('true');
      expect(await host.disconnectNics(vm.externalId)).toBe(1);
      const after = (await host.listVms()).find((v) => v.externalId === vm.externalId)!;
      expect(after.nics).toHaveLength(1);
      expect(after.nics[0]!.connected).toBe(false);
      expect(after.nics[0]!.mac).toBe(vm.nics[0]!.mac);
      expect(await startConnected(vm.externalId)).toBe('false');
    } finally {
      await host.close();
    }
  });

  it('says which VM is missing', async () => {
    const host = new VsphereHost(connection(sim));
    try {
      const error = await failure(host.createCheckpoint('00000000-0000-0000-0000-000000000000', { consistency: 'prefer', name: 'x' }));
      expect(error.code).toBe('VM_NOT_FOUND');
      expect(error.fix).toMatch(/discovery/);
    } finally {
      await host.close();
    }
  });
});

describe('vSphere faults become typed errors with a fix', () => {
  it('wrong password: ACCESS_DENIED', async () => {
    const host = new VsphereHost(connection(sim, { credentials: { username: VCSIM_USER, password: 'wrong' } }));
    const error = await failure(host.listVms());
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toContain('wrong user name or password');
    expect(error.fix).toMatch(/user name and password/);
    await host.close();
  });

  it('unreachable host: HOST_UNREACHABLE', async () => {
    const port = await closedPort();
    const host = new VsphereHost(connection(sim, {}, { port }));
    const error = await failure(host.describe());
    expect(error.code).toBe('HOST_UNREACHABLE');
    expect(error.message).toContain('refused');
    expect(error.fix).toMatch(/firewall/);
    await host.close();
  });

  it('expired session: signs in again once; without that, SESSION_EXPIRED', async () => {
    for (const relogin of [true, false]) {
      const victim = new VsphereHost(connection(sim), { relogin });
      const admin = new VsphereHost(connection(sim));
      try {
        await victim.listVms();
        const sessionManager = victim.client.serviceContent.sessionManager;
        const current = await victim.client.properties(sessionManager, ['currentSession']);
        const key = text(current.get('currentSession'), 'key')!;
        expect(key).toBeTruthy();
        await admin.client.call('TerminateSession', sessionManager, [['sessionId', key]]);
        if (relogin) {
          expect((await victim.listVms()).length).toBeGreaterThan(0);
          expect(victim.client.logins).toBe(2);
        } else {
          const error = await failure(victim.listVms());
          expect(error.code).toBe('SESSION_EXPIRED');
          expect(error.fix).toMatch(/signs in again/);
        }
      } finally {
        await victim.close();
        await admin.close();
      }
    }
  });
});

describe('vSphere over TLS: the certificate is confirmed once, then pinned', () => {
  let tlsSim: Vcsim;
  beforeAll(async () => {
    tlsSim = await startVcsim({ tls: true, vms: 1 });
  });
  afterAll(async () => {
    await tlsSim?.stop();
  });

  it('refuses an unconfirmed self-signed certificate before sending the password, naming its thumbprint', async () => {
    const host = new VsphereHost(connection(tlsSim));
    const error = await failure(host.describe());
    expect(error.code).toBe('CERTIFICATE_CHANGED');
    expect(error.message.replace(/:/g, '').toLowerCase()).toContain(tlsSim.thumbprint);
    expect(error.fix).toContain(`--thumbprint ${tlsSim.thumbprint}`);
    expect(host.client.logins).toBe(0);
    await host.close();
  });

  it('connects with the confirmed thumbprint and reports it for pinning', async () => {
    const host = new VsphereHost(connection(tlsSim, {}, { thumbprint: tlsSim.thumbprint }));
    const description = await host.describe();
    expect(description.thumbprint).toBe(tlsSim.thumbprint);
    expect((await host.listVms()).length).toBeGreaterThan(0);
    await host.close();
  });

  it('refuses a changed certificate', async () => {
    const pinned = 'ab'.repeat(32);
    const host = new VsphereHost(connection(tlsSim, {}, { thumbprint: pinned }));
    const error = await failure(host.listVms());
    expect(error.code).toBe('CERTIFICATE_CHANGED');
    expect(error.message).toMatch(/changed: Lifeboat pinned SHA-256 AB:AB/);
    expect(error.fix).toMatch(/intercepting/);
    await host.close();
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
