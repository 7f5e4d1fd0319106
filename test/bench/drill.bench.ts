// A cold DR drill of real guests: `npm run bench -- drill`. Three VMware Workstation VMs of the drill guest
// (scripts/drill-guest: Debian kernel + busybox, HTTP on port 80) are copied into a folder vault, then a plan
// of two boot groups (1 VM, then 2 that start together) is drilled through the `lifeboat` command: restore
// from the vault, boot in QEMU (TCG on this machine), readiness line + TCP 80 checks, screenshots, cleanup.
// Prints every step and the total, against the machine's own floor measured in the same run: one bare QEMU
// boot of the same disk to its readiness line. Target (issue 16): the whole drill under 60 s on 2 cores.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Drill, DrillStep } from '../../core/contract/drills';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { DRILL_GUEST_READY, drillGuestRaw, drillGuestWorkstationVm } from '../helpers/drill-guest';

const TARGET_SECONDS = 60;
const PASSPHRASE = 'Bench-Harbour-93-Gravel-Lantern';
const root = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(root, 'bin', 'lifeboat.js');

function lifeboat(dir: string, ...args: string[]): string {
  const run = spawnSync(process.execPath, [BIN, '--data', dir, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LIFEBOAT_DATA: '', LIFEBOAT_PASSPHRASE: PASSPHRASE },
    timeout: 600_000,
  });
  if (run.status !== 0 && !(args[0] === 'drill')) throw new Error(`lifeboat ${args.join(' ')}: ${run.stderr}${run.stdout}`);
  return run.stdout;
}

/** The floor: QEMU alone, same disk, same machine type and accelerator, until the guest prints its line. */
function bareBootSeconds(qemu: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(qemu, [
      '-machine',
      'pc,accel=tcg',
      '-m',
      '256',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-nic',
      'none',
      '-drive',
      `file=${drillGuestRaw()},format=raw,if=ide,snapshot=on`,
      '-no-reboot',
    ]);
    let serial = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.on('data', (chunk: Buffer) => {
      serial += chunk.toString('latin1');
      if (serial.includes(DRILL_GUEST_READY)) {
        const seconds = (performance.now() - started) / 1000;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(seconds);
      }
    });
    child.once('exit', () => reject(new Error(`QEMU stopped before ${DRILL_GUEST_READY}: ${serial.slice(-500)}`)));
  });
}

async function main(): Promise<void> {
  const qemu = findQemu();
  if (!qemu) throw new Error('qemu-system-x86_64 is not installed: run bash scripts/setup.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-drill-bench-'));
  try {
    const folder = path.join(dir, 'vms');
    const names = ['web01', 'app01', 'app02'];
    for (const name of names) drillGuestWorkstationVm(path.join(folder, name), name);
    const vault = path.join(dir, 'vault');
    lifeboat(dir, 'setup', '--organisation', 'Bench', '--vault-folder', vault);
    lifeboat(dir, 'hosts', 'add', 'workstation', '--folder', folder);
    lifeboat(dir, 'discover');
    lifeboat(dir, 'protect', ...names.flatMap((n) => ['--vm', n]), '--target', vault, '--rpo', '15m', '--name', 'Bench');
    lifeboat(dir, 'run', 'Bench');
    const ids = new Map((JSON.parse(lifeboat(dir, 'call', 'listVms')) as { id: string; name: string }[]).map((vm) => [vm.name, vm.id]));
    const checks = [
      { kind: 'boot', readyText: DRILL_GUEST_READY },
      { kind: 'tcp', port: 80, timeoutSeconds: 120 },
    ];
    const plan = {
      name: 'Bench plan',
      groups: [
        { name: 'Front', vms: [{ vmId: ids.get('web01'), checks }] },
        {
          name: 'Apps',
          vms: [
            { vmId: ids.get('app01'), checks },
            { vmId: ids.get('app02'), checks },
          ],
        },
      ],
    };
    lifeboat(dir, 'call', 'createPlan', JSON.stringify(plan));

    const floor = await bareBootSeconds(qemu);
    const started = performance.now();
    const { id, status } = JSON.parse(lifeboat(dir, 'drill', 'run', plan.name, '--json')) as { id: string; status: string };
    const wall = (performance.now() - started) / 1000;
    const drill = JSON.parse(lifeboat(dir, 'call', 'getDrill', JSON.stringify({ id }))) as Drill & { steps: DrillStep[] };

    const t0 = Date.parse(drill.startedAt);
    console.log(
      `drill ${status} (${drill.vms.map((v) => `${v.vm} ${v.status}`).join(', ')}), cleanup ${drill.cleanupConfirmed ? 'confirmed' : 'NOT confirmed'}`,
    );
    console.log('  start   secs  step');
    for (const s of drill.steps) {
      const from = (Date.parse(s.startedAt) - t0) / 1000;
      const secs = s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : NaN;
      console.log(`${from.toFixed(1).padStart(7)} ${secs.toFixed(1).padStart(6)}  ${s.vm ? `${s.vm}: ` : ''}${s.name} — ${s.status}`);
    }
    const total = (Date.parse(drill.finishedAt!) - t0) / 1000;
    console.log(
      `\ntotal ${total.toFixed(1)} s in the engine (${wall.toFixed(1)} s with the command's start), RTO ${drill.rtoSeconds ?? '—'} s`,
    );
    console.log(
      `floor: one bare QEMU boot of the same disk to ${DRILL_GUEST_READY}: ${floor.toFixed(1)} s; drill / floor = ${(total / floor).toFixed(2)}x`,
    );
    console.log(
      `target: whole drill under ${TARGET_SECONDS} s — ${total < TARGET_SECONDS && status === 'passed' ? 'met' : 'MISSED'}; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
