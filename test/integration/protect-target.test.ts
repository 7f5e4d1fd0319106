import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

// A policy whose vault the engine could never open used to be accepted, and then failed in every job.
describe('lifeboat protect --target with a new location', () => {
  it('refuses without a passphrase it can prove, creates and seals with one, and refuses a different one', () => {
    const dir = tempDir();
    const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runCli(['--data', dir, ...args], env);
    expect(cli({}, 'lab', 'create').status).toBe(0);
    const vault = path.join(dir, 'offsite');

    const refused = cli({}, 'protect', '--vm', 'lab-dc01', '--target', vault, '--name', 'Offsite', '--rpo', '60');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/No vault passphrase is stored on this machine, so copies to .*offsite could never open the vault/);
    expect(refused.stderr).toMatch(/fix: Give the vault passphrase \(LIFEBOAT_PASSPHRASE or --passphrase-file/);
    expect(JSON.parse(cli({}, 'call', 'listPolicies').stdout)).toEqual([]);

    const passFile = path.join(dir, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`);
    const accepted = cli(
      {},
      'protect',
      '--vm',
      'lab-dc01',
      '--target',
      vault,
      '--name',
      'Offsite',
      '--rpo',
      '60',
      '--passphrase-file',
      passFile,
    );
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(fs.readdirSync(vault)).toContain('config'); // the vault exists, opened by that passphrase
    const run = cli({}, 'run', 'Offsite');
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/Copy lab-dc01: succeeded/);

    const other = cli(
      { LIFEBOAT_PASSPHRASE: 'Another-Passphrase-77-Lantern' },
      'protect',
      '--vm',
      'lab-web01',
      '--target',
      path.join(dir, 'third'),
      '--name',
      'Third',
      '--rpo',
      '60',
    );
    expect(other.status).toBe(3);
    expect(other.stderr).toMatch(/not the vault passphrase stored on this machine/);
  });
});
