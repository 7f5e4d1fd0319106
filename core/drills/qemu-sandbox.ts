import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import { QmpClient } from './qmp';

export interface QemuVmSpec {
  name: string;
  /** Restored disk files, boot disk first; any format QEMU reads (raw, vhdx, vmdk). */
  disks: { file: string; format: 'raw' | 'vhdx' | 'vmdk' | 'vpc' }[];
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  /** Guest TCP ports to reach from this machine through a restricted user network; none: no NIC at all. */
  forwardPorts: number[];
}

export interface QemuVm {
  readonly pid: number;
  /** QEMU's control socket (in the temp folder: unix socket paths are short). */
  readonly controlSocket: string;
  /** Host port forwarded to each guest port (127.0.0.1 only). */
  readonly forwarded: ReadonlyMap<number, number>;
  readonly isolation: string;
  /** Resolves when the marker appears on the serial port; rejects on timeout, exit or abort. */
  waitForSerial(marker: string, timeoutMs: number, signal: AbortSignal): Promise<number>;
  serialOutput(): string;
  screenshot(file: string): Promise<void>;
  stop(): Promise<void>;
}

/** The QEMU binary, if this machine has one; drills fall back to the hypervisor's own sandbox otherwise. */
export function findQemu(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [env.LIFEBOAT_QEMU, 'qemu-system-x86_64', 'C:\\Program Files\\qemu\\qemu-system-x86_64.exe'].filter(Boolean) as string[];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000 });
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

  const args = [
    '-name', spec.name,
    '-machine', `pc,accel=${fs.existsSync('/dev/kvm') ? 'kvm:tcg' : 'tcg'}`,
    '-m', String(Math.max(64, Math.min(spec.memoryMiB, 2048))),
    '-display', 'none',
    '-serial', 'stdio',
    '-monitor', 'none',
    // QEMU connects to our socket (client mode), so readiness is an event, not a poll.
    '-qmp', `unix:${qmpSocket}`,
    '-no-reboot',
  ];
  if (spec.firmware === 'uefi') args.push('-bios', 'OVMF.fd');
  if (forwarded.size === 0) args.push('-nic', 'none');
  else args.push('-nic', `user,model=e1000,restrict=on,${[...forwarded].map(([guest, host]) => `hostfwd=tcp:127.0.0.1:${host}-:${guest}`).join(',')}`);
  spec.disks.forEach((disk, index) => args.push('-drive', `file=${disk.file},format=${disk.format},if=ide,index=${index},snapshot=on`));

  const control = net.createServer();
  const connected = new Promise<net.Socket>((resolve) => control.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(qmpSocket, resolve);
  });
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let serial = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    serial += chunk.toString('latin1');
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => listeners.forEach((listener) => listener()));

  const qmp = await Promise.race([
    connected.then((socket) => QmpClient.over(socket)),
    exited.then((code) => {
      throw new LifeboatError('INTERNAL', `QEMU did not start: ${stderr.trim() || `exit ${code}`}.`, {
        fix: 'Check that the restored disk files exist and that qemu-system-x86_64 works on this machine.',
      });
    }),
  ]).finally(() => control.close());
  const isolation = forwarded.size === 0 ? 'QEMU sandbox: no network adapter' : `QEMU sandbox: restricted user network (no outbound access), ports ${[...forwarded.keys()].join(', ')} reachable from 127.0.0.1 only`;

  return {
    pid: child.pid!,
    controlSocket: qmpSocket,
    forwarded,
    isolation,
    serialOutput: () => serial,
    waitForSerial(marker, timeoutMs, signal) {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason); // an aborted signal fires no more events
        const check = (): void => {
          if (serial.includes(marker)) return done(() => resolve((performance.now() - started) / 1000));
          if (child.exitCode !== null) return done(() => reject(new LifeboatError('INTERNAL', `The VM stopped before it printed "${marker}" (QEMU exit ${child.exitCode}): ${stderr.trim() || 'no error output'}.`)));
        };
        const timer = setTimeout(() => done(() => reject(new LifeboatError('INTERNAL', `The VM did not print "${marker}" within ${Math.round(timeoutMs / 1000)} s.`, { fix: 'Look at the console screenshot: the guest may be stuck in its boot loader.' }))), timeoutMs);
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
