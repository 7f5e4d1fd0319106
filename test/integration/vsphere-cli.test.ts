import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VsphereHost } from '../../core/hypervisors/vsphere/provider';
import { CATALOG_FILE } from '../../core/store/database';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { startVcsim, VCSIM_PASSWORD, VCSIM_USER, vcsimConnection, type Vcsim } from '../helpers/vcsim';

let sim: Vcsim;
let tlsSim: Vcsim;
beforeAll(async () => {
  [sim, tlsSim] = await Promise.all([startVcsim(), startVcsim({ tls: true, vms: 1 })]);
});
afterAll(async () => {
  await Promise.all([sim?.stop(), tlsSim?.stop()]);
});

const env = { LIFEBOAT_HOST_PASSWORD: VCSIM_PASSWORD };

describe('lifeboat hosts add vsphere + discover, against the simulator', () => {
  it('adds the host, lists its VMs as JSON, and a second discover reports the new VM', async () => {
    const data = tempDir();
    const add = runCli(
      [
        '--data',
        data,
        'hosts',
        'add',
        'vsphere',
        '--address',
        `127.0.0.1:${sim.port}`,
        '--http',
        '--username',
        VCSIM_USER,
        '--name',
        'vcsim',
      ],
      env,
    );
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added vcsim (vsphere: VMware vCenter Server');

    const first = runCli(['--data', data, 'discover', '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/vcsim: 3 VMs \(3 added, 0 removed, 0 changed\)/);
    const vms = JSON.parse(first.stdout) as {
      name: string;
      host: string;
      powerState: string;
      disks: { path: string }[];
      nics: unknown[];
    }[];
    expect(vms).toHaveLength(3);
    for (const vm of vms) {
      expect(vm).toMatchObject({ host: 'vcsim', powerState: 'running' });
      expect(vm.disks[0]!.path).toMatch(/^\[LocalDS_0\] /);
      expect(vm.nics).toHaveLength(1);
    }

    const admin = new VsphereHost(vcsimConnection(sim, { id: 'x', name: 'x' }), { taskPollMs: 20 });
    await admin.createIsolatedVm({ name: 'new-vm', cpus: 1, memoryMiB: 256, firmware: 'bios', disks: [vms[0]!.disks[0]!.path] });
    await admin.close();
    const second = runCli(['--data', data, 'discover']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/vcsim: 4 VMs \(1 added, 0 removed, 0 changed\)/);
    expect(second.stdout).toMatch(/new-vm\tvcsim\toff/);

    // The password is sealed, never in the catalog as plain text.
    const catalog = fs.readFileSync(path.join(data, CATALOG_FILE));
    const wal = path.join(data, `${CATALOG_FILE}-wal`);
    for (const bytes of [catalog, fs.existsSync(wal) ? fs.readFileSync(wal) : Buffer.alloc(0)])
      expect(bytes.includes(Buffer.from(VCSIM_PASSWORD))).toBe(false);
  });

  it('does not add a host with a wrong password or an unreachable address', () => {
    const data = tempDir();
    const wrong = runCli(
      ['--data', data, 'hosts', 'add', 'vsphere', '--address', `127.0.0.1:${sim.port}`, '--http', '--username', VCSIM_USER],
      { LIFEBOAT_HOST_PASSWORD: 'nope' },
    );
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: 127\.0\.0\.1 refused the sign-in: wrong user name or password\.\n {2}fix: /);
    const unreachable = runCli(
      ['--data', data, 'hosts', 'add', 'vsphere', '--address', '127.0.0.1:1', '--http', '--username', VCSIM_USER],
      env,
    );
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach/);
    expect(JSON.parse(runCli(['--data', data, 'hosts', 'list', '--json']).stdout)).toEqual([]);
  });

  it('asks to confirm a self-signed certificate, then pins it', () => {
    const data = tempDir();
    const base = ['--data', data, 'hosts', 'add', 'vsphere', '--address', `127.0.0.1:${tlsSim.port}`, '--username', VCSIM_USER];
    const unconfirmed = runCli(base, env);
    expect(unconfirmed.status).toBe(1);
    expect(unconfirmed.stderr).toContain(`--thumbprint ${tlsSim.thumbprint}`);
    const certificate = runCli(['--data', data, 'hosts', 'certificate', `127.0.0.1:${tlsSim.port}`, '--json']);
    expect(JSON.parse(certificate.stdout)).toMatchObject({ sha256: tlsSim.thumbprint, selfSigned: true });

    const confirmed = runCli([...base, '--thumbprint', tlsSim.thumbprint.toUpperCase().match(/../g)!.join(':')], env);
    expect(confirmed.status, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toContain(`Pinned certificate SHA-256 ${tlsSim.thumbprint}`);
    const discovered = runCli(['--data', data, 'discover', '--json']);
    expect(discovered.status, discovered.stderr).toBe(0);
    expect(JSON.parse(discovered.stdout)).toHaveLength(1);
  });
});
