import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { runCli } from '../helpers/cli';
import { drillGuestWorkstationVm } from '../helpers/drill-guest';
import { qemuProcesses } from '../helpers/engine';
import { qemuImg } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const NAMES = ['Склад', 'Бухгалтерия', '財務', 'a,b', "x'$(y)"];
const qemu = findQemu();

/** Workstation's vmrun cannot run here: this one keeps Workstation's sign of a running VM (the .lck folder). */
function fakeVmrun(dir: string): string {
  const file = path.join(dir, 'vmrun');
  fs.writeFileSync(
    file,
    `#!/bin/sh\n[ "$1" = "-T" ] && shift 2\ncase "$1" in\n  list) exit 1 ;;\n  start) mkdir -p "$2.lck" ;;\n  stop) rm -rf "$2.lck" ;;\nesac\nexit 0\n`,
    { mode: 0o755 },
  );
  return file;
}

/** Every file below a folder with its size, as a sorted list: what "nothing else was touched" is checked against. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(`${path.relative(root, full)} ${fs.statSync(full).size}`);
    }
  };
  walk(root);
  return out.sort();
}

// Names of any script and shape, end to end: VMs that an ASCII-only file name would all call "_" (and one whose
// name is a QEMU option separator or shell syntax) get their own folders, evidence and disks back.
describe.skipIf(!qemu)('VM names in any script', () => {
  it('drill, planned failover to the QEMU standby and failback keep each VM apart and bring each its own disk back', () => {
    const dir = tempDir('lifeboat names, with spaces,and commas-');
    const vms = path.join(dir, 'vms');
    const env = { LIFEBOAT_PASSPHRASE: PASSPHRASE, LIFEBOAT_VMRUN: fakeVmrun(dir) };
    const cli = (...args: string[]) => runCli(['--data', path.join(dir, 'data'), ...args], env);
    const disks = new Map<string, string>();
    NAMES.forEach((name, i) => {
      const { disk } = drillGuestWorkstationVm(path.join(vms, `vm${i}`), name);
      // Each disk boots to its own marker and holds its own data, so a mix-up shows in qemu-img compare.
      const raw = Buffer.alloc(4 << 20);
      markerBootSector(`LIFEBOAT-BOOT-OK vm${i}`).copy(raw);
      raw.fill(0x10 + i, 1 << 20, (1 << 20) + (64 << 10));
      fs.writeFileSync(`${disk}.raw`, raw);
      fs.rmSync(disk);
      qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', `${disk}.raw`, disk);
      fs.renameSync(`${disk}.raw`, path.join(dir, `reference-${i}.raw`));
      disks.set(name, disk);
    });
    const vault = path.join(dir, 'vault');
    for (const args of [
      ['setup', '--organisation', 'Acme', '--vault-folder', vault],
      ['hosts', 'add', 'workstation', '--folder', vms],
      ['discover'],
      ['protect', ...NAMES.flatMap((n) => ['--vm', n]), '--target', vault, '--rpo', '15m', '--name', 'Names'],
      ['run', 'Names'],
      ['plan', 'create', 'Everyone', ...NAMES.flatMap((n) => ['--vm', n])],
    ]) {
      const run = cli(...args);
      expect(run.status, `${args.join(' ')}: ${run.stderr}${run.stdout}`).toBe(0);
    }
    const sentinel = path.join(dir, 'data', 'failover', 'keep-me.txt');
    fs.mkdirSync(path.dirname(sentinel), { recursive: true });
    fs.writeFileSync(sentinel, 'not Lifeboat’s to delete');
    const vmsBefore = listing(vms);

    const drill = cli('drill', 'run', 'Everyone', '--json');
    expect(drill.status, drill.stderr + drill.stdout).toBe(0);
    const drilled = JSON.parse(drill.stdout) as {
      vms: { name: string; status: string; screenshot: string; checks: { evidence: { text: string }[] }[] }[];
    };
    expect(drilled.vms.map((v) => `${v.name}:${v.status}`).sort()).toEqual(NAMES.map((n) => `${n}:passed`).sort());
    // Five screenshots, five files; each VM's boot line is its own.
    expect(new Set(drilled.vms.map((v) => v.screenshot)).size).toBe(NAMES.length);
    for (const vm of drilled.vms) {
      expect(fs.existsSync(vm.screenshot)).toBe(true);
      expect(vm.checks[0]!.evidence[0]!.text).toBe(`LIFEBOAT-BOOT-OK vm${NAMES.indexOf(vm.name)}`);
    }

    const failover = cli('failover', 'Everyone', '--yes', '--json', '--shutdown-timeout', '1');
    const steps = (id: string) =>
      (
        JSON.parse(cli('call', 'getDrill', JSON.stringify({ id })).stdout) as {
          steps: { vm: string | null; name: string; status: string; detail: string | null }[];
        }
      ).steps
        .filter((s) => s.status !== 'passed')
        .map((s) => `${s.vm}: ${s.name}: ${s.detail}`);
    expect(failover.status, steps((JSON.parse(failover.stdout) as { id: string }).id).join('\n')).toBe(0);
    const standbyRoot = path.join(
      dir,
      'data',
      'failover',
      fs.readdirSync(path.join(dir, 'data', 'failover')).find((n) => n !== 'keep-me.txt')!,
    );
    const folders = fs.readdirSync(standbyRoot);
    expect(folders).toHaveLength(NAMES.length); // one folder each, none shared
    for (const folder of folders) {
      const serial = fs.readFileSync(path.join(standbyRoot, folder, 'serial.log'), 'latin1');
      const index = Number(/LIFEBOAT-BOOT-OK vm(\d)/.exec(serial)![1]);
      expect(folder.endsWith(`-${NAMES[index]!.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/_+$/, '')}`)).toBe(true);
    }
    expect(qemuProcesses('lifeboat-recovered', dir)).toHaveLength(NAMES.length);

    const back = cli('failback', 'Everyone', '--yes', '--json', '--shutdown-timeout', '1');
    expect(back.status, back.stderr + back.stdout).toBe(0);
    expect(qemuProcesses('lifeboat-recovered', dir)).toEqual([]);
    NAMES.forEach((name, i) => {
      const compare = spawnSync(
        'qemu-img',
        ['compare', '-f', 'raw', '-F', 'vmdk', path.join(dir, `reference-${i}.raw`), disks.get(name)!],
        { encoding: 'utf8' },
      );
      expect(compare.status, `${name}: ${compare.stdout}${compare.stderr}`).toBe(0);
    });
    // Nothing outside the plan's own folders went: the sentinel stays, every VM file is still there (the
    // .lck folders of running VMs are Workstation's own sign and hold no files).
    expect(fs.readFileSync(sentinel, 'utf8')).toBe('not Lifeboat’s to delete');
    expect(listing(vms)).toEqual(vmsBefore);
  }, 300_000);
});
