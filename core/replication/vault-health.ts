import fs from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { VaultHealth } from '../contract/vault-health';
import type { RoomDeps } from '../service-context';
import { AlertsStore } from '../store/alerts';
import { RecoveryPointsStore } from '../store/recovery-points';
import { VaultHealthStore, type VaultHealthRecord } from '../store/vault-health';
import { openRawBackend } from '../vault/backends/open';
import type { Backend } from '../vault/backends/types';
import { readConfig } from '../vault/vault';
import { storedCredentials } from '../vault/target-credentials';

/** What this module needs from the engine (see RoomDeps). */
export type VaultHealthDeps = RoomDeps<'bus' | 'clock' | 'db' | 'secrets' | 'targets'>;

/** Re-measure the bytes a vault holds at most this often (a walk or a full listing is not free). */
const MEASURE_EVERY_MS = 10 * 60_000;
/** A vault that does not answer within this is unavailable for this heartbeat. */
const CHECK_TIMEOUT_MS = 20_000;

/**
 * Checks every vault target on the heartbeat: reachable, config readable, space left, bytes really held.
 * What it finds is stored (vault_health) and turns RPO status, the Dashboard and the tray red while a
 * vault is down. Checks never overlap; a finished copy makes the next check measure the bytes again.
 */
export class VaultHealthMonitor {
  private running: Promise<void> | null = null;
  private stale = new Set<string>();
  /** Aborted by close(): a check in flight stops at its next call and writes nothing to a closing catalog. */
  private readonly closing = new AbortController();
  private readonly store: VaultHealthStore;
  private readonly alerts: AlertsStore;

  constructor(private readonly ctx: VaultHealthDeps) {
    this.store = new VaultHealthStore(ctx.db);
    this.alerts = new AlertsStore(ctx.db);
    ctx.bus.subscribe((event) => {
      if (event.type === 'job.finished') this.stale = new Set(ctx.targets.list().map((t) => t.id));
    });
  }

  list(): VaultHealth[] {
    return this.store.list();
  }

  /** Starts a check of every target unless one is still running; resolves when that check ends. */
  check(): Promise<void> {
    if (this.closing.signal.aborted) return Promise.resolve();
    this.running ??= this.checkAll().finally(() => (this.running = null));
    return this.running;
  }

  /** Stops the check in flight (if any) and waits for it, so nothing touches the catalog after it closes. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.running;
  }

  private async checkAll(): Promise<void> {
    this.store.prune();
    const before = new Map(this.store.list().map((h) => [h.targetId, h]));
    let changed = false;
    for (const target of this.ctx.targets.list()) {
      const previous = before.get(target.id) ?? null;
      const record = await this.checkOne(target.id, target.location.path, previous);
      if (this.closing.signal.aborted) return;
      this.store.save(record);
      this.alert(target.name, record);
      changed ||= previous?.state !== record.state || previous?.bytesUsed !== record.bytesUsed || previous?.problem !== record.problem;
    }
    if (changed) this.ctx.bus.emit({ type: 'vault.health' });
  }

  /** One alert per vault that is down (not one per VM behind it); cleared once it answers again. */
  private alert(name: string, record: VaultHealthRecord): void {
    const now = this.ctx.clock.now();
    if (record.state !== 'unavailable' && record.state !== 'damaged') {
      this.alerts.clear('vault', record.targetId, now);
      return;
    }
    const message =
      `The vault "${name}" is ${record.state}: nothing can be copied to it or restored from it. ${record.problem ?? ''}`.trim();
    const raised = this.alerts.raise({ kind: 'vault', subject: record.targetId, severity: 'critical', message, fix: record.fix }, now);
    if (raised)
      this.ctx.bus.emit({
        type: 'alert.raised',
        alert: { id: raised.id, severity: raised.severity, message: raised.message, ...(raised.fix ? { fix: raised.fix } : {}) },
      });
  }

  private async checkOne(targetId: string, location: string, previous: VaultHealth | null): Promise<VaultHealthRecord> {
    const now = this.ctx.clock.now().toISOString();
    const base = {
      targetId,
      checkedAt: now,
      problem: null,
      fix: null,
      bytesUsed: previous?.bytesUsed ?? null,
      measuredAt: previous?.measuredAt ?? null,
      freeBytes: null,
    };
    let backend: Backend;
    try {
      backend = openRawBackend(location, storedCredentials(this.ctx, targetId));
    } catch (error) {
      return { ...base, ...down('unavailable', error) };
    }
    const signal = AbortSignal.any([AbortSignal.timeout(CHECK_TIMEOUT_MS), this.closing.signal]);
    try {
      try {
        await readConfig(withSignal(backend, signal));
      } catch (error) {
        const neverUsed = new RecoveryPointsStore(this.ctx.db).listForTarget(targetId).length === 0;
        if (error instanceof LifeboatError && error.code === 'VAULT_NOT_FOUND' && neverUsed)
          return { ...base, state: 'new', bytesUsed: null, measuredAt: null };
        return { ...base, ...down(error instanceof LifeboatError && error.code === 'VAULT_CORRUPT' ? 'damaged' : 'unavailable', error) };
      }
      const root = backend.capabilities.localRoot;
      const freeBytes = root !== null ? await freeSpace(root) : null;
      const due =
        previous?.measuredAt == null || this.stale.has(targetId) || Date.parse(now) - Date.parse(previous.measuredAt) >= MEASURE_EVERY_MS;
      if (!due) return { ...base, state: 'ok', freeBytes };
      this.stale.delete(targetId);
      const bytesUsed =
        root !== null ? await folderBytes(root, signal) : (await backend.list('', { signal })).reduce((sum, o) => sum + o.size, 0);
      return { ...base, state: 'ok', freeBytes, bytesUsed, measuredAt: now };
    } catch (error) {
      return { ...base, ...down('unavailable', error) };
    } finally {
      await backend.close().catch(() => undefined);
    }
  }
}

function down(state: 'unavailable' | 'damaged', error: unknown): Pick<VaultHealthRecord, 'state' | 'problem' | 'fix'> {
  const fix =
    error instanceof LifeboatError && error.fix
      ? error.fix
      : 'Check the vault is reachable from this machine: the path, share or disk, or the account, credentials and network.';
  return { state, problem: (error as Error).message, fix };
}

/** The backend with every call under one deadline, so a hung share cannot stall the heartbeat. */
function withSignal(backend: Backend, signal: AbortSignal): Backend {
  return new Proxy(backend, {
    get(target, key, receiver) {
      if (key === 'get') return (k: string) => target.get(k, undefined, { signal });
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

async function freeSpace(root: string): Promise<number | null> {
  const stats = await fs.statfs(root).catch(() => null);
  return stats ? stats.bavail * stats.bsize : null;
}

/** Apparent bytes of the folder, its files and its subfolders: what `du -sb` prints. */
export async function folderBytes(root: string, signal?: AbortSignal): Promise<number> {
  signal?.throwIfAborted();
  let total = (await fs.lstat(root)).size;
  for (const entry of await fs.readdir(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    total += entry.isDirectory() ? await folderBytes(full, signal) : (await fs.lstat(full)).size;
  }
  return total;
}
