import fs from 'node:fs';
import os from 'node:os';
import { LifeboatError } from '../contract/errors';
import { isNotFound, type Backend } from './backends/types';
import { idOf, keys, prefixes, randomId } from './format';

/**
 * Lock objects (`locks/<id>`, plaintext JSON, see FORMAT.md). 'write' (backup) excludes writers of other
 * processes — another console or machine — but not this process's own: the engine runs copies side by side
 * and coordinates them itself. 'exclusive' (prune) excludes everyone, because it deletes packs no manifest
 * names yet, as a running backup's packs are. 'read' (restore, verify) only excludes 'exclusive'.
 * A holder refreshes its lock; one not refreshed for LOCK_TTL is stale. A lock whose holder is provably
 * gone is taken over (removed, and logged) by the next run, fresh or stale; any other stale lock is reported
 * and broken only on request (`lifeboat vault unlock`). Provably gone means: written on this host (same
 * hostname) and either this machine has restarted since (Linux boot id), no process has that pid, or the
 * process with that pid started at another time than the holder (a reused pid: Linux /proc/<pid>/stat field
 * 22). A lock from another host is never provably gone. Where a process's start time cannot be read (Windows,
 * macOS: Node gives no other process's start time), a live pid counts as the holder: the safe side.
 * Lock objects are written with the backend's atomic put (a folder: temporary file, flush, rename).
 */
export type LockKind = 'read' | 'write' | 'exclusive';

export interface LockInfo {
  id: string;
  kind: LockKind;
  host: string;
  pid: number;
  operation: string;
  started: string;
  refreshed: string;
  /** When the holder's process started (all platforms; from Node's uptime, to the millisecond or so): for people. */
  processStarted?: string;
  /** Linux: /proc/sys/kernel/random/boot_id of the holder's machine when it took the lock. */
  bootId?: string;
  /** Linux: the holder's start time in clock ticks after boot (/proc/<pid>/stat field 22), as text. */
  startTicks?: string;
}

export const LOCK_TTL_MS = 5 * 60_000;
const REFRESH_MS = 60_000;

/** Linux: this boot's id; null elsewhere or when unreadable. */
export function currentBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Linux: when process `pid` started, in clock ticks after boot (field 22 of /proc/<pid>/stat); null if unknown. */
export function processStartTicks(pid: number): string | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (the command) is in parentheses and may hold spaces or ')': fields 3… follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[22 - 3];
  return ticks && /^\d+$/.test(ticks) ? ticks : null;
}

/** What identifies this process in its locks, beyond host and pid. */
function ownIdentity(): Pick<LockInfo, 'processStarted' | 'bootId' | 'startTicks'> {
  const bootId = currentBootId();
  const startTicks = processStartTicks(process.pid);
  return {
    processStarted: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    ...(bootId && startTicks ? { bootId, startTicks } : {}),
  };
}

function conflicts(mine: LockKind, theirs: LockInfo): boolean {
  if (mine === 'exclusive' || theirs.kind === 'exclusive') return true;
  return mine === 'write' && theirs.kind === 'write' && !heldHere.has(theirs.id);
}

function processGone(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false; // not a pid we can ask about (e.g. an unreadable lock)
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Locks this process holds right now; one of ours that is not here was left by a run whose release failed. */
const heldHere = new Set<string>();

/**
 * Why the holder of `lock` is provably gone, or null if it may still be at work. Only a lock written on this
 * host can be proven gone; see the comment at the top for the rules.
 */
export function holderGone(lock: LockInfo): string | null {
  if (lock.host !== os.hostname()) return null;
  const bootId = currentBootId();
  if (lock.bootId && bootId && lock.bootId !== bootId) return 'this machine has restarted since it took the lock';
  if (lock.pid === process.pid) {
    if (lock.startTicks !== undefined && bootId && lock.startTicks !== processStartTicks(process.pid))
      return `pid ${lock.pid} is now this process, started later`;
    return heldHere.has(lock.id) ? null : 'it was left by an earlier run of this process';
  }
  if (processGone(lock.pid)) return `no process has pid ${lock.pid} any more`;
  if (lock.startTicks !== undefined && lock.bootId && lock.bootId === bootId) {
    const ticks = processStartTicks(lock.pid);
    if (ticks !== null && ticks !== lock.startTicks) return `pid ${lock.pid} now belongs to another program (started at another time)`;
  }
  return null;
}

export function lockState(lock: LockInfo, now: number): 'live' | 'stale' | 'dead' {
  if (holderGone(lock) !== null) return 'dead';
  return now - Date.parse(lock.refreshed) > LOCK_TTL_MS ? 'stale' : 'live';
}

/** Where lock take-overs are told: the CLI's stderr, the engine's log. */
export type LockLog = (message: string) => void;

const stderrLog: LockLog = (message) => void process.stderr.write(`lifeboat: ${message}\n`);

export async function readLocks(backend: Backend): Promise<LockInfo[]> {
  const locks: LockInfo[] = [];
  for (const object of await backend.list(prefixes.locks)) {
    try {
      locks.push(JSON.parse((await backend.get(object.key)).toString('utf8')) as LockInfo);
    } catch (error) {
      if (!isNotFound(error)) {
        // An unreadable lock object still blocks: treat it as live from an unknown holder.
        locks.push({
          id: idOf(object.key),
          kind: 'exclusive',
          host: '?',
          pid: 0,
          operation: 'unknown',
          started: '',
          refreshed: new Date().toISOString(),
        });
      }
    }
  }
  return locks;
}

export class VaultLock {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly backend: Backend,
    readonly info: LockInfo,
  ) {}

  static async acquire(
    backend: Backend,
    kind: LockKind,
    operation: string,
    options: { log?: LockLog | undefined } = {},
  ): Promise<VaultLock> {
    await clearDeadLocks(backend, kind, options.log ?? stderrLog);
    const now = new Date().toISOString();
    const info: LockInfo = {
      id: randomId(8),
      kind,
      host: os.hostname(),
      pid: process.pid,
      operation,
      started: now,
      refreshed: now,
      ...ownIdentity(),
    };
    const lock = new VaultLock(backend, info);
    // Known here before it exists there, so a sibling copy starting now neither fears it nor clears it as dead.
    heldHere.add(info.id);
    try {
      await lock.write();
      // Check after writing: of two runs that start together, both see each other and both back off.
      const others = (await readLocks(backend)).filter((other) => other.id !== info.id && conflicts(kind, other));
      const blocking = others.filter((other) => lockState(other, Date.now()) !== 'dead');
      if (blocking.length > 0) {
        await backend.delete(keys.lock(info.id)).catch(() => undefined);
        throw lockedError(blocking[0]!);
      }
    } catch (error) {
      heldHere.delete(info.id);
      throw error;
    }
    lock.timer = setInterval(() => void lock.write().catch(() => undefined), REFRESH_MS);
    lock.timer.unref();
    return lock;
  }

  private async write(): Promise<void> {
    this.info.refreshed = new Date().toISOString();
    await this.backend.put(keys.lock(this.info.id), Buffer.from(JSON.stringify(this.info)));
  }

  /** Whether another backup, here or on another machine, is writing to the vault right now. */
  async othersWriting(): Promise<boolean> {
    const now = Date.now();
    return (await readLocks(this.backend)).some(
      (other) => other.id !== this.info.id && other.kind === 'write' && lockState(other, now) === 'live',
    );
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    heldHere.delete(this.info.id);
    await this.backend.delete(keys.lock(this.info.id)).catch(() => undefined);
  }
}

async function clearDeadLocks(backend: Backend, kind: LockKind, log: LockLog): Promise<void> {
  for (const lock of await readLocks(backend)) {
    if (!conflicts(kind, lock)) continue;
    const reason = holderGone(lock);
    if (reason === null) continue;
    await backend.delete(keys.lock(lock.id));
    // A lock this process left itself (a failed release) is housekeeping, not news.
    const ours = lock.host === os.hostname() && lock.pid === process.pid && (lock.startTicks ?? null) === processStartTicks(process.pid);
    if (!ours) {
      log(
        `Took over the vault lock of ${lock.operation} on ${lock.host} (pid ${lock.pid}, started ${lock.started}, last seen ${lock.refreshed}): ${reason}.`,
      );
    }
  }
}

/** VAULT_LOCKED, telling a holder that is at work (wait) from one that looks gone (someone must unlock). */
export class VaultLockedError extends LifeboatError {
  constructor(
    message: string,
    fix: string,
    readonly stale: boolean,
  ) {
    super('VAULT_LOCKED', message, { fix });
  }
}

function lockedError(lock: LockInfo): VaultLockedError {
  const state = lockState(lock, Date.now());
  const who = `${lock.operation} on ${lock.host} (pid ${lock.pid}, started ${lock.started}, last seen ${lock.refreshed})`;
  if (state === 'stale') {
    return new VaultLockedError(
      `The vault is locked by ${who}, and that lock looks stale: it has not been refreshed for over ${LOCK_TTL_MS / 60_000} minutes.`,
      `If that run is surely over, break the lock with \`lifeboat vault unlock <location>\` and try again.`,
      true,
    );
  }
  return new VaultLockedError(`The vault is in use by ${who}.`, 'Wait for that run to finish, then try again.', false);
}

/** `vault unlock`: removes stale and dead locks, or with `all` every lock. Returns what was removed. */
export async function breakLocks(backend: Backend, all: boolean): Promise<LockInfo[]> {
  const removed: LockInfo[] = [];
  const now = Date.now();
  for (const lock of await readLocks(backend)) {
    if (all || lockState(lock, now) !== 'live') {
      await backend.delete(keys.lock(lock.id));
      removed.push(lock);
    }
  }
  return removed;
}
