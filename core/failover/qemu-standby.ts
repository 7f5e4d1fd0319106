import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { childEnv } from '../child-env';
import { LifeboatError } from '../contract/errors';
import { decodeVgaText } from '../drills/boot-evidence';
import { watchBoot, type BootConsole } from '../drills/boot-watch';
import { markKvmBroken, preferredAccel, qemuValue, type Accel } from '../drills/qemu-sandbox';
import { QmpClient } from '../drills/qmp';
import type { CheckResult, SandboxVm } from '../drills/sandbox';
import { wait } from '../drills/steps';

/**
 * The QEMU standby: recovered VMs running on the Lifeboat machine itself when the production host is gone.
 * Unlike a drill's sandbox the VM outlives the command that started it (a detached process with a pid file),
 * writes to its restored disks (no snapshot), and has network adapters (user-mode NAT through this machine,
 * one per source adapter). Everything about it lives in one folder, named in the catalog as the VM's id.
 */
export interface StandbySpec {
  name: string;
  /** Raw disk images, boot disk first; they become the VM's own disks. */
  disks: string[];
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  /** One adapter per recovery network (its name is recorded; on QEMU each is NAT through this machine). */
  networks: string[];
}

interface StandbyRecord {
  name: string;
  /** What started it, so a VM that KVM cannot run is started again the same way under TCG. */
  qemu?: string;
  spec?: StandbySpec;
  pid: number;
  qmpSocket: string;
  serialLog: string;
  disks: string[];
  networks: string[];
}

const RECORD = 'standby.json';

export async function startStandbyVm(qemu: string, folder: string, spec: StandbySpec, accel: Accel = preferredAccel()): Promise<SandboxVm> {
  fs.mkdirSync(folder, { recursive: true });
  // Unix socket paths are limited to 108 bytes: the control socket lives in the temp folder.
  const qmpSocket = path.join(os.tmpdir(), `lifeboat-standby-${randomBytes(6).toString('hex')}.sock`);
  const serialLog = path.join(folder, 'serial.log');
  const pidFile = path.join(folder, 'qemu.pid');
  for (const file of [serialLog, pidFile]) fs.rmSync(file, { force: true });
  const args = [
    '-name',
    qemuValue(spec.name),
    '-machine',
    `pc,accel=${accel === 'kvm' ? 'kvm:tcg' : 'tcg'}`,
    '-m',
    String(Math.max(64, Math.min(spec.memoryMiB, 2048))),
    '-display',
    'none',
    // -chardev, not -serial file:/-qmp unix:, whose shorthand takes a path with commas neither whole nor escaped.
    '-chardev',
    `file,id=serial0,path=${qemuValue(serialLog)}`,
    '-serial',
    'chardev:serial0',
    '-monitor',
    'none',
    '-chardev',
    `socket,id=qmp0,path=${qemuValue(qmpSocket)},server=on,wait=off`,
    '-mon',
    'chardev=qmp0,mode=control',
    '-pidfile',
    pidFile,
    '-daemonize',
  ];
  if (spec.firmware === 'uefi') args.push('-bios', 'OVMF.fd');
  if (spec.networks.length === 0) args.push('-nic', 'none');
  spec.networks.forEach(() => args.push('-nic', 'user,model=e1000'));
  spec.disks.forEach((file, index) => args.push('-drive', `file=${qemuValue(file)},format=raw,if=ide,index=${index},id=disk${index}`));

  // -daemonize: QEMU returns once the VM is set up (or failed), and the VM keeps running after Lifeboat exits.
  const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !fs.existsSync(pidFile)) {
    throw new LifeboatError('INTERNAL', `QEMU did not start ${spec.name}: ${stderr.trim() || `exit ${code}`}.`, {
      fix: 'Check that the restored disk files exist and that qemu-system-x86_64 works on this machine.',
    });
  }
  const record: StandbyRecord = {
    name: spec.name,
    qemu,
    spec,
    pid: Number(fs.readFileSync(pidFile, 'utf8').trim()),
    qmpSocket,
    serialLog,
    disks: spec.disks,
    networks: spec.networks,
  };
  fs.writeFileSync(path.join(folder, RECORD), JSON.stringify(record, null, 2));
  return standbyVm(folder);
}

function readRecord(folder: string): StandbyRecord | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(folder, RECORD), 'utf8')) as StandbyRecord;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited QEMU not yet reaped by its new parent still answers signal 0; on Linux, /proc says it is a zombie.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export function standbyRunning(folder: string): boolean {
  const record = readRecord(folder);
  return record !== null && alive(record.pid);
}

/** The disk images of a standby VM, boot disk first (failback copies them back into the vault). */
export function standbyDisks(folder: string): string[] {
  return readRecord(folder)?.disks ?? [];
}

/** The QMP socket of a running standby VM (tests write to its disks through it, as the guest would). */
export function standbyControlSocket(folder: string): string | null {
  return readRecord(folder)?.qmpSocket ?? null;
}

export async function connectQmp(socketPath: string): Promise<QmpClient> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(socketPath, () => resolve(s));
    s.once('error', reject);
  });
  return QmpClient.over(socket);
}

async function withQmp<T>(record: StandbyRecord, work: (qmp: QmpClient) => Promise<T>): Promise<T> {
  const qmp = await connectQmp(record.qmpSocket);
  try {
    return await work(qmp);
  } finally {
    qmp.close();
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  const never = new AbortController().signal;
  while (alive(pid)) {
    if (performance.now() >= deadline) return false;
    await wait(200, never); // the process is not our child: its exit can only be polled
  }
  return true;
}

/**
 * Guest shutdown (ACPI power button), then power off when the guest has not stopped within the timeout.
 * Returns how it stopped.
 */
export async function shutDownStandby(folder: string, timeoutSeconds: number): Promise<'not running' | 'guest shutdown' | 'powered off'> {
  const record = readRecord(folder);
  if (!record || !alive(record.pid)) return 'not running';
  if (timeoutSeconds > 0) {
    await withQmp(record, (qmp) => qmp.execute('system_powerdown')).catch(() => undefined);
    if (await waitForExit(record.pid, timeoutSeconds * 1000)) return 'guest shutdown';
  }
  await withQmp(record, (qmp) => qmp.execute('quit')).catch(() => undefined);
  if (!(await waitForExit(record.pid, 10_000))) {
    process.kill(record.pid, 'SIGKILL');
    await waitForExit(record.pid, 5_000);
  }
  fs.rmSync(record.qmpSocket, { force: true });
  return 'powered off';
}

export async function removeStandby(folder: string): Promise<void> {
  await shutDownStandby(folder, 0);
  fs.rmSync(folder, { recursive: true, force: true });
}

/** The consoles of a standby VM, read from its serial log and through its control socket. */
function standbyConsole(folder: string, poweredOn: number): BootConsole {
  const record = readRecord(folder)!;
  const screenFile = path.join(folder, 'screen.bin');
  return {
    serial: () => {
      try {
        return fs.readFileSync(record.serialLog, 'latin1');
      } catch {
        return '';
      }
    },
    screen: () =>
      withQmp(record, async (qmp) => {
        await qmp.execute('pmemsave', { val: 0xb8000, size: 4000, filename: screenFile });
        return decodeVgaText(fs.readFileSync(screenFile));
      }),
    exitStatus: () => (alive(record.pid) ? null : { code: null, stderr: '' }),
    kvmFailed: async () => {
      const status = (await withQmp(record, (qmp) => qmp.execute('query-status')).catch(() => null)) as { status?: string } | null;
      return status?.status === 'internal-error';
    },
    poweredOn: () => poweredOn,
  };
}

/** Checks and evidence for a running standby VM, the same interface the drill sandboxes give. */
export function standbyVm(folder: string): SandboxVm {
  const record = readRecord(folder);
  if (!record)
    throw new LifeboatError('VM_NOT_FOUND', `There is no standby VM in ${folder}.`, {
      fix: 'It was removed by hand; fail back or clear the plan state.',
    });
  const started = performance.now();
  return {
    resources: [],
    checkBoot(timeoutSeconds, signal, options): Promise<CheckResult> {
      return watchBoot(standbyConsole(folder, started), {
        timeoutSeconds,
        signal,
        readyText: options?.readyText ?? null,
        restartUnderTcg: async () => {
          markKvmBroken();
          await shutDownStandby(folder, 0);
          if (!record.qemu || !record.spec)
            throw new LifeboatError(
              'INTERNAL',
              `KVM could not run ${record.name}, and it was started by an older Lifeboat that did not record how.`,
              { fix: 'Fail back, then fail over again: it starts under software emulation.' },
            );
          await startStandbyVm(record.qemu, folder, record.spec, 'tcg');
          return standbyConsole(folder, performance.now());
        },
      });
    },
    async checkHeartbeat() {
      return { status: 'skipped', detail: 'QEMU has no guest integration services; the boot check and screenshot stand in.' };
    },
    async checkTcp(port) {
      return { status: 'skipped', detail: `Port ${port}: the standby VM is on its recovery network; check it from there.` };
    },
    async runScript() {
      return { status: 'skipped', detail: 'In-guest scripts need Hyper-V PowerShell Direct or VMware guest operations.' };
    },
    async screenshot(file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await withQmp(record, (qmp) => qmp.execute('screendump', { filename: file, format: 'png' }));
      return fs.existsSync(file);
    },
    stop: async () => void (await shutDownStandby(folder, 0)),
    remove: () => removeStandby(folder),
    async isGone() {
      const current = readRecord(folder) ?? record; // a restart under TCG has a new process
      return !alive(current.pid) && !fs.existsSync(folder);
    },
  };
}
