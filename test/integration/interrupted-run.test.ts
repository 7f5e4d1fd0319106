import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskWriter } from '../../core/disks';
import { VsphereHost } from '../../core/hypervisors/vsphere/provider';
import { runCli, startEngine } from '../helpers/cli';
import { repoRoot, tempDir } from '../helpers/temp';
import { startVcsim, VCSIM_PASSWORD, VCSIM_USER, vcsimConnection, type Vcsim } from '../helpers/vcsim';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;
const ALL_DAY = [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59', bytesPerSecond: 16 * MiB }];

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim();
});
afterAll(async () => {
  await sim?.stop();
});

async function snapshotOf(vmName: string): Promise<unknown> {
  const host = new VsphereHost(vcsimConnection(sim, { id: 'x' }));
  try {
    const vm = (await host.listVms()).find((v) => v.name === vmName)!;
    return (await host.client.properties(await host.vmRef(vm.externalId), ['snapshot'])).get('snapshot');
  } finally {
    await host.close();
  }
}

describe('a replication run killed mid-copy', () => {
  it('leaves the job interrupted and its snapshot released at the next start; the next run completes reusing what was uploaded', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE, LIFEBOAT_HOST_PASSWORD: VCSIM_PASSWORD };
    const cli = (...args: string[]) => runCli(['--data', dir, ...args], env);
    expect(cli('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(
      cli(
        'hosts',
        'add',
        'vsphere',
        '--address',
        sim.host,
        '--port',
        String(sim.port),
        '--http',
        '--username',
        VCSIM_USER,
        '--name',
        'vcsim',
      ).status,
    ).toBe(0);
    expect(cli('discover').status).toBe(0);
    const vm = (JSON.parse(cli('discover', '--json').stdout) as { name: string }[])[0]!.name;
    // 100 MiB of incompressible data, uploaded at 16 MiB/s in 32 MiB packs: a copy of about seven seconds.
    const disk = path.join(sim.datastoreDir, vm, 'disk1.vmdk');
    fs.rmSync(disk, { force: true });
    const writer = await createDiskWriter('vmdk', disk, 128 * MiB);
    for (let at = 0; at < 100 * MiB; at += 25 * MiB) await writer.write(at, randomBytes(25 * MiB));
    await writer.close();
    const policy = JSON.parse(cli('protect', '--vm', vm, '--target', vault, '--rpo', '60m', '--name', 'Big', '--json').stdout) as {
      id: string;
    };
    expect(cli('call', 'updatePolicy', JSON.stringify({ id: policy.id, bandwidth: ALL_DAY })).status).toBe(0);

    // Kill the engine (this CLI process) once 70% is in the vault: the first two 32 MiB packs (uploaded side
    // by side) are in, and reading, which runs up to two packs ahead of the uploads, has read the whole disk.
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'lifeboat.js'), '--data', dir, 'run', 'Big'], {
      env: { ...process.env, ...env },
    });
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const percents = [...stderr.matchAll(/(?:Copying disks|Sending the last data to the vault) (\d+)%/g)].map((m) => Number(m[1]));
        if (percents.some((p) => p >= 70)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`run ended (${code}) before it could be killed: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await snapshotOf(vm)).toBeDefined(); // the killed run's snapshot is still on the VM

    // The next engine start: interrupted, released — before it says it is ready.
    const agent = await startEngine(['--data', dir, 'agent'], env);
    try {
      const jobs = JSON.parse(cli('jobs', '--json').stdout) as { id: string; status: string; error: string | null; bytesRead: number }[];
      expect(jobs[0]).toMatchObject({ status: 'interrupted', error: 'Lifeboat stopped while this copy was running.' });
      expect(jobs[0]!.bytesRead).toBeGreaterThan(50 * MiB); // how far it got, kept while it ran
      expect(await snapshotOf(vm)).toBeUndefined();
      const log = (JSON.parse(cli('call', 'getJob', JSON.stringify({ id: jobs[0]!.id })).stdout) as { log: string }).log;
      expect(log).toContain('Released the checkpoint');

      // The next run (sent to the agent) completes, storing less than the whole disk: the uploaded pack is reused.
      const rerun = cli('run', 'Big');
      expect(rerun.status, rerun.stderr).toBe(0);
      const done = JSON.parse(cli('jobs', '--json').stdout) as { id: string; status: string; bytesStored: number }[];
      expect(done[0]!.status).toBe('succeeded');
      console.log(`interrupted run: the rerun stored ${done[0]!.bytesStored} bytes of a 100 MiB disk`);
      expect(done[0]!.bytesStored).toBeLessThan(75 * MiB);
      expect(await snapshotOf(vm)).toBeUndefined();
    } finally {
      await agent.stop();
    }
    const verify = cli('vault', 'verify', vault, '--read-data');
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });
});
