import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LifeboatError } from '../../core/contract/errors';
import { acquireEngineLock, LOCK_FILE, processStartId, runningEngine, type EngineLockInfo } from '../../core/engine-lock';
import { tempDir } from '../helpers/temp';

const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Another program with a live PID: `sleep 60`, resolved once it has been spawned (exec done). */
async function otherProgram(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child as ChildProcess & { pid: number };
}

function writeLock(dataDir: string, holder: Partial<EngineLockInfo> & { pid: number }): void {
  const info: EngineLockInfo = {
    hostname: os.hostname(),
    startedAt: '2026-01-01T00:00:00.000Z',
    kind: 'serve',
    url: null,
    processStart: null,
    ...holder,
  };
  fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify(info), { mode: 0o600 });
}

function refusal(dataDir: string): LifeboatError {
  try {
    acquireEngineLock(dataDir, 'agent', { log: () => undefined }).release();
  } catch (error) {
    return error as LifeboatError;
  }
  throw new Error('expected the lock to be refused');
}

function onlyLockFile(dataDir: string): string[] {
  return fs.readdirSync(dataDir).filter((name) => name.startsWith(LOCK_FILE));
}

describe.skipIf(process.platform !== 'linux')('engine lock', () => {
  it('records this process: PID, hostname and its start time from /proc (boot id + field 22)', () => {
    const dataDir = tempDir();
    const lock = acquireEngineLock(dataDir, 'serve');
    try {
      const file = path.join(dataDir, LOCK_FILE);
      const written = JSON.parse(fs.readFileSync(file, 'utf8')) as EngineLockInfo;
      const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      expect(written).toMatchObject({ pid: process.pid, hostname: os.hostname(), kind: 'serve', url: null });
      expect(written.processStart).toMatch(new RegExp(`^linux:${bootId}:\\d+$`));
      expect(written.processStart).toBe(processStartId(process.pid));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);

      lock.setUrl('http://127.0.0.1:1234/?token=secret');
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({
        url: 'http://127.0.0.1:1234/?token=secret',
        processStart: written.processStart,
      });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(onlyLockFile(dataDir)).toEqual([LOCK_FILE]); // no temporary files left behind
      expect(runningEngine(dataDir)).toMatchObject({ pid: process.pid });
      expect(refusal(dataDir).code).toBe('CONFLICT');
    } finally {
      lock.release();
    }
    expect(onlyLockFile(dataDir)).toEqual([]);
  });

  it('refuses a lock naming a live process with the recorded start time, and names it', async () => {
    const dataDir = tempDir();
    const sleeper = await otherProgram();
    writeLock(dataDir, { pid: sleeper.pid, processStart: processStartId(sleeper.pid) });
    const error = refusal(dataDir);
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(
      `(process ${sleeper.pid} "sleep" on ${os.hostname()}, since 2026-01-01T00:00:00.000Z) is already running the engine for ${dataDir}`,
    );
    expect(error.fix).toContain(`stop process ${sleeper.pid}`);
    expect(runningEngine(dataDir)).toMatchObject({ pid: sleeper.pid });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: sleeper.pid });
  });

  it('takes over a lock whose PID now belongs to a process with another start time, and logs it', async () => {
    const dataDir = tempDir();
    const sleeper = await otherProgram();
    writeLock(dataDir, { pid: sleeper.pid, processStart: 'linux:00000000-0000-0000-0000-000000000000:1' });
    expect(runningEngine(dataDir)).toBeNull();
    const lock = acquireEngineLock(dataDir, 'serve');
    try {
      expect(lock.tookOver).toBe(
        `process ${sleeper.pid} (serve, since 2026-01-01T00:00:00.000Z) has exited: its PID now belongs to another process (sleep) that started at a different time`,
      );
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
      const logged = fs.readFileSync(path.join(dataDir, 'logs', 'lifeboat.log'), 'utf8');
      expect(logged).toMatch(
        /WARN {2}took over the engine lock .*engine\.lock: process \d+ \(serve, since .*\) has exited: its PID now belongs to another process \(sleep\)/,
      );
      expect(onlyLockFile(dataDir)).toEqual([LOCK_FILE]);
    } finally {
      lock.release();
    }
  });

  it('takes over the lock of a process that has exited, even with its real start time recorded', async () => {
    const dataDir = tempDir();
    const sleeper = await otherProgram();
    writeLock(dataDir, { pid: sleeper.pid, processStart: processStartId(sleeper.pid) });
    expect(refusal(dataDir).code).toBe('CONFLICT');
    const exited = new Promise((resolve) => sleeper.once('exit', resolve));
    sleeper.kill('SIGKILL');
    await exited;
    const messages: string[] = [];
    const lock = acquireEngineLock(dataDir, 'agent', { log: (message) => messages.push(message) });
    try {
      expect(lock.tookOver).toBe(`process ${sleeper.pid} (serve, since 2026-01-01T00:00:00.000Z) has exited`);
      expect(messages).toEqual([
        expect.stringContaining(`took over the engine lock ${path.join(dataDir, LOCK_FILE)}: process ${sleeper.pid}`),
      ]);
    } finally {
      lock.release();
    }
  });

  it('takes over a lock this very PID left in an earlier run (a container restarted with the same PID)', () => {
    const dataDir = tempDir();
    writeLock(dataDir, { pid: process.pid, processStart: 'linux:00000000-0000-0000-0000-000000000000:1' });
    const lock = acquireEngineLock(dataDir, 'agent', { log: () => undefined });
    expect(lock.tookOver).toContain(`process ${process.pid} (serve`);
    lock.release();
  });

  it('refuses a lock from another machine (a data folder on a share) and says when it is safe to delete', () => {
    const dataDir = tempDir();
    writeLock(dataDir, { pid: 4242, hostname: 'other-server', processStart: 'linux:x:1', kind: 'agent' });
    const error = refusal(dataDir);
    expect(error.message).toContain('The Lifeboat agent (process 4242 on other-server');
    expect(error.fix).toContain(`If no Lifeboat runs there any more, delete ${path.join(dataDir, LOCK_FILE)}.`);
  });

  it('takes over a lock file that is not a lock (half-written by an older version, or garbage)', () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, LOCK_FILE), '{"pid": 12');
    const lock = acquireEngineLock(dataDir, 'agent', { log: () => undefined });
    expect(lock.tookOver).toContain('not a Lifeboat engine lock');
    lock.release();
  });
});
