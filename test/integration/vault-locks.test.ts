import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDirManual } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const ENV = { LIFEBOAT_PASSPHRASE: PASSPHRASE };

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. */
function startTicks(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

const bootId = (): string => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

// Start times and boot ids are read from /proc: Linux only (elsewhere a live pid always counts as the holder).
describe.runIf(process.platform === 'linux')('vault locks held by another program', () => {
  let work: ReturnType<typeof tempDirManual>;
  let location: string;
  let disk: string;
  let holder: ChildProcess;
  let holderExited: Promise<void>;
  beforeAll(async () => {
    work = tempDirManual('lifeboat-locks-');
    location = path.join(work.dir, 'vault');
    expect(runCli(['vault', 'init', location], ENV).status).toBe(0);
    disk = path.join(work.dir, 'd.img');
    fs.writeFileSync(disk, crypto.randomBytes(1024 * 1024));
    holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    holderExited = new Promise((resolve) => holder.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      holder.once('spawn', () => resolve());
      holder.once('error', reject);
    });
  });
  afterAll(() => {
    holder?.kill('SIGKILL');
    work?.remove();
  });

  const lockFile = (): string => path.join(location, 'locks', 'c0ffee00');
  const writeLock = (fields: Record<string, unknown>): void => {
    const now = new Date().toISOString();
    fs.mkdirSync(path.join(location, 'locks'), { recursive: true });
    fs.writeFileSync(
      lockFile(),
      JSON.stringify({
        id: 'c0ffee00',
        kind: 'exclusive',
        host: os.hostname(),
        pid: holder.pid,
        operation: 'prune',
        started: now,
        refreshed: now,
        ...fields,
      }),
    );
  };
  const backup = () => runCli(['vault', 'backup-disk', location, disk, '--vm', 'v', '--disk', 'd0', '--json'], ENV);

  it('refuses a lock whose holder is alive and is the process that took it', () => {
    writeLock({ bootId: bootId(), startTicks: startTicks(holder.pid!) });
    const result = backup();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`in use by prune on ${os.hostname()} (pid ${holder.pid}`);
    expect(fs.existsSync(lockFile())).toBe(true);
    // A lock without start time (older Lifeboat, or written on Windows/macOS) naming a live pid is refused too.
    writeLock({});
    expect(backup().status).toBe(1);
    expect(fs.existsSync(lockFile())).toBe(true);
  });

  it('takes over, and says so, a lock whose pid now belongs to a program started at another time (a reused pid)', () => {
    writeLock({ bootId: bootId(), startTicks: String(Number(startTicks(holder.pid!)) - 1) });
    const result = backup();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Took over the vault lock of prune on ${os.hostname()} (pid ${holder.pid}`);
    expect(result.stderr).toContain('now belongs to another program');
    expect(fs.readdirSync(path.join(location, 'locks')).filter((name) => !name.startsWith('.tmp-'))).toEqual([]);
  });

  it('takes over a lock from a machine boot that is over', () => {
    writeLock({ bootId: crypto.randomUUID(), startTicks: startTicks(holder.pid!) });
    const result = backup();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('this machine has restarted since');
  });

  it('never takes over a lock from another host, even naming a pid that does not exist here', async () => {
    const pid = holder.pid!;
    const ticks = startTicks(pid);
    holder.kill('SIGKILL');
    await holderExited;
    writeLock({ host: `not-${os.hostname()}`, pid, bootId: bootId(), startTicks: ticks });
    const other = backup();
    expect(other.status).toBe(1);
    expect(other.stderr).toContain(`in use by prune on not-${os.hostname()}`);

    // The same lock written on this host: its process has exited, so it is provably gone.
    writeLock({ pid, bootId: bootId(), startTicks: ticks });
    const result = backup();
    expect(result.status, result.stderr).toBe(0);
    // (Should the pid be reused meanwhile, the new process's start time gives the holder away just the same.)
    expect(result.stderr).toMatch(new RegExp(`no process has pid ${pid} any more|pid ${pid} now belongs to another program`));
    expect(fs.existsSync(lockFile())).toBe(false);
  });
});
