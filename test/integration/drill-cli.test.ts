import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { runCli } from '../helpers/cli';
import { qemuProcesses } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

/** Every file under a folder, newest first. */
function filesByAge(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(root);
  return out.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
}

describe('lifeboat drill run on the sample lab', () => {
  it('restores, boots in plan order, checks, screenshots and cleans up; a corrupted point fails its VM only', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE };
    const cli = (...args: string[]) => runCli(['--data', dir, ...args], env);
    expect(cli('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(cli('lab', 'create').status).toBe(0);
    expect(cli('protect', '--vm', 'lab-dc01', '--vm', 'lab-files01', '--target', vault, '--rpo', '15m', '--name', 'Servers').status).toBe(
      0,
    );
    const run = cli('run', 'Servers');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /Copy lab-dc01: succeeded[\s\S]*Copy lab-files01: succeeded|Copy lab-files01: succeeded[\s\S]*Copy lab-dc01: succeeded/,
    );
    expect(cli('plan', 'create', 'Office', '--group', 'lab-dc01', '--group', 'lab-files01', '--rto', '30').status).toBe(0);

    const drill = cli('drill', 'run', 'Office', '--json');
    expect(drill.status, drill.stderr + drill.stdout).toBe(0);
    const result = JSON.parse(drill.stdout) as {
      id: string;
      status: string;
      rpoSeconds: number;
      rtoSeconds: number;
      vms: { name: string; status: string; checks: { name: string; status: string }[]; screenshot: string }[];
    };
    expect(result).toMatchObject({ status: 'passed', cleanupConfirmed: true });
    expect(result.rpoSeconds).toBeGreaterThanOrEqual(0);
    expect(result.rtoSeconds).toBeGreaterThan(0);
    expect(result.vms.map((vm) => `${vm.name}:${vm.status}`)).toEqual(['lab-dc01:passed', 'lab-files01:passed']);
    for (const vm of result.vms) {
      expect(vm.checks.map((c) => `${c.name}:${c.status}`)).toEqual(['Boot:passed', 'Vault data verification:passed']);
      expect(fs.readFileSync(vm.screenshot).subarray(1, 4).toString()).toBe('PNG');
    }
    const db = openCatalog(dir);
    const started = new DrillsStore(db)
      .steps(result.id)
      .filter((s) => s.name === 'Start in isolation')
      .map((s) => s.vm);
    db.close();
    expect(started).toEqual(['lab-dc01', 'lab-files01']); // group order
    expect(fs.readdirSync(path.join(dir, 'drills'))).toEqual([]);
    expect(qemuProcesses('lifeboat-drill')).toEqual([]);

    // lab-web01 gets its own copy (its blocks are its own, so its pack holds nothing of the others), then the pack is damaged.
    expect(cli('protect', '--vm', 'lab-web01', '--target', vault, '--rpo', '15m', '--name', 'Web').status).toBe(0);
    expect(cli('run', 'Web').status).toBe(0);
    const newestPack = filesByAge(path.join(vault, 'packs'))[0]!;
    const bytes = fs.readFileSync(newestPack);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    fs.writeFileSync(newestPack, bytes);
    expect(cli('plan', 'create', 'Everything', '--vm', 'lab-dc01', '--vm', 'lab-web01').status).toBe(0);

    const broken = cli('drill', 'run', 'Everything', '--json');
    expect(broken.status).toBe(1);
    const failed = JSON.parse(broken.stdout) as {
      status: string;
      cleanupConfirmed: boolean;
      vms: { name: string; status: string; failure: string | null }[];
    };
    expect(failed.status).toBe('failed');
    expect(failed.cleanupConfirmed).toBe(true);
    const byName = new Map(failed.vms.map((vm) => [vm.name, vm]));
    expect(byName.get('lab-dc01')!.status).toBe('passed');
    expect(byName.get('lab-web01')).toMatchObject({ status: 'failed' });
    expect(byName.get('lab-web01')!.failure).toMatch(/damaged|decrypt|checksum|integrity/i);
    expect(fs.readdirSync(path.join(dir, 'drills'))).toEqual([]);
    expect(qemuProcesses('lifeboat-drill')).toEqual([]);
  });
});
