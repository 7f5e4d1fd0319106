import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scripts } from '../../core/hypervisors/hyperv/runner';
import { runCli } from '../helpers/cli';
import { repoRoot, tempDir } from '../helpers/temp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'hyperv');

/** A folder of saved outputs, as a host added with `--replay DIR` answers from (ReplayPowerShellRunner.fromFolder). */
function recordedHost(inventory: string, stderr?: string): string {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, `${scripts.host}.json`),
    '{"ok":true,"data":{"name":"HV01","product":"Microsoft Windows Server 2022 Datacenter","version":"10.0.20348"}}',
  );
  fs.copyFileSync(path.join(FIXTURES, inventory), path.join(dir, `${scripts.listVms}.json`));
  if (stderr) fs.copyFileSync(path.join(FIXTURES, stderr), path.join(dir, `${scripts.listVms}.stderr.txt`));
  return dir;
}

describe('lifeboat hosts add hyperv + discover (recorded host output replayed)', () => {
  it('adds a remote host with credentials and lists its VMs', () => {
    const data = tempDir();
    const env = { LIFEBOAT_HOST_PASSWORD: 'Winter2026!' };
    const replay = recordedHost('ps51-inventory.json');
    const add = runCli(
      ['--data', data, 'hosts', 'add', 'hyperv', '--address', 'HV01', '--username', 'CORP\\lifeboat', '--replay', replay],
      env,
    );
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added HV01 (hyperv: Hyper-V on Microsoft Windows Server 2022 Datacenter 10.0.20348)');
    const discovered = runCli(['--data', data, 'discover', '--json'], env);
    expect(discovered.status, discovered.stderr).toBe(0);
    const vms = JSON.parse(discovered.stdout) as { name: string; host: string; powerState: string; disks: unknown[] }[];
    expect(vms.map((vm) => [vm.name, vm.host, vm.powerState, vm.disks.length])).toEqual([
      ["Bob's SQL & Reports", 'HV01', 'running', 3],
      ['Büro-Drucker', 'HV01', 'off', 1],
      ['DC01', 'HV01', 'running', 1],
      ['FILES01', 'HV01', 'suspended', 2],
    ]);
  });

  it('reports a host without the Hyper-V module as a failed discovery with the fix', () => {
    const data = tempDir();
    const replay = recordedHost('ps7-inventory-empty.json');
    const add = runCli(['--data', data, 'hosts', 'add', 'hyperv', '--replay', replay]);
    expect(add.status, add.stderr).toBe(0);
    // The host has since lost its Hyper-V module: the folder's files are read when a call asks for them.
    fs.writeFileSync(path.join(replay, `${scripts.listVms}.json`), '');
    fs.copyFileSync(path.join(FIXTURES, 'ps51-stderr-module-missing.txt'), path.join(replay, `${scripts.listVms}.stderr.txt`));
    const discovered = runCli(['--data', data, 'discover']);
    expect(discovered.status).toBe(1);
    expect(discovered.stderr).toMatch(/error: The Hyper-V PowerShell module is not installed on This computer\.\n {2}fix: Install it/);
    const hosts = JSON.parse(runCli(['--data', data, 'hosts', 'list', '--json']).stdout) as { status: string; statusMessage: string }[];
    expect(hosts[0]).toMatchObject({ status: 'error' });
    expect(hosts[0]!.statusMessage).toMatch(/not installed/);
  });

  it('keeps the replay folder as a setting of the host, and needs no environment variable', () => {
    const data = tempDir();
    const replay = recordedHost('ps51-inventory.json');
    expect(runCli(['--data', data, 'hosts', 'add', 'hyperv', '--name', 'Customer HV', '--replay', replay]).status).toBe(0);
    const hosts = JSON.parse(runCli(['--data', data, 'hosts', 'list', '--json']).stdout) as { settings: { replayFolder?: string } }[];
    expect(hosts[0]!.settings.replayFolder).toBe(replay);
    const discovered = runCli(['--data', data, 'discover', '--json']);
    expect(discovered.status, discovered.stderr).toBe(0);
    expect((JSON.parse(discovered.stdout) as unknown[]).length).toBe(4);
  });

  it('refuses a relative replay folder through the API, naming the field', () => {
    const data = tempDir();
    const called = runCli(['--data', data, 'call', 'addHost', JSON.stringify({ kind: 'hyperv', replayFolder: 'fixtures' })]);
    expect(called.status).toBe(2);
    expect(called.stderr).toContain('replayFolder');
  });
});
