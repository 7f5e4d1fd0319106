import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from './contract/errors';

export const LOCK_FILE = 'engine.lock';

/** Who runs the engine on a data folder, and where a console can reach it. */
export interface EngineLockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  kind: 'agent' | 'serve' | 'desktop';
  /** Browser-mode link with its token, when the engine serves HTTP. */
  url: string | null;
}

export interface EngineLock {
  readonly info: EngineLockInfo;
  /** Records the link once the HTTP server listens. */
  setUrl(url: string): void;
  release(): void;
}

/**
 * One engine per data folder: two schedulers on one catalog would run every job twice. The lock file (0600:
 * it holds the console token) names the running engine so a second start can connect to it instead; a lock
 * whose process is gone is taken over.
 */
export function acquireEngineLock(dataDir: string, kind: EngineLockInfo['kind'], now: Date = new Date()): EngineLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const info: EngineLockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: now.toISOString(), kind, url: null };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      return lockHandle(file, info);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readEngineLock(dataDir);
    if (holder && isAlive(holder)) throw engineRunning(dataDir, holder);
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new LifeboatError('CONFLICT', `Could not take the engine lock ${file}.`, { fix: 'Try again in a moment.' });
}

/** The live engine on this data folder, if any. */
export function runningEngine(dataDir: string): EngineLockInfo | null {
  const holder = readEngineLock(dataDir);
  return holder && isAlive(holder) ? holder : null;
}

function readEngineLock(dataDir: string): EngineLockInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as EngineLockInfo;
  } catch {
    return null;
  }
}

function isAlive(holder: EngineLockInfo): boolean {
  if (holder.hostname !== os.hostname()) return true; // a data folder on a share, used from another machine
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function engineRunning(dataDir: string, holder: EngineLockInfo): LifeboatError {
  const who = { agent: 'The Lifeboat agent', serve: 'A `lifeboat serve` console', desktop: 'The Lifeboat desktop app' }[holder.kind];
  return new LifeboatError('CONFLICT', `${who} (process ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}) is already running the engine for ${dataDir}.`, {
    fix: holder.url
      ? `Open its console instead: ${holder.url.replace(/token=.*/, 'token=…')} (lifeboat serve prints the full link), or stop it first.`
      : 'Use that console, or stop it first; use --data to run a separate engine on another data folder.',
  });
}

function lockHandle(file: string, info: EngineLockInfo): EngineLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    const current = (() => {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as EngineLockInfo;
      } catch {
        return null;
      }
    })();
    if (current?.pid === info.pid && current.startedAt === info.startedAt) fs.rmSync(file, { force: true });
  };
  process.once('exit', release);
  return {
    info,
    setUrl(url) {
      info.url = url;
      fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
    },
    release() {
      process.off('exit', release);
      release();
    },
  };
}
