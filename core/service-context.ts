import type { AuditLog } from './audit/log';
import type { HostConnector } from './hosts/connector';
import type { JobQueue } from './jobs/queue';
import type { Clock } from './clock';
import type { EventBus } from './event-bus';
import type { SecretBox } from './secrets/secret-box';
import type { Db } from './store/database';
import type { SecretsStore } from './store/secrets';
import type { SettingsStore } from './store/settings';
import type { TargetsStore } from './store/targets';

/**
 * Everything createService builds once and shares: the catalog, time, the event bus, the shared stores and
 * the lifecycle hooks. No room takes all of it: each names the part it uses as RoomDeps<…> at its top (and
 * a room that needs another room's work, like protection needing failover's recovered copies, takes it as
 * an explicit argument). A room keeps its own stores and workers and registers their shutdown with onClose.
 */
export interface ServiceContext {
  readonly dataDir: string;
  readonly db: Db;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly secretBox: SecretBox;
  readonly settings: SettingsStore;
  readonly targets: TargetsStore;
  readonly secrets: SecretsStore;
  /** Catalog hosts to connected hypervisors (runs, drills, leftovers, discovery share it). */
  readonly hosts: HostConnector;
  /** Every long-running piece of work (runs, drills, exports) goes through this queue. */
  readonly jobs: JobQueue;
  /** Every change to protection is appended here, with `operator` as the actor for user actions. */
  readonly audit: AuditLog;
  /** The account the console acts for: user actions are audited under this name. */
  readonly operator: string;
  /** Runs when the service closes, in reverse order of registration, before the catalog is closed. */
  onClose(cleanup: () => void | Promise<void>): void;
  /**
   * Background work (scheduler, watchdog) starts only in a long-running engine — serve, agent, desktop —
   * never in one-shot CLI commands that open the same catalog.
   */
  onStartBackground(start: () => void): void;
  /** Work the engine's once-a-minute heartbeat does (schedules, watchdogs); only in a long-running engine. */
  onTick(tick: () => void): void;
}

/**
 * The part of the context one room uses, named by the room (`type ReportsDeps = RoomDeps<'db' | 'clock'>`):
 * a reader sees at the top of a room what it depends on, and the compiler keeps it to that.
 */
export type RoomDeps<K extends keyof ServiceContext> = Pick<ServiceContext, K>;
