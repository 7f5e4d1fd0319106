import os from 'node:os';
import { LifeboatError } from '../contract/errors';
import { isNotFound, type Backend } from './backends/types';
import { idOf, keys, prefixes, randomId } from './format';

/**
 * Lock objects (`locks/<id>`, plaintext JSON, see FORMAT.md). 'write' (backup) excludes writers of other
 * processes — another console or machine — but not this process's own: the engine runs copies side by side
 * and coordinates them itself. 'exclusive' (prune) excludes everyone, because it deletes packs no manifest
 * names yet, as a running backup's packs are. 'read' (restore, verify) only excludes 'exclusive'.
 * A holder refreshes its lock; one not refreshed for LOCK_TTL is stale. A stale lock whose process is
 * provably gone (same host, no such pid) is removed by the next run; any other stale lock is reported and
 * broken only on request (`lifeboat vault unlock`).
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
}

export const LOCK_TTL_MS = 5 * 60_000;
const REFRESH_MS = 60_000;

function conflicts(mine: LockKind, theirs: LockInfo): boolean {
  if (mine === 'exclusive' || theirs.kind === 'exclusive') return true;
  return mine === 'write' && theirs.kind === 'write' && !heldHere.has(theirs.id);
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Locks this process holds right now; one of ours that is not here was left by a run whose release failed. */
const heldHere = new Set<string>();

export function lockState(lock: LockInfo, now: number): 'live' | 'stale' | 'dead' {
  if (lock.host === os.hostname()) {
    if (lock.pid === process.pid ? !heldHere.has(lock.id) : processGone(lock.pid)) return 'dead';
  }
  return now - Date.parse(lock.refreshed) > LOCK_TTL_MS ? 'stale' : 'live';
}

export async function readLocks(backend: Backend): Promise<LockInfo[]> {
  const locks: LockInfo[] = [];
  for (const object of await backend.list(prefixes.locks)) {
    try {
      locks.push(JSON.parse((await backend.get(object.key)).toString('utf8')) as LockInfo);
    } catch (error) {
      if (!isNotFound(error)) {
        // An unreadable lock object still blocks: treat it as live from an unknown holder.
        locks.push({ id: idOf(object.key), kind: 'exclusive', host: '?', pid: 0, operation: 'unknown', started: '', refreshed: new Date().toISOString() });
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

  static async acquire(backend: Backend, kind: LockKind, operation: string): Promise<VaultLock> {
    await clearDeadLocks(backend, kind);
    const now = new Date().toISOString();
    const info: LockInfo = { id: randomId(8), kind, host: os.hostname(), pid: process.pid, operation, started: now, refreshed: now };
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
    return (await readLocks(this.backend)).some((other) => other.id !== this.info.id && other.kind === 'write' && lockState(other, now) === 'live');
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    heldHere.delete(this.info.id);
    await this.backend.delete(keys.lock(this.info.id)).catch(() => undefined);
  }
}

async function clearDeadLocks(backend: Backend, kind: LockKind): Promise<void> {
  const now = Date.now();
  for (const lock of await readLocks(backend)) {
    if (conflicts(kind, lock) && lockState(lock, now) === 'dead') await backend.delete(keys.lock(lock.id));
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
