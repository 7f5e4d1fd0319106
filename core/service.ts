import { randomBytes } from 'node:crypto';
import { schedule, type ScheduledTask } from 'node-cron';
import os from 'node:os';
import { auditApi } from './audit/api';
import { announcingChanges } from './change-events';
import { diagnosticsApi } from './diagnostics/api';
import { AUDIT_MAC_LABEL, AuditLog } from './audit/log';
import type { ConsoleApi } from './contract/api';
import type { EventListener } from './contract/events';
import { systemClock, type Clock } from './clock';
import { ConsoleSessions } from './console-session';
import { EventBus } from './event-bus';
import { hostsApi } from './hosts/api';
import { releaseLeftovers } from './jobs/leftovers';
import { DEFAULT_LIMITS, JobQueue } from './jobs/queue';
import { HostConnector, type Providers } from './hosts/connector';
import { drillsApi } from './drills/api';
import { scheduleDrills } from './drills/drill-scheduler';
import { overviewApi } from './overview/api';
import { plansApi } from './drills/plans-api';
import { failoverRoom } from './failover/api';
import { notificationsApi } from './notify/api';
import { protectionApi } from './replication/api';
import { targetsApi } from './replication/targets';
import { catalogRebuildApi } from './replication/catalog-rebuild';
import { reportsApi } from './reports/api';
import { vaultHealthApi } from './replication/vault-health-api';
import { restoreApi } from './restore/api';
import { JobsStore } from './store/jobs';
import { KeyFileSecretBox } from './secrets/key-file-box';
import type { SecretBox } from './secrets/secret-box';
import type { ServiceContext } from './service-context';
import { settingsApi } from './settings/api';
import { vaultApi } from './vault/api';
import { openCatalog } from './store/database';
import { SecretsStore } from './store/secrets';
import { SettingsStore } from './store/settings';
import { TargetsStore } from './store/targets';

export interface ServiceConfig {
  dataDir: string;
  /** Electron passes its safeStorage box; headless modes default to the data folder's key file. */
  secretBox?: SecretBox;
  /** A box earlier starts sealed with and this one no longer uses: its secrets are sealed again with secretBox. */
  previousSecretBox?: SecretBox;
  clock?: Clock;
  /** Who user actions are audited as; defaults to the OS account running the engine. */
  operator?: string;
  /** false: no once-a-minute timer; the embedder (a test moving a clock) calls tick() itself. */
  heartbeat?: boolean;
  /** The hypervisor providers by host kind (default: Hyper-V, vSphere, Workstation as shipped). */
  providers?: Providers;
}

export interface LifeboatService {
  readonly api: ConsoleApi;
  readonly dataDir: string;
  subscribe(listener: EventListener): () => void;
  /**
   * Recovers from a previous process's death (jobs marked interrupted, what they held released), then
   * starts schedules and watchdogs. Call once, from the process that holds the engine lock.
   */
  startBackground(): Promise<void>;
  /** One heartbeat now: due runs start, the RPO watchdog looks, scheduled drills and reports fire. */
  tick(): void;
  /** Browser mode's token and port, kept across restarts. */
  readonly consoleSessions: ConsoleSessions;
  close(): Promise<void>;
}

export { VAULT_PASSPHRASE_SECRET } from './settings/api';

/**
 * Builds the engine from one config: opens the catalog, then lets each domain contribute its slice of the
 * ConsoleApi. The compiler checks that the slices together implement every method of the contract.
 */
export function createService(config: ServiceConfig): LifeboatService {
  const db = openCatalog(config.dataDir);
  const secretBox = config.secretBox ?? new KeyFileSecretBox(config.dataDir);
  const cleanups: (() => void | Promise<void>)[] = [];
  const starters: (() => void)[] = [];
  const tickers: (() => void)[] = [];
  let heartbeat: ScheduledTask | null = null;
  const tick = (): void => {
    for (const run of tickers) {
      try {
        run();
      } catch (error) {
        bus.emit({
          type: 'alert.raised',
          alert: { id: `tick-${Date.now()}`, severity: 'warning', message: `A scheduled check failed: ${(error as Error).message}` },
        });
      }
    }
  };
  const bus = new EventBus();
  const clock = config.clock ?? systemClock;
  const settings = new SettingsStore(db);
  const secrets = new SecretsStore(db, secretBox, config.previousSecretBox ?? null);
  const ctx: ServiceContext = {
    dataDir: config.dataDir,
    db,
    clock,
    bus,
    secretBox,
    settings,
    targets: new TargetsStore(db),
    secrets,
    audit: new AuditLog(db, settings, clock, () => auditMacKey(secretBox, secrets, clock)),
    jobs: new JobQueue(new JobsStore(db), bus, clock, () => settings.get('concurrency') ?? DEFAULT_LIMITS),
    hosts: new HostConnector(db, secrets, config.providers),
    operator: config.operator ?? currentUser(),
    onClose: (cleanup) => cleanups.push(cleanup),
    onStartBackground: (start) => starters.push(start),
    onTick: (run) => tickers.push(run),
  };

  // Rooms register background work in the order they are built, and two orders matter: the drills room
  // marks interrupted drills before the failover room looks for interrupted failovers, and protection
  // copies a failed-over VM from where it runs now, so it is built with the failover room's lookup.
  const drills = drillsApi(ctx);
  const failover = failoverRoom(ctx);
  const protection = protectionApi(ctx, failover.recoveredCopyOf);
  const domains: ConsoleApi = {
    ...settingsApi(ctx),
    ...auditApi(ctx),
    ...diagnosticsApi(ctx),
    ...protection,
    ...targetsApi(ctx),
    ...vaultHealthApi(ctx),
    ...catalogRebuildApi(ctx),
    ...notificationsApi(ctx),
    ...plansApi(ctx),
    ...drills,
    ...failover.api,
    ...hostsApi(ctx),
    ...reportsApi(ctx),
    ...vaultApi(ctx),
    ...overviewApi(ctx),
    // A VM restored as a new one is listed by the hosts room's discovery, called when the restore ends.
    ...restoreApi(ctx, (hostId) => api.discover({ hostId })),
  };
  // Every open console hears what a call changed, whichever transport (or the engine itself) made it.
  const api = announcingChanges(domains, (event) => bus.emit(event));
  scheduleDrills(ctx, (planId) => api.startDrill({ planId, notes: 'Scheduled drill' }));

  let closing: Promise<void> | null = null;
  let started = false;
  return {
    api,
    dataDir: config.dataDir,
    subscribe: (listener) => bus.subscribe(listener),
    tick,
    consoleSessions: new ConsoleSessions(secrets, settings, clock),
    startBackground: async () => {
      if (started) return;
      started = true;
      // A process that died mid-job left its jobs "running": they are interrupted, and what they held (a
      // checkpoint, a sandbox VM, restored files) is given back before any new run could trip over it.
      new JobsStore(db).markInterrupted(clock.now());
      const { failed } = await releaseLeftovers({ jobs: new JobsStore(db), connect: (hostId) => ctx.hosts.connect(hostId) });
      for (const { jobId, error } of failed) {
        bus.emit({
          type: 'alert.raised',
          alert: {
            id: `leftover-${jobId}`,
            severity: 'warning',
            message: `Something a stopped job held could not be released: ${error.message}`,
            ...(error.fix ? { fix: error.fix } : {}),
          },
        });
      }
      for (const start of starters) start();
      if (config.heartbeat !== false) heartbeat = schedule('* * * * *', tick, { name: 'lifeboat-heartbeat', noOverlap: true });
    },
    close: () =>
      (closing ??= (async () => {
        // Every step runs even when one before it fails (its data folder gone, a host not answering), so the
        // catalog is always closed; the failures are reported together afterwards.
        const failures: unknown[] = [];
        const attempt = async (step: () => unknown): Promise<void> => {
          try {
            await step();
          } catch (error) {
            failures.push(error);
          }
        };
        await attempt(() => heartbeat?.destroy());
        for (const cleanup of cleanups.reverse()) await attempt(cleanup);
        await attempt(() => ctx.jobs.close());
        await attempt(() => db.close());
        if (failures.length === 1) throw failures[0];
        if (failures.length > 1) throw new AggregateError(failures, failures.map((error) => (error as Error).message).join('; '));
      })()),
  };
}

/** The audit log's MAC key: derived from the secret box's key where it can, else a random one it seals. */
function auditMacKey(box: SecretBox, secrets: SecretsStore, clock: Clock): Buffer {
  if (box.deriveKey) return box.deriveKey(AUDIT_MAC_LABEL);
  const id = 'audit-mac-key';
  const stored = secrets.has(id) ? secrets.get(id) : undefined;
  if (stored) return Buffer.from(stored, 'base64');
  const key = randomBytes(32);
  secrets.put(id, 'audit log MAC key', key.toString('base64'), clock.now());
  return key;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown user';
  }
}
