import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LifeboatError } from '../../core/contract/errors';
import { NodePowerShellRunner, powerShellExecutable } from '../../core/hypervisors/hyperv/node-runner';
import { adminSharePath } from '../../core/hypervisors/hyperv/host-files';
import { HypervHost } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner, type Recording } from '../../core/hypervisors/hyperv/replay-runner';
import { invocationText, scripts, type ScriptName } from '../../core/hypervisors/hyperv/runner';
import type { HostConnection } from '../../core/hypervisors/types';
import { repoRoot } from '../helpers/temp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'hyperv');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const stdout = (name: string): Recording => ({ stdout: fixture(name), stderr: '' });
const stderr = (name: string): Recording => ({ stdout: '', stderr: fixture(name) });

const LOCAL: HostConnection = { id: 'h', name: 'This computer', kind: 'hyperv', address: null, settings: {}, credentials: null };
const REMOTE: HostConnection = {
  ...LOCAL,
  name: 'HV02',
  address: 'HV02',
  credentials: { username: 'CORP\\lifeboat', password: "p@ss'word; Remove-VM *" },
};

function hostWith(recordings: Partial<Record<ScriptName, Recording | Recording[]>>, connection: HostConnection = LOCAL) {
  const runner = new ReplayPowerShellRunner(recordings);
  return { host: new HypervHost(connection, runner), runner };
}

async function failure(promise: Promise<unknown>): Promise<LifeboatError> {
  try {
    await promise;
  } catch (error) {
    return error as LifeboatError;
  }
  throw new Error('expected a failure');
}

describe('Hyper-V inventory from hand-written PowerShell output', () => {
  it('reads Windows PowerShell 5.1 output (BOM, \\u0027-escaped quotes, VHD and VHDX, pass-through, replication)', async () => {
    const { host } = hostWith({ [scripts.listVms]: stdout('ps51-inventory.json') });
    const vms = await host.listVms();
    expect(vms.map((vm) => vm.name)).toEqual(['DC01', "Bob's SQL & Reports", 'Büro-Drucker', 'FILES01']);
    const [dc, sql, printer, files] = vms;
    expect(dc).toMatchObject({
      externalId: '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11',
      powerState: 'running',
      cpus: 2,
      memoryMiB: 4096,
      firmware: 'uefi',
      generation: 2,
      guestOs: 'Windows Server 2022 Datacenter',
      heartbeat: 'ok',
      replication: { mode: 'Primary', state: 'Replicating', health: 'normal', partner: 'HV02.corp.local' },
      disks: [
        { key: 'SCSI:0:0', format: 'vhdx', capacityBytes: 127 * 1024 ** 3, path: 'D:\\Hyper-V\\DC01\\Virtual Hard Disks\\DC01.vhdx' },
      ],
      nics: [{ network: 'External vSwitch', mac: '00:15:5d:0a:1b:01', ips: ['10.0.0.10', 'fe80::5d8a:1c2b:9e4f:a1b2'], connected: true }],
    });
    expect(sql!.disks.map((d) => [d.key, d.format])).toEqual([
      ['SCSI:0:0', 'vhdx'],
      ['SCSI:0:1', 'vhdx'],
      ['SCSI:0:2', 'vhdx'],
    ]);
    expect(sql!.replication).toBeNull();
    expect(printer).toMatchObject({
      powerState: 'off',
      firmware: 'bios',
      heartbeat: 'no-contact',
      disks: [{ key: 'IDE:0:0', format: 'vhd' }],
    });
    expect(files).toMatchObject({ powerState: 'suspended', heartbeat: 'no-contact' });
    expect(files!.disks[1]).toMatchObject({ format: 'raw', capacityBytes: null, label: 'SCSI 0:1 (pass-through)' });
  });

  it('finds the heartbeat by its Id on German and French hosts (PowerShell 7)', async () => {
    const { host } = hostWith({ [scripts.listVms]: stdout('ps7-inventory-localized.json') });
    const vms = await host.listVms();
    expect(vms.map((vm) => [vm.name, vm.heartbeat])).toEqual([
      ['APP-DE', 'ok'],
      ['WEB-FR', 'lost'],
    ]);
  });

  it('reads an empty host, whether PowerShell wrote [] or null', async () => {
    for (const file of ['ps7-inventory-empty.json', 'ps51-inventory-null.json']) {
      const { host } = hostWith({ [scripts.listVms]: stdout(file) });
      expect(await host.listVms(), file).toEqual([]);
    }
  });

  it('accepts 5.1 shapes that slip through: enums as numbers, \\/Date()\\/, one object instead of an array', async () => {
    const { host } = hostWith({ [scripts.listVms]: stdout('ps51-inventory-legacy-shapes.json') });
    const [vm] = await host.listVms();
    expect(vm).toMatchObject({
      name: 'LEGACY01',
      powerState: 'running',
      heartbeat: 'ok',
      disks: [{ key: 'IDE:0:0', format: 'vhdx', capacityBytes: 40 * 1024 ** 3 }],
      nics: [{ ips: ['172.20.1.5'], network: 'Default Switch' }],
    });
  });

  it('reads 200 VMs through the same path', async () => {
    const template = JSON.parse(fixture('ps51-inventory.json').replace(/^\uFEFF/, '')) as { data: { vms: { id: string; name: string }[] } };
    const vms = Array.from({ length: 200 }, (_, i) => ({
      ...template.data.vms[i % 4]!,
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `VM-${String(i).padStart(3, '0')}`,
    }));
    const { host } = hostWith({
      [scripts.listVms]: { stdout: '\uFEFF' + JSON.stringify({ ok: true, data: { host: 'HV-BIG', vms } }), stderr: '' },
    });
    const listed = await host.listVms();
    expect(listed).toHaveLength(200);
    expect(new Set(listed.map((vm) => vm.externalId)).size).toBe(200);
    expect(listed[199]!.name).toBe('VM-199');
  });
});

describe('Hyper-V failures become typed errors with a fix', () => {
  const cases: [string, Recording, string, RegExp][] = [
    [
      'module missing (5.1, stderr)',
      stderr('ps51-stderr-module-missing.txt'),
      'MODULE_MISSING',
      /Install-WindowsFeature RSAT-Hyper-V-Tools/,
    ],
    [
      'module missing (7, ANSI stderr)',
      stderr('ps7-stderr-module-missing.txt'),
      'MODULE_MISSING',
      /Microsoft-Hyper-V-Management-PowerShell/,
    ],
    ['remote access denied', stdout('ps51-error-remote-access-denied.json'), 'ACCESS_DENIED', /Hyper-V Administrators/],
    ['no permission', stdout('ps51-error-permission.json'), 'ACCESS_DENIED', /Hyper-V Administrators/],
    ['WinRM unreachable', stdout('ps7-error-remote-unreachable.json'), 'HOST_UNREACHABLE', /Enable-PSRemoting/],
    ['malformed JSON', stdout('ps51-stdout-truncated.json'), 'PROVIDER_OUTPUT_INVALID', /support/],
    ['wrong shape', stdout('ps7-stdout-wrong-shape.json'), 'PROVIDER_OUTPUT_INVALID', /support/],
    ['nothing at all', { stdout: '', stderr: '' }, 'PROVIDER_OUTPUT_INVALID', /support/],
  ];
  for (const [label, recording, code, fix] of cases) {
    it(label, async () => {
      const { host } = hostWith({ [scripts.listVms]: recording }, REMOTE);
      const error = await failure(host.listVms());
      expect(error.code).toBe(code);
      expect(error.fix).toMatch(fix);
      // eslint-disable-next-line no-control-regex -- no ANSI colour code reaches the user
      expect(error.message).not.toMatch(/\x1b/);
    });
  }

  it('names the field a wrong shape is missing', async () => {
    const { host } = hostWith({ [scripts.listVms]: stdout('ps7-stdout-wrong-shape.json') });
    expect((await failure(host.listVms())).message).toContain('vms.0.id');
  });

  it('checkpoint failures and missing VMs', async () => {
    const { host } = hostWith({ [scripts.checkpoint]: [stdout('ps51-error-checkpoint-vss.json'), stdout('ps51-error-vm-not-found.json')] });
    const vss = await failure(host.createCheckpoint('3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11', { consistency: 'require', name: 'x' }));
    expect(vss.code).toBe('CHECKPOINT_FAILED');
    expect(vss.message).toContain('Production checkpoints cannot be created');
    expect(vss.fix).toMatch(/vssadmin list writers/);
    const missing = await failure(host.createCheckpoint('3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11', { consistency: 'prefer', name: 'x' }));
    expect(missing.code).toBe('VM_NOT_FOUND');
    expect(missing.fix).toMatch(/discovery/);
  });

  it('says PowerShell is missing on a machine without it', async () => {
    if (powerShellExecutable() !== null) return; // a machine with PowerShell runs it for real
    const runner = new NodePowerShellRunner();
    const error = await failure(runner.run(scripts.listVms, {}));
    expect(error.code).toBe('MODULE_MISSING');
    expect(error.fix).toMatch(/Windows/);
  });
});

describe('Hyper-V checkpoints and replica', () => {
  it('reports an application-consistent checkpoint with its frozen disks', async () => {
    const { host, runner } = hostWith({ [scripts.checkpoint]: stdout('ps51-checkpoint-app.json') });
    const checkpoint = await host.createCheckpoint('3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11', {
      consistency: 'prefer',
      name: 'Lifeboat 2026-11-25 10:00',
    });
    expect(checkpoint).toMatchObject({
      id: 'c0ffee00-1111-4222-8333-944455556666',
      kind: 'app-consistent',
      note: null,
      createdAt: '2026-11-25T09:00:03.512Z',
      disks: [{ key: 'SCSI:0:0', path: 'D:\\Hyper-V\\DC01\\Virtual Hard Disks\\DC01.vhdx', changeId: null }],
    });
    expect(runner.calls[0]!.params).toMatchObject({ vmId: '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11', consistency: 'prefer' });
    // An answer without `recovery` is a standard checkpoint: no reference point, so the next copy reads in full.
    expect(await host.changedAreas(checkpoint, 'SCSI:0:0', 'any')).toEqual({
      kind: 'full-read',
      reason: 'Hyper-V took a standard checkpoint, not a recovery checkpoint: the next copy reads the disks in full.',
    });
  });

  it('says when it fell back to crash-consistent, and why', async () => {
    const { host } = hostWith({ [scripts.checkpoint]: stdout('ps7-checkpoint-fallback.json') });
    const checkpoint = await host.createCheckpoint('5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b55', { consistency: 'prefer', name: 'x' });
    expect(checkpoint.kind).toBe('crash-consistent');
    expect(checkpoint.note).toMatch(/Production checkpoints cannot be created for 'Büro-Drucker'/);
  });

  it('measures replication and runs a test failover on the replica', async () => {
    const { host, runner } = hostWith({
      [scripts.measureReplication]: stdout('ps51-measure-replication.json'),
      [scripts.startTestFailover]: stdout('ps7-test-failover.json'),
      [scripts.stopTestFailover]: { stdout: '{"ok":true,"data":{"replicationState":"Replicating"}}', stderr: '' },
    });
    const stats = await host.measureReplication('3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11');
    expect(stats).toMatchObject({
      health: 'Warning',
      state: 'Replicating',
      lastReplicationTime: '2026-11-25T09:55:00.000Z',
      missedReplications: 3,
    });
    const test = await host.startTestFailover('3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11', { switchName: 'Lifeboat isolated' });
    expect(test).toMatchObject({ vmId: 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6', name: 'DC01 - Test' });
    await host.stopTestFailover('3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11');
    expect(runner.calls.map((c) => c.script)).toEqual([scripts.measureReplication, scripts.startTestFailover, scripts.stopTestFailover]);
    expect(runner.calls[1]!.params.switchName).toBe('Lifeboat isolated');
  });
});

describe('parameters reach PowerShell only as data', () => {
  const evil = "x'; Remove-VM *; '";

  it("a VM named `x'; Remove-VM *; '` never becomes script text", async () => {
    const { host, runner } = hostWith(
      {
        [scripts.createVm]: (params) => ({
          stdout: JSON.stringify({ ok: true, data: { id: 'D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6', name: params.name, path: null } }),
          stderr: '',
        }),
        [scripts.checkpoint]: stdout('ps51-checkpoint-app.json'),
      },
      REMOTE,
    );
    const created = await host.createIsolatedVm({
      name: evil,
      cpus: 1,
      memoryMiB: 512,
      firmware: 'uefi',
      disks: [`D:\\Restore\\${evil}.vhdx`],
      isolatedNetwork: "Lifeboat'isolated",
    });
    expect(created.name).toBe(evil);
    await host.createCheckpoint(evil, { consistency: 'prefer', name: evil });

    for (const call of runner.calls) {
      const match = /^& '([^']|'')*\\(?<script>[A-Za-z-]+\.ps1)' -ParamsBase64 '(?<b64>[A-Za-z0-9+/=]+)'$/.exec(call.command);
      expect(match, call.command).not.toBeNull();
      expect(call.command).not.toContain('Remove-VM');
      const decoded = JSON.parse(Buffer.from(match!.groups!.b64!, 'base64').toString('utf8')) as Record<string, unknown>;
      expect(decoded).toEqual(call.params);
    }
    const [create, checkpoint] = runner.calls;
    expect(create!.params).toMatchObject({
      name: evil,
      disks: [`D:\\Restore\\${evil}.vhdx`],
      switchName: "Lifeboat'isolated",
      generation: 2,
      computerName: 'HV02',
      username: 'CORP\\lifeboat',
    });
    expect(checkpoint!.params).toMatchObject({ vmId: evil, name: evil });
    // The password is not in the command at all, not even as base64: it travels apart, as the runner's secret.
    for (const call of runner.calls) {
      expect(call.params).not.toHaveProperty('password');
      expect(call.secrets).toEqual({ password: "p@ss'word; Remove-VM *" });
      expect(Buffer.from(/-ParamsBase64 '([^']+)'/.exec(call.command)![1]!, 'base64').toString('utf8')).not.toContain('p@ss');
    }
  });

  it('quotes the script path itself as a literal', () => {
    expect(invocationText("C:\\Users\\O'Brien\\Lifeboat\\x.ps1", { a: 1 })).toBe(
      `& 'C:\\Users\\O''Brien\\Lifeboat\\x.ps1' -ParamsBase64 '${Buffer.from('{"a":1}').toString('base64')}'`,
    );
  });

  it("reads a remote host's frozen disks through its administrative share", () => {
    expect(adminSharePath('HV02', 'D:\\Hyper-V\\DC01\\DC01.vhdx')).toBe('\\\\HV02\\D$\\Hyper-V\\DC01\\DC01.vhdx');
    expect(adminSharePath('HV02', '\\\\sofs01\\VMs\\FILES01.vhdx')).toBe('\\\\sofs01\\VMs\\FILES01.vhdx');
  });

  it('every script reads its parameters from -ParamsBase64 and prints one envelope', () => {
    const dir = path.join(repoRoot, 'resources', 'powershell');
    for (const script of Object.values(scripts)) {
      const text = fs.readFileSync(path.join(dir, script), 'utf8');
      expect(text, script).toMatch(/param\(\[Parameter\(Mandatory = \$true\)\]\[string\]\$ParamsBase64\)/);
      expect(text, script).toContain("Invoke-LifeboatScript $ParamsBase64 '");
      expect(text, script).not.toMatch(/Invoke-Expression|iex\s/i);
    }
  });
});
