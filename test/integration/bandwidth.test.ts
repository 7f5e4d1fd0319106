import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { writeWorkstationVm } from '../helpers/workstation-vm';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;

describe('bandwidth schedule', () => {
  it("holds a run's uploads to the limit of the window in force, within 10%", async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE };
    const cli = (...args: string[]) => runCli(['--data', dir, ...args], env);
    // A Workstation VM with 16 MiB of incompressible data.
    const vms = path.join(dir, 'vms');
    await writeWorkstationVm(vms, 'data01', 32 * MiB, 16 * MiB);
    expect(cli('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(cli('hosts', 'add', 'workstation', '--folder', vms, '--no-inventory').status).toBe(0);
    expect(cli('discover').status).toBe(0);
    const policy = JSON.parse(cli('protect', '--vm', 'data01', '--target', vault, '--rpo', '60m', '--name', 'Data', '--json').stdout) as {
      id: string;
    };

    // Today (all day) 4 MiB/s; the other days 1 MiB/s: the run must follow today's window.
    const today = new Date().getDay();
    const bandwidth = [
      { days: [today], from: '00:00', to: '23:59', bytesPerSecond: 4 * MiB },
      { days: [0, 1, 2, 3, 4, 5, 6].filter((d) => d !== today), from: '00:00', to: '23:59', bytesPerSecond: 1 * MiB },
    ];
    expect(cli('call', 'updatePolicy', JSON.stringify({ id: policy.id, bandwidth })).status).toBe(0);
    const run = cli('run', 'Data');
    expect(run.status, run.stderr).toBe(0);

    const job = (JSON.parse(cli('jobs', '--json').stdout) as { id: string; bytesStored: number }[])[0]!;
    expect(job.bytesStored).toBeGreaterThan(16 * MiB); // incompressible: everything was uploaded
    const log = (JSON.parse(cli('call', 'getJob', JSON.stringify({ id: job.id })).stdout) as { log: string }).log;
    const rate = Number(/uploaded at (\d+) bytes\/s/.exec(log)![1]);
    console.log(`bandwidth: limit ${4 * MiB} B/s, measured ${rate} B/s (${((rate / (4 * MiB)) * 100).toFixed(1)}%)`);
    expect(rate).toBeGreaterThan(4 * MiB * 0.9);
    expect(rate).toBeLessThan(4 * MiB * 1.1);
  });
});
