import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startEngine } from '../helpers/cli';
import { qemuProcesses } from '../helpers/engine';
import { repoRoot, tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

describe('a drill killed mid-way', () => {
  it('is marked interrupted at the next start, and its sandbox VM and restored disks are removed', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE };
    const cli = (...args: string[]) => runCli(['--data', dir, ...args], env);
    expect(cli('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(cli('lab', 'create').status).toBe(0);
    expect(cli('protect', '--vm', 'lab-dc01', '--vm', 'lab-web01', '--target', vault, '--rpo', '60m', '--name', 'Lab').status).toBe(0);
    expect(cli('run', 'Lab').status).toBe(0);
    expect(cli('plan', 'create', 'Office', '--group', 'lab-dc01', '--group', 'lab-web01').status).toBe(0);

    // Kill the engine as soon as the first VM runs in its sandbox.
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'lifeboat.js'), '--data', dir, 'drill', 'run', 'Office'], {
      env: { ...process.env, ...env },
    });
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Checking lab-dc01')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the drill ended (${code}) before it could be killed: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(qemuProcesses(dir)).toHaveLength(1); // its QEMU outlived it
    expect(fs.readdirSync(path.join(dir, 'drills'))).toHaveLength(1);

    const agent = await startEngine(['--data', dir, 'agent'], env);
    try {
      expect(qemuProcesses(dir)).toEqual([]);
      expect(fs.readdirSync(path.join(dir, 'drills'))).toEqual([]);
      const drills = JSON.parse(cli('drills', '--json').stdout) as { status: string }[];
      expect(drills.map((d) => d.status)).toEqual(['interrupted']);
      const job = (JSON.parse(cli('jobs', '--json').stdout) as { kind: string; status: string; id: string }[]).find(
        (j) => j.kind === 'drill',
      )!;
      expect(job.status).toBe('interrupted');
      const log = (JSON.parse(cli('call', 'getJob', JSON.stringify({ id: job.id })).stdout) as { log: string }).log;
      expect(log).toContain('Released the QEMU sandbox process');
      expect(log).toContain('Released the restored disks');
    } finally {
      await agent.stop();
    }
  });
});
