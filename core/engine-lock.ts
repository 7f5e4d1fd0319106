import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from './contract/errors';
import { dataFolderTrouble, ensureDataDir } from './data-dir';
import { RotatingLog } from './logging/rotating-log';

export const LOCK_FILE = 'engine.lock';

/** Who runs the engine on a data folder, and where a console can reach it. */
export interface EngineLockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  /**
   * When the process started, as the OS tells it (processStartId): a PID reused by another program has a
   * different one. null where the OS does not say; older Lifeboat versions did not write it.
   */
  processStart?: string | null;
  kind: 'agent' | 'serve' | 'desktop';
  /** Browser-mode link with its token, when the engine serves HTTP. */
  url: string | null;
}

export interface EngineLock {
  readonly info: EngineLockInfo;
  /** Why a lock left behind was taken over, when it was (also written to the log). */
  readonly tookOver: string | null;
  /** Records the link once the HTTP server listens. */
  setUrl(url: string): void;
  release(): void;
}

/**
 * One run of a process, so that a PID the OS gave to another program after ours exited is not mistaken for
 * the engine.
 * - Linux: field 22 of /proc/<pid>/stat (start time in clock ticks since boot) with
 *   /proc/sys/kernel/random/boot_id (the ticks restart at every boot).
 * - macOS and other Unix: `ps -o lstart= -p <pid>` (start time to the second).
 * - Windows and anything else: null — the fallback is the PID alone (the process exists or not), as before,
 *   so a reused PID there keeps the lock until that program exits or the lock file is deleted.
 */
export function processStartId(pid: number, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ")".
      const fields = stat
        .slice(stat.lastIndexOf(')') + 2)
        .trim()
        .split(/\s+/);
      const startTicks = fields[22 - 3];
      if (!startTicks || !/^\d+$/.test(startTicks)) return null;
      return `linux:${bootId() ?? 'unknown-boot'}:${startTicks}`;
    } catch {
      return null;
    }
  }
  if (platform === 'win32') return null;
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
    return started ? `ps:${started}` : null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The program a PID runs now, for messages ("sleep", "node"); null where the OS does not say cheaply. */
function programName(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export interface AcquireOptions {
  now?: Date;
  /** Where a takeover is logged; defaults to <data>/logs/lifeboat.log. */
  log?: (message: string) => void;
}

/**
 * One engine per data folder: two schedulers on one catalog would run every job twice. The lock file (0600:
 * it holds the console token) names the running engine so a second start can connect to it instead.
 *
 * The file is written whole under a temporary name and then linked (first take: fails if someone else got
 * there first) or renamed (updates) into place, so nobody reads half a lock. A lock whose process is provably
 * gone — it exited, or its PID now belongs to a process that started at another time — is taken over and the
 * takeover logged; a lock naming a live process with the recorded start time is refused, naming it.
 */
export function acquireEngineLock(dataDir: string, kind: EngineLockInfo['kind'], options: AcquireOptions = {}): EngineLock {
  const { now = new Date(), log } = options;
  ensureDataDir(dataDir);
  const file = path.join(dataDir, LOCK_FILE);
  const info: EngineLockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: now.toISOString(),
    processStart: processStartId(process.pid),
    kind,
    url: null,
  };
  let tookOver: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(dataDir, file, JSON.stringify(info))) {
      if (tookOver) writeLog(dataDir, log, `took over the engine lock ${file}: ${tookOver}`);
      return lockHandle(dataDir, file, info, tookOver);
    }
    const text = readText(file);
    if (text === null) continue; // removed meanwhile: try again
    const holder = parseLock(text);
    if (holder) {
      const state = holderState(holder);
      if (state.alive) throw engineRunning(dataDir, holder, state.program);
      tookOver = `${describeHolder(holder)} ${state.reason}`;
    } else {
      tookOver = 'the file was unreadable (not a Lifeboat engine lock)';
    }
    removeIfUnchanged(file, text);
  }
  throw new LifeboatError('CONFLICT', `Could not take the engine lock ${file}: other processes keep changing it.`, {
    fix: 'Try again in a moment.',
  });
}

/** The live engine on this data folder, if any. */
export function runningEngine(dataDir: string): EngineLockInfo | null {
  const text = readText(path.join(dataDir, LOCK_FILE));
  const holder = text === null ? null : parseLock(text);
  return holder && holderState(holder).alive ? holder : null;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function parseLock(text: string): EngineLockInfo | null {
  try {
    const value = JSON.parse(text) as Partial<EngineLockInfo> | null;
    if (!value || typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0 || typeof value.hostname !== 'string')
      return null;
    return {
      pid: value.pid,
      hostname: value.hostname,
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : 'an unknown time',
      processStart: typeof value.processStart === 'string' ? value.processStart : null,
      kind: value.kind === 'agent' || value.kind === 'serve' || value.kind === 'desktop' ? value.kind : 'agent',
      url: typeof value.url === 'string' ? value.url : null,
    };
  } catch {
    return null;
  }
}

type HolderState = { alive: true; program: string | null } | { alive: false; reason: string };

/** Whether the process a lock names still runs; when not, why that is certain. */
function holderState(holder: EngineLockInfo): HolderState {
  // A data folder on a share, used from another machine: its processes cannot be seen from here.
  if (holder.hostname !== os.hostname()) return { alive: true, program: null };
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return { alive: false, reason: 'has exited' };
  }
  const recorded = holder.processStart ?? null;
  const current = processStartId(holder.pid);
  // Without a recorded start time (older lock, or an OS that gives none) only the PID can be checked.
  if (recorded === null || current === null || recorded === current) return { alive: true, program: programName(holder.pid) };
  const program = programName(holder.pid);
  return {
    alive: false,
    reason: `has exited: its PID now belongs to another process${program ? ` (${program})` : ''} that started at a different time`,
  };
}

function describeHolder(holder: EngineLockInfo): string {
  return `process ${holder.pid} (${holder.kind}, since ${holder.startedAt})`;
}

/** Writes `text` to a temporary file (0600) and links it to `file` only if `file` does not exist yet. */
function createExclusive(dataDir: string, file: string, text: string): boolean {
  const temp = writeTemp(dataDir, file, text);
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // No hard links here (some network shares, FAT): fall back to an exclusive create of the file itself.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV') {
      try {
        fs.writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
        return true;
      } catch (fallback) {
        if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw lockFailure(dataDir, file, fallback);
      }
    }
    throw lockFailure(dataDir, file, error);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** Replaces `file` atomically with `text` (temp + rename, 0600). */
function replaceAtomically(dataDir: string, file: string, text: string): void {
  const temp = writeTemp(dataDir, file, text);
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw lockFailure(dataDir, file, error);
  }
}

function writeTemp(dataDir: string, file: string, text: string): string {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(temp, text, { flag: 'wx', mode: 0o600 });
    return temp;
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw lockFailure(dataDir, file, error);
  }
}

/**
 * Removes a stale lock, but only the one that was judged: it is renamed aside first, and if what was moved
 * turns out to be a fresh lock another process wrote meanwhile, it is put back.
 */
function removeIfUnchanged(file: string, judged: string): void {
  const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // gone already, or replaced: the next attempt looks again
  }
  try {
    if (readText(aside) !== judged) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // someone else already holds it again: the next attempt reads theirs
      }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function lockFailure(dataDir: string, file: string, error: unknown): LifeboatError {
  return (
    dataFolderTrouble(dataDir, error) ??
    new LifeboatError('DATA_FOLDER_UNUSABLE', `Cannot write the engine lock ${file}: ${(error as Error).message}.`, {
      fix: 'Check that this account may write to the data folder, or choose another with --data DIR.',
      cause: error,
    })
  );
}

function writeLog(dataDir: string, log: ((message: string) => void) | undefined, message: string): void {
  try {
    if (log) log(message);
    else new RotatingLog(dataDir).write('warn', message);
  } catch {
    // the takeover stands; a log that cannot be written is not a reason to refuse the engine
  }
}

export function engineRunning(dataDir: string, holder: EngineLockInfo, program: string | null = null): LifeboatError {
  const who = { agent: 'The Lifeboat agent', serve: 'A `lifeboat serve` console', desktop: 'The Lifeboat desktop app' }[holder.kind];
  const local = holder.hostname === os.hostname();
  const file = path.join(dataDir, LOCK_FILE);
  return new LifeboatError(
    'CONFLICT',
    `${who} (process ${holder.pid}${program ? ` "${program}"` : ''} on ${holder.hostname}, since ${holder.startedAt}) is already running the engine for ${dataDir}.`,
    {
      fix: holder.url
        ? `Open its console instead: ${holder.url.replace(/token=.*/, 'token=…')} (lifeboat serve prints the full link), or stop it first.`
        : local
          ? `Use that console, or stop process ${holder.pid} first; use --data to run a separate engine on another data folder.`
          : `Use that console, or stop it on ${holder.hostname} first. If no Lifeboat runs there any more, delete ${file}.`,
    },
  );
}

function lockHandle(dataDir: string, file: string, info: EngineLockInfo, tookOver: string | null): EngineLock {
  let released = false;
  const ours = (): boolean => {
    const text = readText(file);
    const current = text === null ? null : parseLock(text);
    return current?.pid === info.pid && current.startedAt === info.startedAt && current.hostname === info.hostname;
  };
  const release = (): void => {
    if (released) return;
    released = true;
    try {
      if (ours()) fs.rmSync(file, { force: true });
    } catch {
      // the data folder may be gone; there is nothing left to release
    }
  };
  process.once('exit', release);
  return {
    info,
    tookOver,
    setUrl(url) {
      info.url = url;
      replaceAtomically(dataDir, file, JSON.stringify(info));
    },
    release() {
      process.off('exit', release);
      release();
    },
  };
}
