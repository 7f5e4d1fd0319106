import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LifeboatError } from '../../core/contract/errors';
import { createLocalClient } from '../../core/contract/dispatch';
import type { ConsoleEvent } from '../../core/contract/events';
import { HostConnector } from '../../core/hosts/connector';
import { KeyFileSecretBox } from '../../core/secrets/key-file-box';
import { createService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { SecretsStore } from '../../core/store/secrets';
import type { HostConnection } from '../../core/hypervisors/types';
import type { VmrunRunner } from '../../core/hypervisors/workstation/vmrun';
import { WorkstationHost } from '../../core/hypervisors/workstation/provider';
import { parseVmx, serializeVmx } from '../../core/hypervisors/workstation/vmx';
import { tempDir } from '../helpers/temp';

function host(folder: string): HostConnection {
  return { id: 'w', name: 'Workstation', kind: 'workstation', address: null, settings: { folders: [folder] }, credentials: null };
}

function writeVm(folder: string, name: string, extra: Record<string, string> = {}): string {
  const dir = path.join(folder, name);
  fs.mkdirSync(dir, { recursive: true });
  const vmx = path.join(dir, `${name}.vmx`);
  const entries: [string, string][] = [
    ['displayName', name],
    ['memsize', '2048'],
    ['numvcpus', '2'],
    ['guestOS', 'windows9-64'],
    ['firmware', 'efi'],
    ['nvme0.present', 'TRUE'],
    ['nvme0:0.present', 'TRUE'],
    ['nvme0:0.fileName', `${name}.vmdk`],
    ['sata0:1.present', 'TRUE'],
    ['sata0:1.deviceType', 'cdrom-image'],
    ['sata0:1.fileName', 'C:\\ISO\\win.iso'],
    ['ethernet0.present', 'TRUE'],
    ['ethernet0.connectionType', 'custom'],
    ['ethernet0.vnet', 'VMnet2'],
    ['ethernet0.generatedAddress', '00:0c:29:aa:bb:cc'],
    ['ethernet1.present', 'TRUE'],
    ['ethernet1.connectionType', 'nat'],
    ['ethernet1.startConnected', 'FALSE'],
    ...Object.entries(extra),
  ];
  fs.writeFileSync(vmx, serializeVmx(entries));
  fs.writeFileSync(path.join(dir, `${name}.vmdk`), Buffer.alloc(1024 * 1024));
  return vmx;
}

function recordingVmrun(answers: Record<string, { stdout: string; exitCode?: number }>): VmrunRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: async (args) => {
      calls.push([...args]);
      const answer = answers[args[0]!] ?? { stdout: '' };
      return { stdout: answer.stdout, stderr: '', exitCode: answer.exitCode ?? 0 };
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<LifeboatError> {
  try {
    await promise;
  } catch (error) {
    return error as LifeboatError;
  }
  throw new Error('expected a failure');
}

describe('.vmx files', () => {
  it("round-trips values with quotes, pipes, hashes and non-ASCII through VMware's |XX escapes", () => {
    const tricky = 'Bob\'s "SQL" | #1 — Büro';
    const text = serializeVmx([['displayName', tricky]]);
    expect(text).toContain('|22SQL|22');
    expect(parseVmx(text).get('displayname')).toBe(tricky);
    expect(() => serializeVmx([['bad key = "x"', 'v']])).toThrow(RangeError);
  });

  it('ignores comments and blank lines, keys are case-insensitive', () => {
    const entries = parseVmx('\uFEFF# comment\n\nDisplayName = "A"\r\nmemSize = "512"\n');
    expect(entries.get('displayname')).toBe('A');
    expect(entries.get('memsize')).toBe('512');
  });
});

describe('Workstation provider', () => {
  it("finds VMs in nested folders and in Workstation's own list, and reads their settings", async () => {
    const root = tempDir();
    const folder = path.join(root, 'VMs');
    writeVm(path.join(folder, 'Office'), 'WIN11');
    const elsewhere = writeVm(path.join(root, 'Elsewhere'), 'UBUNTU', { guestOS: 'ubuntu-64', firmware: 'bios' });
    const inventory = path.join(root, 'inventory.vmls');
    fs.writeFileSync(
      inventory,
      serializeVmx([
        ['vmlist1.config', elsewhere],
        ['vmlist2.config', path.join(root, 'gone.vmx')],
      ]),
    );

    const workstation = new WorkstationHost(host(folder), { vmrun: null, inventoryFile: inventory });
    expect((await workstation.describe()).version).toMatch(/vmrun not installed/);
    const vms = await workstation.listVms();
    expect(vms.map((vm) => vm.name).sort()).toEqual(['UBUNTU', 'WIN11']);
    const win = vms.find((vm) => vm.name === 'WIN11')!;
    expect(win).toMatchObject({
      powerState: 'off',
      cpus: 2,
      memoryMiB: 2048,
      firmware: 'uefi',
      guestOs: 'windows9-64',
      disks: [{ key: 'nvme0:0', path: 'WIN11.vmdk', format: 'vmdk', capacityBytes: 1024 * 1024 }],
      nics: [
        { network: 'VMnet2', mac: '00:0c:29:aa:bb:cc', connected: true },
        { network: 'nat', connected: false },
      ],
    });
  });

  it("judges power by Workstation's lock folder and suspend file", async () => {
    const folder = tempDir();
    const running = writeVm(folder, 'RUNNING');
    fs.mkdirSync(`${running}.lck`);
    const suspended = writeVm(folder, 'SUSPENDED', { 'checkpoint.vmState': 'SUSPENDED.vmss' });
    fs.writeFileSync(path.join(path.dirname(suspended), 'SUSPENDED.vmss'), 'x');
    const vms = await new WorkstationHost(host(folder), { vmrun: null, inventoryFile: null }).listVms();
    expect(Object.fromEntries(vms.map((vm) => [vm.name, vm.powerState]))).toEqual({ RUNNING: 'running', SUSPENDED: 'suspended' });
  });

  it('snapshots a running VM with vmrun (crash-consistent), and refuses without it', async () => {
    const folder = tempDir();
    const vmx = writeVm(folder, 'RUNNING');
    const vmrun = recordingVmrun({ list: { stdout: `Total running VMs: 1\n${vmx}\n` } });
    const withVmrun = new WorkstationHost(host(folder), { vmrun, inventoryFile: null });
    const checkpoint = await withVmrun.createCheckpoint(vmx, { consistency: 'prefer', name: 'Lifeboat 1' });
    expect(checkpoint).toMatchObject({
      kind: 'crash-consistent',
      id: 'Lifeboat 1',
      disks: [{ key: 'nvme0:0', path: path.join(path.dirname(vmx), 'RUNNING.vmdk') }],
    });
    expect(vmrun.calls).toContainEqual(['snapshot', vmx, 'Lifeboat 1']);
    await withVmrun.releaseCheckpoint(checkpoint);
    expect(vmrun.calls).toContainEqual(['deleteSnapshot', vmx, 'Lifeboat 1']);
    const strict = await failure(withVmrun.createCheckpoint(vmx, { consistency: 'require', name: 'x' }));
    expect(strict.code).toBe('CHECKPOINT_FAILED');

    fs.mkdirSync(`${vmx}.lck`);
    const without = await failure(
      new WorkstationHost(host(folder), { vmrun: null, inventoryFile: null }).createCheckpoint(vmx, { consistency: 'prefer', name: 'x' }),
    );
    expect(without.code).toBe('MODULE_MISSING');
    expect(without.fix).toMatch(/power the VM off/);
  });

  it('writes an isolated VM with networking off, and only ever deletes VMs it created', async () => {
    const folder = tempDir();
    const production = writeVm(folder, 'PROD');
    const workstation = new WorkstationHost(host(folder), { vmrun: null, inventoryFile: null });
    const drill = await workstation.createIsolatedVm({
      name: 'PROD (drill)',
      cpus: 1,
      memoryMiB: 512,
      firmware: 'bios',
      disks: ['/restore/prod.vmdk'],
    });
    const entries = parseVmx(fs.readFileSync(drill.configPath!, 'utf8'));
    expect(entries.get('ethernet0.present')).toBe('FALSE');
    expect([...entries.keys()].filter((k) => k.startsWith('ethernet') && k !== 'ethernet0.present')).toEqual([]);
    expect(entries.get('scsi0:0.filename')).toBe('/restore/prod.vmdk');
    const listed = (await workstation.listVms()).find((vm) => vm.externalId === drill.vmId)!;
    expect(listed.nics).toEqual([]);

    expect((await failure(workstation.removeVm(production))).code).toBe('CONFLICT');
    expect(fs.existsSync(production)).toBe(true);
    await workstation.removeVm(drill.vmId);
    expect(fs.existsSync(path.dirname(drill.vmId))).toBe(false);
  });

  it('reports a missing folder with what to do', async () => {
    const error = await failure(new WorkstationHost(host('/nonexistent/lifeboat'), { vmrun: null, inventoryFile: null }).describe());
    expect(error.code).toBe('NOT_FOUND');
    expect(error.fix).toMatch(/\.vmx/);
  });
});

describe('hosts API with a Workstation folder', () => {
  it('adds, discovers, reports added/removed/changed as events, and lists VMs', async () => {
    const data = tempDir();
    const folder = tempDir();
    writeVm(folder, 'A');
    const b = writeVm(folder, 'B');
    const service = createService({ dataDir: data });
    const client = createLocalClient(service.api);
    const events: ConsoleEvent[] = [];
    service.subscribe((event) => events.push(event));
    try {
      const added = await client.addHost({ kind: 'workstation', folders: [folder], name: 'Desk', useInventory: false });
      expect(added).toMatchObject({ name: 'Desk', kind: 'workstation', status: 'ok', settings: { folders: [folder] } });
      const [first] = await client.discover({});
      expect(first).toMatchObject({ ok: true, total: 2, added: 2, removed: 0, changed: 0 });

      fs.rmSync(path.dirname(b), { recursive: true });
      writeVm(folder, 'C');
      const vmxA = path.join(folder, 'A', 'A.vmx');
      fs.writeFileSync(vmxA, fs.readFileSync(vmxA, 'utf8').replace('memsize = "2048"', 'memsize = "4096"'));
      const [second] = await client.discover({ hostId: added.id });
      expect(second).toMatchObject({ ok: true, total: 2, added: 1, removed: 1, changed: 1 });
      expect(events.filter((e) => e.type === 'inventory.changed')).toEqual([
        { type: 'inventory.changed', hostId: added.id, added: 2, removed: 0, changed: 0 },
        { type: 'inventory.changed', hostId: added.id, added: 1, removed: 1, changed: 1 },
      ]);
      const vms = await client.listVms({});
      expect(vms.map((vm) => [vm.name, vm.memoryMiB, vm.hostName, vm.protection])).toEqual([
        ['A', 4096, 'Desk', null],
        ['C', 2048, 'Desk', null],
      ]);
      expect((await client.listHosts())[0]!.vmCount).toBe(2);
      expect((await client.getStatus()).counts).toMatchObject({ hosts: 1, vms: 2 });

      await expect(client.addHost({ kind: 'workstation', folders: [folder], name: 'desk' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(client.addHost({ kind: 'workstation', folders: ['relative/path'] })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        field: 'folders.0',
      });

      // Replication and drills reach the same host through the connector.
      const db = openCatalog(data);
      try {
        const connected = new HostConnector(db, new SecretsStore(db, new KeyFileSecretBox(data))).connect(added.id);
        expect((await connected.listVms()).map((vm) => vm.name).sort()).toEqual(['A', 'C']);
        await connected.close();
      } finally {
        db.close();
      }

      await client.removeHost({ id: 'Desk' });
      expect(await client.listHosts()).toEqual([]);
      expect(await client.listVms({})).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('records why a host failed on the host, keeps its VMs, and goes on with the others', async () => {
    const data = tempDir();
    const folder = tempDir();
    writeVm(folder, 'A');
    const service = createService({ dataDir: data });
    const client = createLocalClient(service.api);
    try {
      await client.addHost({ kind: 'workstation', folders: [folder], name: 'Share', useInventory: false });
      const other = tempDir();
      writeVm(other, 'B');
      await client.addHost({ kind: 'workstation', folders: [other], name: 'Here', useInventory: false });
      await client.discover({});
      fs.rmSync(folder, { recursive: true, force: true }); // the share went offline
      const results = await client.discover({});
      expect(results.map((r) => [r.hostName, r.ok, r.total, r.removed])).toEqual([
        ['Here', true, 1, 0],
        ['Share', false, 0, 0],
      ]);
      expect(results[1]!.error).toMatchObject({ code: 'NOT_FOUND' });
      const share = (await client.listHosts()).find((h) => h.name === 'Share')!;
      expect(share).toMatchObject({ status: 'error', vmCount: 1 });
      expect(share.statusMessage).toContain(folder);
      expect((await client.listVms({})).map((vm) => vm.name)).toEqual(['A', 'B']);
    } finally {
      await service.close();
    }
  });
});
