import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

describe('catalog rebuild from the vault alone', () => {
  it('reproduces the recovery points exactly on a new console, and the policy once the VMs are back', () => {
    const old = tempDir();
    const vault = path.join(tempDir(), 'vault');
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE };
    const before = (...args: string[]) => runCli(['--data', old, ...args], env);
    expect(before('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(before('lab', 'create').status).toBe(0);
    expect(before('protect', '--vm', 'lab-dc01', '--vm', 'lab-web01', '--target', vault, '--rpo', '30m', '--name', 'Lab').status).toBe(0);
    expect(before('run', 'Lab').status).toBe(0);
    expect(before('run', 'lab-web01').status).toBe(0);
    const points = (vm: string, data: string) =>
      JSON.parse(runCli(['--data', data, 'points', vm, '--json'], env).stdout) as {
        id: string;
        time: string;
        vm: string;
        sizeBytes: number;
        storedBytes: number;
        appConsistent: boolean;
      }[];
    const original = [...points('lab-dc01', old), ...points('lab-web01', old)];
    expect(original).toHaveLength(3);

    // The console machine is lost: a new data folder, the same vault, and the lab added again.
    const fresh = tempDir();
    const after = (...args: string[]) => runCli(['--data', fresh, ...args], env);
    expect(after('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(after('lab', 'create', '--dir', path.join(old, 'sample-lab')).status).toBe(0);
    const rebuilt = after('catalog', 'rebuild', vault, '--json');
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ points: 3, policiesRestored: ['Lab'], waitingForVms: [] });

    const restored = [...points('lab-dc01', fresh), ...points('lab-web01', fresh)];
    const comparable = (list: typeof original) =>
      list
        .map(({ id, time, vm, sizeBytes, storedBytes, appConsistent }) => ({ id, time, vm, sizeBytes, storedBytes, appConsistent }))
        .sort((a, b) => a.id.localeCompare(b.id));
    expect(comparable(restored)).toEqual(comparable(original));
    const rpo = JSON.parse(after('rpo', '--json').stdout) as { vm: string; policy: string; rpoMinutes: number }[];
    expect(rpo.map((r) => `${r.vm}:${r.policy}:${r.rpoMinutes}`).sort()).toEqual(['lab-dc01:Lab:30', 'lab-web01:Lab:30']);
  });
});
