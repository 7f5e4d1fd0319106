import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { childEnv } from '../child-env';
import { LifeboatError } from '../contract/errors';
import { decodeVgaText } from './boot-evidence';
import { QmpClient } from './qmp';

export interface QemuVmSpec {
  name: string;
  /** Restored disk files, boot disk first; any format QEMU reads (raw, vhdx, vmdk). */
  disks: { file: string; format: 'raw' | 'vhdx' | 'vmdk' | 'vpc' }[];
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  /** Guest TCP ports to reach from this machine through a restricted user network; none: no NIC at all. */
  forwardPorts: number[];
  /** Defaults to KVM where it exists and has not failed in this process, else software emulation. */
  accel?: Accel;
  /** Keeps the serial line's input open, for writeSerial (a guest with a shell on its serial console). */
  serialInput?: boolean;
}

export type Accel = 'kvm' | 'tcg';

export interface QemuVm {
  readonly pid: number;
  /** QEMU's control socket (in the temp folder: unix socket paths are short). */
  readonly controlSocket: string;
  /** Host port forwarded to each guest port (127.0.0.1 only). */
  readonly forwarded: ReadonlyMap<number, number>;
  readonly isolation: string;
  readonly accel: Accel;
  /** True once KVM could not run this guest ("KVM internal error", run state internal-error): restart it under TCG. */
  kvmFailed(): Promise<boolean>;
  /** Null while running; QEMU's exit code and its error output once it has stopped. */
  exitStatus(): { code: number | null; stderr: string } | null;
  /** The VGA text screen as lines of text (what a firmware or text console shows). */
  screenText(): Promise<string>;
  /** Resolves when the marker appears on the serial port; rejects on timeout, exit or abort. */
  waitForSerial(marker: string, timeoutMs: number, signal: AbortSignal): Promise<number>;
  serialOutput(): string;
  /** Types into the serial console; only when started with serialInput. */
  writeSerial(text: string): void;
  screenshot(file: string): Promise<void>;
  stop(): Promise<void>;
}

let kvmBroken = false;

/**
 * Where a KVM that failed is remembered until the machine restarts, so the next drill or CLI process does
 * not lose seconds finding out again (keyed by the kernel's boot id).
 */
function kvmMarkerFile(): string | null {
  try {
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return path.join(os.tmpdir(), `lifeboat-kvm-unusable-${bootId}`);
  } catch {
    return null;
  }
}

/** KVM where /dev/kvm exists and has not failed to run a guest since this machine started; else software emulation. */
export function preferredAccel(env: NodeJS.ProcessEnv = process.env): Accel {
  if (env.LIFEBOAT_QEMU_ACCEL === 'tcg' || env.LIFEBOAT_QEMU_ACCEL === 'kvm') return env.LIFEBOAT_QEMU_ACCEL;
  if (!fs.existsSync('/dev/kvm')) return 'tcg';
  const marker = kvmMarkerFile();
  if (!kvmBroken && marker && fs.existsSync(marker)) kvmBroken = true;
  return kvmBroken ? 'tcg' : 'kvm';
}

/** Some hosts expose /dev/kvm yet cannot run a real kernel in it: later VMs go straight to TCG. */
export function markKvmBroken(): void {
  kvmBroken = true;
  const marker = kvmMarkerFile();
  if (marker) fs.writeFileSync(marker, `KVM could not run a guest (KVM internal error) at ${new Date().toISOString()}\n`);
}

/** What QEMU prints when KVM opens but cannot run the guest. */
export const KVM_FAILURE = /KVM internal error|kvm run failed|KVM: entry failed/i;

/** QEMU parses commas as option separators: a value keeps its commas by doubling them. */
export function qemuValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/** The QEMU binary, if this machine has one; drills fall back to the hypervisor's own sandbox otherwise. */
export function findQemu(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [env.LIFEBOAT_QEMU, 'qemu-system-x86_64', 'C:\\Program Files\\qemu\\qemu-system-x86_64.exe'].filter(
    Boolean,
  ) as string[];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000, env: childEnv() });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/**
 * Boots restored disks in QEMU, isolated: no NIC, or a user-mode NIC with `restrict=on` (the guest reaches
 * nothing outside; only the forwarded ports reach in, from 127.0.0.1). Drives use snapshot=on so the boot
 * never changes the restored files. Controlled over QMP (screenshots, quit).
 */
export async function startQemuVm(qemu: string, spec: QemuVmSpec, workDir: string): Promise<QemuVm> {
  fs.mkdirSync(workDir, { recursive: true });
  // Unix socket paths are limited to 108 bytes: the control socket lives in the temp folder, not the work folder.
  const qmpSocket = path.join(os.tmpdir(), `lifeboat-qmp-${randomBytes(6).toString('hex')}.sock`);
  fs.rmSync(qmpSocket, { force: true });
  const forwarded = new Map<number, number>();
  for (const port of spec.forwardPorts) forwarded.set(port, await freePort());

  const accel = spec.accel ?? preferredAccel();
  const args = qemuArgs(spec, accel, qmpSocket, forwarded);
  const screenFile = path.join(workDir, 'screen.bin');

  const control = await listenForQmp(qmpSocket);
  const { child, output, listeners, exited } = spawnQemu(qemu, args, spec.serialInput === true);

  const qmp = await Promise.race([
    control.connected.then((socket) => QmpClient.over(socket)),
    exited.then((code) => {
      throw new LifeboatError('INTERNAL', `QEMU did not start: ${output.stderr.trim() || `exit ${code}`}.`, {
        fix: 'Check that the restored disk files exist and that qemu-system-x86_64 works on this machine.',
      });
    }),
  ]).finally(() => control.close());
  const isolation = qemuIsolation(forwarded);

  return {
    pid: child.pid!,
    controlSocket: qmpSocket,
    forwarded,
    isolation,
    accel,
    async kvmFailed() {
      if (accel !== 'kvm' || child.exitCode !== null) return false;
      if (KVM_FAILURE.test(output.stderr)) return true;
      const status = (await qmp.execute('query-status').catch(() => null)) as { status?: string } | null;
      return status?.status === 'internal-error';
    },
    exitStatus: () =>
      child.exitCode === null && child.signalCode === null ? null : { code: child.exitCode, stderr: output.stderr.trim() },
    async screenText() {
      // The VGA text buffer at 0xB8000: 80x25 character/attribute pairs, exactly what a text console shows.
      await qmp.execute('pmemsave', { val: 0xb8000, size: 4000, filename: screenFile });
      return decodeVgaText(fs.readFileSync(screenFile));
    },
    serialOutput: () => output.serial,
    writeSerial(text) {
      if (!child.stdin) throw new Error('This VM was started without serial input.');
      child.stdin.write(text);
    },
    waitForSerial(marker, timeoutMs, signal) {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason); // an aborted signal fires no more events
        const check = (): void => {
          if (output.serial.includes(marker)) return done(() => resolve((performance.now() - started) / 1000));
          if (child.exitCode !== null)
            return done(() =>
              reject(
                new LifeboatError(
                  'INTERNAL',
                  `The VM stopped before it printed "${marker}" (QEMU exit ${child.exitCode}): ${output.stderr.trim() || 'no error output'}.`,
                ),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new LifeboatError('INTERNAL', `The VM did not print "${marker}" within ${Math.round(timeoutMs / 1000)} s.`, {
                  fix: 'Look at the console screenshot: the guest may be stuck in its boot loader.',
                }),
              ),
            ),
          timeoutMs,
        );
        const onAbort = (): void => done(() => reject(signal.reason));
        const done = (finish: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          signal.removeEventListener('abort', onAbort);
          finish();
        };
        listeners.add(check);
        signal.addEventListener('abort', onAbort, { once: true });
        check();
      });
    },
    async screenshot(file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await qmp.execute('screendump', { filename: file, format: 'png' });
    },
    async stop() {
      if (child.exitCode === null) {
        await qmp.execute('quit').catch(() => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      qmp.close();
      fs.rmSync(qmpSocket, { force: true });
    },
  };
}

/** QEMU started with its serial line (stdout) and error output kept; listeners hear every new byte, and the exit. */
function spawnQemu(qemu: string, args: string[], serialInput: boolean) {
  const child = spawn(qemu, args, { stdio: [serialInput ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: childEnv() });
  child.stdin?.on('error', () => undefined); // QEMU gone: what was typed is lost with it
  const output = { serial: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    output.serial += chunk.toString('latin1');
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => listeners.forEach((listener) => listener()));
  return { child, output, listeners, exited };
}

/** QEMU's command line: isolated network (or none), drives that never change the restored files, QMP as a client. */
function qemuArgs(spec: QemuVmSpec, accel: Accel, qmpSocket: string, forwarded: Map<number, number>): string[] {
  const args = [
    '-name',
    qemuValue(spec.name),
    // kvm:tcg still falls back when /dev/kvm cannot be opened; a KVM that opens but fails is caught later.
    '-machine',
    `pc,accel=${accel === 'kvm' ? 'kvm:tcg' : 'tcg'}`,
    '-m',
    String(Math.max(64, Math.min(spec.memoryMiB, 2048))),
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-qmp',
    `unix:${qmpSocket}`,
    '-no-reboot',
  ];
  if (spec.firmware === 'uefi') args.push('-bios', 'OVMF.fd');
  if (forwarded.size === 0) args.push('-nic', 'none');
  else {
    // romfile= drops the NIC's network-boot ROM: a disk that does not boot must fail at once, not try PXE.
    args.push(
      '-netdev',
      `user,id=n0,restrict=on,${[...forwarded].map(([guest, host]) => `hostfwd=tcp:127.0.0.1:${host}-:${guest}`).join(',')}`,
    );
    args.push('-device', 'e1000,netdev=n0,romfile=');
  }
  // A fixed VHD's size is its footer's current size, as Hyper-V and Azure read it; QEMU would take the CHS
  // geometry (smaller) for a VHD not made by itself, cutting off the end of the last partition.
  const sizeFrom = (format: string): string => (format === 'vpc' ? ',force_size_calc=current_size' : '');
  spec.disks.forEach((disk, index) =>
    args.push('-drive', `file=${qemuValue(disk.file)},format=${disk.format}${sizeFrom(disk.format)},if=ide,index=${index},snapshot=on`),
  );
  args.push('-boot', 'strict=on');
  return args;
}

/** Our end of QMP: QEMU connects to it (client mode), so readiness is an event, not a poll. */
async function listenForQmp(qmpSocket: string): Promise<{ connected: Promise<net.Socket>; close(): void }> {
  const control = net.createServer();
  const connected = new Promise<net.Socket>((resolve) => control.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(qmpSocket, resolve);
  });
  return { connected, close: () => control.close() };
}

function qemuIsolation(forwarded: Map<number, number>): string {
  return forwarded.size === 0
    ? 'QEMU sandbox: no network adapter'
    : `QEMU sandbox: restricted user network (no outbound access), ports ${[...forwarded.keys()].join(', ')} reachable from 127.0.0.1 only`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
