import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileResolver, openDisk } from '../../core/disks';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { vmFileName } from '../../core/drills/vm-file-name';
import { runFailback, runFailover, type FailoverDeps } from '../../core/failover/engine';
import { hypervRemoteSite } from '../../core/failover/host-site';
import { hypervProvider } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner, type Recording } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts, type ScriptName } from '../../core/hypervisors/hyperv/runner';
import type { HostConnection } from '../../core/hypervisors/types';
import type { VaultPort } from '../../core/replication/vault-port';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { FailoverStateStore } from '../../core/store/failovers';
import { JobsStore } from '../../core/store/jobs';
import { PlansStore } from '../../core/store/plans';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { VmsStore } from '../../core/store/vms';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;
const ok = (data: unknown) => ({ stdout: JSON.stringify({ ok: true, data }), stderr: '' });
const HEARTBEAT_SERVICE = '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47';

interface StandInVm {
  id: string;
  name: string;
  state: 'Running' | 'Off';
  disks: string[];
}

/**
 * A Hyper-V host that cannot run here, answering Lifeboat's scripts in the shapes they print (written by hand
 * from the cmdlet pages the scripts cite: New-VM, Start-VM/Stop-VM, Get-VMIntegrationService, Checkpoint-VM,
 * Remove-VM). It keeps the VMs created on it, so what the engine did can be checked; the disks themselves
 * are real VHDX files in a folder that stands for the host's administrative share.
 */
function standInHost(name: string, vms: StandInVm[]) {
  const vm = (params: Record<string, unknown>) => {
    const found = vms.find((v) => v.id === String(params.vmId).toLowerCase());
    if (!found) throw new Error(`${name}: no VM ${String(params.vmId)}`);
    return found;
  };
  const recordings: Partial<Record<ScriptName, Recording>> = {
    [scripts.host]: ok({
      name,
      product: 'Microsoft Windows Server 2022 Datacenter',
      version: '10.0.20348',
      virtualHardDiskPath: 'D:\\Hyper-V\\Virtual Hard Disks',
    }),
    [scripts.listVms]: () =>
      ok({
        host: name,
        vms: vms.map((v) => ({
          id: v.id,
          name: v.name,
          state: v.state,
          processorCount: 2,
          memoryStartupBytes: 2048 * MiB,
          generation: 2,
          version: '10.0',
          hardDrives: v.disks.map((disk, i) => ({
            controllerType: 'SCSI',
            controllerNumber: 0,
            controllerLocation: i,
            path: disk,
            format: 'VHDX',
            size: 4 * MiB,
          })),
          networkAdapters: [],
          integrationServices: [],
        })),
      }),
    [scripts.createVm]: (params) => {
      const created: StandInVm = {
        id: randomUUID(),
        name: String(params.name),
        state: 'Off',
        disks: (params.disks as string[]).map(String),
      };
      vms.push(created);
      return ok({ id: created.id, name: created.name, path: params.path });
    },
    [scripts.power]: (params) => {
      vm(params).state = params.action === 'start' ? 'Running' : 'Off';
      return ok({ state: vm(params).state });
    },
    [scripts.heartbeat]: (params) =>
      ok({
        state: vm(params).state,
        integrationServices: [
          {
            id: `Microsoft:${vm(params).id}\\${HEARTBEAT_SERVICE}`,
            name: 'Heartbeat',
            enabled: true,
            primaryStatus: 'Ok',
            statusDescription: 'OK',
          },
        ],
      }),
    [scripts.checkpoint]: (params) =>
      ok({
        id: randomUUID(),
        name: String(params.name),
        kind: 'crash-consistent',
        note: null,
        recovery: true,
        noChangeTracking: null,
        createdAt: new Date().toISOString(),
        disks: vm(params).disks.map((disk, i) => ({
          controllerType: 'SCSI',
          controllerNumber: 0,
          controllerLocation: i,
          path: disk,
          size: 4 * MiB,
        })),
      }),
    [scripts.removeCheckpoint]: ok({ removed: 1 }),
    [scripts.removeVm]: (params) => {
      vms.splice(vms.indexOf(vm(params)), 1);
      return ok({ removed: true, folderRemoved: true });
    },
  };
  return new ReplayPowerShellRunner(recordings);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}

async function bootSector(file: string): Promise<string> {
  const disk = await openDisk(file, fileResolver);
  try {
    return (await disk.read(0, 512)).toString('latin1');
  } finally {
    await disk.close();
  }
}

describe('failover to a remote Hyper-V host and failback from it (stand-in hosts, real VHDX over a stand-in admin share)', () => {
  it('copies the restored VHDX to the host, creates and starts the VM there; failback reads it back, writes the original, cleans up', async () => {
    const dir = tempDir();
    // \\HV02\D$\x\y.vhdx → <dir>/shares/HV02/D/x/y.vhdx
    const share = (host: string, hostPath: string) => path.join(dir, 'shares', host, hostPath[0]!, ...hostPath.slice(3).split('\\'));
    const original = 'D:\\Hyper-V\\FS01\\FS01.vhdx';
    fs.mkdirSync(path.dirname(share('HV01', original)), { recursive: true });
    run('qemu-img', ['create', '-q', '-f', 'vhdx', share('HV01', original), String(4 * MiB)]);

    const fs01: StandInVm = { id: randomUUID(), name: 'FS01', state: 'Running', disks: [original] };
    const hosts = { HV01: standInHost('HV01', [fs01]), HV02: standInHost('HV02', []) };
    const provider = hypervProvider({ runner: (host) => hosts[host.address as 'HV01' | 'HV02'], hostPath: share });
    const connection = (id: string): HostConnection => ({
      id,
      name: id.toUpperCase(),
      kind: 'hyperv',
      address: id.toUpperCase(),
      settings: {},
      credentials: null,
    });
    const connect = (id: string) => provider.connect(connection(id));

    const db = openCatalog(dir);
    db.prepare(
      "INSERT INTO hosts (id, name, kind, address, added_at) VALUES ('hv01', 'HV01', 'hyperv', 'HV01', '2026-01-01'), ('hv02', 'HV02', 'hyperv', 'HV02', '2026-01-01')",
    ).run();
    const vms = new VmsStore(db);
    vms.applyDiscovery('hv01', await connect('hv01').listVms(), new Date());
    const vm = vms.list().find((v) => v.name === 'FS01')!;
    expect(vm.disks[0]).toMatchObject({ path: original, format: 'vhdx' });
    const points = new RecoveryPointsStore(db);
    points.upsert({
      id: 'p1',
      vmId: vm.id,
      vmName: vm.name,
      targetId: 't',
      jobId: null,
      time: '2026-12-04T09:30:00.000Z',
      appConsistent: true,
      sizeBytes: 0,
      storedBytes: 0,
      details: {},
    });
    const plan = new PlansStore(db).create(
      {
        name: 'Files to HV02',
        groups: [
          {
            name: 'All',
            vms: [{ vmId: vm.id, checks: [{ kind: 'boot' }, { kind: 'heartbeat', timeoutSeconds: 60 }] }],
            then: { kind: 'none' },
          },
        ],
        points: { kind: 'latest' },
        networkMapping: [],
        drillNetwork: null,
        manualSteps: [],
        preScript: null,
        postScript: null,
        rpoTargetMinutes: 60,
        rtoTargetMinutes: 30,
        schedule: null,
        recoveryHostId: 'hv02',
      },
      new Date(),
    );
    // The vault is a stand-in; what is checked is what reaches the hosts. The failback copy reads the recovered
    // VM's disk through HV02's share: its boot sector is the one restored at failover.
    let copiedBootSector = '';
    const vault: VaultPort = {
      latest: async () => null,
      backup: async (input) => {
        copiedBootSector = (await input.disks[0]!.reader.read(0, 512)).toString('latin1');
        return { id: 'p2', time: new Date().toISOString(), sizeBytes: 0, storedBytes: 0, bytesRead: 512, uploadBytesPerSecond: 0 };
      },
      prune: async () => ['p1', 'p2'], // the points the vault still holds
      pointDisks: async () => [{ name: 'SCSI:0:0', size: 4 * MiB }],
      restoreDisk: async (pointId, _d, writer) =>
        writer.write(0, markerBootSector(pointId === 'p2' ? 'LIFEBOAT-BOOT-OK written while failed over' : 'LIFEBOAT-BOOT-OK FS01')),
      verifyPoint: async () => ({ ok: true, problem: null }),
      close: async () => undefined,
    };
    const site = hypervRemoteSite({
      hostId: 'hv02',
      hostName: 'HV02',
      connect: () => connect('hv02'),
      root: path.join(dir, 'failover'),
      pollSeconds: 0.05,
    });
    const states = new FailoverStateStore(db);
    const jobs = new JobsStore(db);
    const policy = {
      id: 'pol',
      name: 'Files',
      targetId: 't',
      consistency: 'crash',
      rpoMinutes: 60,
      retention: { keepLast: 10, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    } as never;
    const deps: FailoverDeps = {
      drills: new DrillsStore(db),
      jobs,
      points,
      states,
      clock: { now: () => new Date() },
      vm: (id) => vms.get(id),
      policyOf: () => policy,
      openVault: async () => vault,
      connect,
      localDisks: () => false,
      replicaFor: () => null,
      stopCopies: async () => [],
      evidenceDir: path.join(dir, 'evidence'),
      workRoot: path.join(dir, 'failover'),
      pollSeconds: 0.05,
    };
    for (const id of ['f1', 'b1'])
      jobs.insert(
        { id, kind: 'failover', title: id, trigger: 'manual', vmId: null, policyId: null, hostId: null, targetId: null },
        new Date(),
      );
    const context = (jobId: string) => ({ jobId, signal: new AbortController().signal, log: () => undefined, progress: () => undefined });

    const failover = await runFailover(
      plan,
      'unplanned',
      site,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 0 },
      context('f1'),
      deps,
    );
    expect(failover, JSON.stringify(new DrillsStore(db).steps('f1'), null, 1)).toMatchObject({ kind: 'unplanned', status: 'passed' });
    const staged = `D:\\Hyper-V\\Virtual Hard Disks\\Lifeboat\\${vmFileName(vm.id, vm.name)}`;
    const recovered = (await connect('hv02').listVms()).find((v) => v.name === 'FS01-recovered')!;
    expect(recovered).toMatchObject({ powerState: 'running' });
    expect(recovered.disks.map((d) => path.win32.dirname(d.path))).toEqual([staged]); // on HV02's own disk folder, by the VM's id
    expect(await bootSector(share('HV02', recovered.disks[0]!.path))).toContain('LIFEBOAT-BOOT-OK FS01');
    expect(fs.readFileSync(share('HV02', `${staged}\\lifeboat-owned.txt`), 'utf8')).toMatch(/^lifeboat-isolated-vm/);
    expect(fs.readdirSync(share('HV02', staged)).filter((f) => f.endsWith('.lifeboat-partial'))).toEqual([]);
    expect(fs01.state).toBe('Running'); // unplanned: the source is not touched
    const calls = hosts.HV02.calls.map((c) => c.script);
    expect(calls).toContain(scripts.createVm);
    expect(hosts.HV02.calls.find((c) => c.script === scripts.createVm)!.params).toMatchObject({
      disks: recovered.disks.map((d) => d.path),
    });

    const back = await runFailback(
      plan,
      states.get(plan.id)!,
      site,
      { operator: 'alice', notes: null, shutdownTimeoutSeconds: 0 },
      context('b1'),
      deps,
    );
    expect(back, JSON.stringify(new DrillsStore(db).steps('b1'), null, 1)).toMatchObject({ kind: 'failback', status: 'passed' });
    expect(copiedBootSector).toContain('LIFEBOAT-BOOT-OK FS01'); // read from HV02 through its share
    expect(await bootSector(share('HV01', original))).toContain('written while failed over'); // HV01's disk rewritten through its share
    expect(fs.readdirSync(path.dirname(share('HV01', original)))).toEqual(['FS01.vhdx']); // no temporary file left
    expect(fs01.state).toBe('Running');
    expect((await connect('hv02').listVms()).map((v) => v.name)).toEqual([]);
    expect(fs.existsSync(share('HV02', staged))).toBe(false);
    expect(states.get(plan.id)).toBeUndefined();
    db.close();
  });

  it('leaves a folder on the host alone when it does not carry the Lifeboat marker', async () => {
    const dir = tempDir();
    const share = (host: string, hostPath: string) => path.join(dir, 'shares', host, hostPath[0]!, ...hostPath.slice(3).split('\\'));
    const provider = hypervProvider({ runner: () => standInHost('HV02', []), hostPath: share });
    const connect = () => provider.connect({ id: 'hv02', name: 'HV02', kind: 'hyperv', address: 'HV02', settings: {}, credentials: null });
    const key = vmFileName('vm-1', 'FS01');
    const folder = share('HV02', `D:\\Hyper-V\\Virtual Hard Disks\\Lifeboat\\${key}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'someone-elses.vhdx'), 'keep me');
    await expect(connect().hostFiles!.deleteOwnedFolder(`D:\\Hyper-V\\Virtual Hard Disks\\Lifeboat\\${key}`)).resolves.toBe('not-lifeboat');
    expect(fs.readFileSync(path.join(folder, 'someone-elses.vhdx'), 'utf8')).toBe('keep me');
  });
});
