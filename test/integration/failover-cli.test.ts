import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectQmp, standbyControlSocket } from '../../core/failover/qemu-standby';
import { openDisk } from '../../core/disks';
import { fileResolver } from '../../core/disks/file-source';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { FailoverStateStore } from '../../core/store/failovers';
import { PlansStore } from '../../core/store/plans';
import { runCli } from '../helpers/cli';
import { qemuProcesses } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const MiB = 1024 * 1024;

/**
 * VMware Workstation cannot run here, so its `vmrun` is a script that keeps Workstation's own sign of a
 * running VM (the `<vm>.vmx.lck` folder) and logs each call; everything else — discovery, copies, the
 * vault, restores, QEMU — is the real thing.
 */
function fakeVmrun(dir: string): { file: string; log: string } {
  const file = path.join(dir, 'vmrun');
  const log = path.join(dir, 'vmrun.log');
  fs.writeFileSync(
    file,
    `#!/bin/sh
[ "$1" = "-T" ] && shift 2
echo "$*" >> '${log}'
case "$1" in
  list) exit 1 ;;
  start) mkdir -p "$2.lck" ;;
  stop) rm -rf "$2.lck" ;;
esac
exit 0
`,
    { mode: 0o755 },
  );
  return { file, log };
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const reader = await openDisk(file, fileResolver);
  try {
    return await reader.read(offset, length);
  } finally {
    await reader.close();
  }
}

describe('lifeboat failover and failback on the sample lab', () => {
  it('planned failover keeps every change, runs the VMs at the standby; failback brings changes home; unplanned leaves sources alone', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    const vmrun = fakeVmrun(dir);
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE, LIFEBOAT_VMRUN: vmrun.file };
    const cli = (...args: string[]) => runCli(['--data', dir, ...args], env);
    expect(cli('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(cli('lab', 'create').status).toBe(0);
    expect(cli('protect', '--vm', 'lab-dc01', '--vm', 'lab-files01', '--target', vault, '--rpo', '15m', '--name', 'Servers').status).toBe(
      0,
    );
    expect(cli('run', 'Servers').status).toBe(0);
    expect(cli('plan', 'create', 'Office', '--group', 'lab-dc01', '--group', 'lab-files01', '--map-network', 'nat=DR LAN').status).toBe(0);
    const lab = path.join(dir, 'sample-lab');
    const vmx = (vm: string) => path.join(lab, vm, `${vm}.vmx`);
    // The production VMs are running.
    for (const vm of ['lab-dc01', 'lab-files01']) fs.mkdirSync(`${vmx(vm)}.lck`);
    let db = openCatalog(dir);
    const planId = new PlansStore(db).findByName('Office')!.id;
    const before = (db.prepare('SELECT MAX(time) AS t FROM recovery_points').get() as { t: string }).t;
    db.close();

    // Disruptive: off a terminal it needs --yes.
    const unconfirmed = cli('failover', 'Office');
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);

    const planned = cli('failover', 'Office', '--yes', '--json', '--shutdown-timeout', '2');
    expect(planned.status, planned.stderr + planned.stdout).toBe(0);
    const result = JSON.parse(planned.stdout) as {
      id: string;
      status: string;
      mode: string;
      rpoSeconds: number;
      rtoSeconds: number;
      vms: { name: string; status: string; pointTime: string; host: string }[];
    };
    expect(result).toMatchObject({ status: 'passed', mode: 'planned', rpoSeconds: 0 });
    expect(result.rtoSeconds).toBeGreaterThan(0);
    expect(result.vms.map((v) => `${v.name}:${v.status}:${v.host}`)).toEqual([
      'lab-dc01:passed:this machine (QEMU standby)',
      'lab-files01:passed:this machine (QEMU standby)',
    ]);
    for (const vm of result.vms) expect(vm.pointTime > before).toBe(true); // the final copy, taken at the failover
    // Sources shut down (guest shutdown through vmrun), the last one first.
    expect(fs.existsSync(`${vmx('lab-dc01')}.lck`)).toBe(false);
    expect(fs.existsSync(`${vmx('lab-files01')}.lck`)).toBe(false);
    expect(fs.readFileSync(vmrun.log, 'utf8')).toMatch(new RegExp(`stop ${vmx('lab-files01')} soft[\\s\\S]*stop ${vmx('lab-dc01')} soft`));
    // Recovered VMs run on, booted, after the command has exited.
    // The standby folder is named by the VM's id, its name beside it.
    const standbyRoot = path.join(dir, 'failover', planId);
    const folders = new Map(
      fs.readdirSync(standbyRoot).map((name) => [name.slice(name.lastIndexOf('-lab-') + 1), path.join(standbyRoot, name)]),
    );
    expect([...folders.keys()].sort()).toEqual(['lab-dc01', 'lab-files01']);
    const standby = (vm: string) => folders.get(vm)!;
    for (const vm of ['lab-dc01', 'lab-files01']) {
      expect(qemuProcesses(`lifeboat-recovered-${vm}`, dir)).toHaveLength(1);
      expect(fs.readFileSync(path.join(standby(vm), 'serial.log'), 'latin1')).toContain(`LIFEBOAT-BOOT-OK ${vm}`);
    }
    db = openCatalog(dir);
    expect(new FailoverStateStore(db).get(planId)).toMatchObject({
      mode: 'planned',
      vms: [
        { vm: 'lab-dc01', networks: ['DR LAN'] },
        { vm: 'lab-files01', networks: ['DR LAN'] },
      ],
    });
    // Every step was timed and stored, in order: sources shut down last-first, then copied, restored and started in plan order.
    const steps = new DrillsStore(db).steps(result.id).map((s) => `${s.vm ?? '-'}: ${s.name}: ${s.status}`);
    expect(steps.slice(0, 4)).toEqual([
      'lab-files01: Shut down the source: passed',
      'lab-dc01: Shut down the source: passed',
      'lab-dc01: Copy the last changes into the vault: passed',
      'lab-files01: Copy the last changes into the vault: passed',
    ]);
    expect(steps).toContain('lab-files01: Start at this machine (QEMU standby): passed');
    expect(steps.indexOf('lab-dc01: Start at this machine (QEMU standby): passed')).toBeLessThan(
      steps.indexOf('lab-files01: Start at this machine (QEMU standby): passed'),
    );
    expect(db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'failover.finished'").get()).toEqual({ n: 1 });
    db.close();

    // Work goes on at the recovery site: the file server's data disk is written through the running VM.
    const qmp = await connectQmp(standbyControlSocket(standby('lab-files01'))!);
    await qmp.execute('human-monitor-command', { 'command-line': 'qemu-io disk1 "write -P 0x5a 8M 64k"' });
    qmp.close();

    // That work is protected while failed over: a copy reads the running recovered VMs (frozen at one instant
    // through QEMU overlays, merged back after), not the stopped sources. The VMs keep running throughout.
    const copied = cli('run', 'Servers');
    expect(copied.status, copied.stderr + copied.stdout).toBe(0);
    const listed = JSON.parse(cli('vault', 'list', vault, '--json').stdout) as {
      id: string;
      vm: string;
      time: string;
      disks: { name: string }[];
    }[];
    const latest = listed.filter((p) => p.vm === 'lab-files01').sort((a, b) => b.time.localeCompare(a.time))[0]!;
    expect(latest.time > result.vms[1]!.pointTime).toBe(true);
    const restored = path.join(dir, 'while-failed-over.raw');
    expect(cli('vault', 'restore-disk', vault, latest.id, latest.disks[1]!.name, restored).status).toBe(0);
    expect((await readAt(restored, 8 * MiB, 64 * 1024)).equals(Buffer.alloc(64 * 1024, 0x5a))).toBe(true);
    for (const vm of ['lab-dc01', 'lab-files01']) {
      expect(qemuProcesses(`lifeboat-recovered-${vm}`, dir)).toHaveLength(1);
      expect(fs.readdirSync(path.join(standby(vm), 'disks')).filter((name) => name.includes('overlay'))).toEqual([]);
    }

    const again = cli('call', 'startFailover', JSON.stringify({ planId, mode: 'unplanned', confirm: 'Office' }));
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already failed over[\s\S]*fix: Fail back first/);
    const wrongName = cli('call', 'startFailback', JSON.stringify({ planId, confirm: 'office servers' }));
    expect(wrongName.status).toBe(2);
    expect(wrongName.stderr).toMatch(/type the plan's name "Office"/);

    const back = cli('failback', 'Office', '--yes', '--json', '--shutdown-timeout', '1');
    expect(back.status, back.stderr + back.stdout).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({
      status: 'passed',
      mode: 'failback',
      vms: [
        { name: 'lab-dc01', status: 'passed' },
        { name: 'lab-files01', status: 'passed' },
      ],
    });
    // The change made while failed over is on the original VM's own disk; the originals run again.
    expect(
      (await readAt(path.join(lab, 'lab-files01', 'lab-files01-1.vmdk'), 8 * MiB, 64 * 1024)).equals(Buffer.alloc(64 * 1024, 0x5a)),
    ).toBe(true);
    expect((await readAt(path.join(lab, 'lab-dc01', 'lab-dc01.vmdk'), 510, 2)).toString('hex')).toBe('55aa');
    expect(fs.existsSync(`${vmx('lab-dc01')}.lck`)).toBe(true);
    expect(fs.existsSync(`${vmx('lab-files01')}.lck`)).toBe(true);
    expect(qemuProcesses('lifeboat-recovered', dir)).toEqual([]);
    expect(fs.existsSync(standby('lab-dc01'))).toBe(false);
    db = openCatalog(dir);
    expect(new FailoverStateStore(db).get(planId)).toBeUndefined();
    db.close();

    // Unplanned: the site is lost; the sources are never touched (no vmrun call at all).
    const calls = fs.readFileSync(vmrun.log, 'utf8');
    // (From the points of the first copies: as after ransomware, a time before the trouble is chosen.)
    const unplanned = cli('failover', 'Office', '--unplanned', '--at', before, '--yes', '--json');
    expect(unplanned.status, unplanned.stderr + unplanned.stdout).toBe(0);
    const chosen = JSON.parse(unplanned.stdout) as { status: string; mode: string; vms: { pointTime: string }[] };
    expect(chosen).toMatchObject({ status: 'passed', mode: 'unplanned' });
    for (const vm of chosen.vms) expect(vm.pointTime <= before).toBe(true);
    expect(fs.readFileSync(vmrun.log, 'utf8')).toBe(calls);
    expect(fs.existsSync(`${vmx('lab-dc01')}.lck`)).toBe(true);
    expect(qemuProcesses('lifeboat-recovered', dir)).toHaveLength(2);
    const home = cli('failback', 'Office', '--yes', '--shutdown-timeout', '0');
    expect(home.status, home.stderr + home.stdout).toBe(0);
    expect(qemuProcesses('lifeboat-recovered', dir)).toEqual([]);

    // A VM without a recovery point cannot fail over, and says why.
    expect(cli('plan', 'create', 'Web', '--vm', 'lab-web01').status).toBe(0);
    const noPoint = cli('failover', 'Web', '--unplanned', '--yes');
    expect(noPoint.status).toBe(1);
    expect(noPoint.stderr).toMatch(/lab-web01 has no recovery point[\s\S]*fix:/);
  });
});
