import type { MethodName } from './api';
import type { ChangeTopic } from './define';
import type { Settings } from './types';
import type { BandwidthInForce } from './protection';

/**
 * Everything the engine pushes to a console. Plain JSON; every transport forwards the union unchanged
 * (IPC channel, Server-Sent Events, `lifeboat jobs --follow`).
 */
export type ConsoleEvent =
  | { type: 'settings.changed'; settings: Settings }
  | { type: 'inventory.changed'; hostId: string; added: number; removed: number; changed: number }
  | {
      type: 'job.progress';
      jobId: string;
      phase: string;
      bytesDone: number;
      bytesTotal: number;
      bytesPerSecond: number;
      etaSeconds: number | null;
      limit?: BandwidthInForce | null;
    }
  | { type: 'job.started'; jobId: string; kind: string; title: string }
  | { type: 'job.finished'; jobId: string; status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted'; message?: string }
  /** A running drill or failover started or finished a step of its timeline (steps that report no bytes too). */
  | { type: 'job.step'; jobId: string }
  /** A vault's health check found something new (down, back, or a new size): re-read RPO status and storage. */
  | { type: 'vault.health' }
  | { type: 'alert.raised'; alert: { id: string; severity: 'info' | 'warning' | 'critical'; message: string; fix?: string } }
  /** A ConsoleApi method that changes the catalog succeeded (whoever called it: a console, the CLI, a script). */
  | { type: 'catalog.changed'; topics: ChangeTopic[]; method: MethodName };

export type ConsoleEventType = ConsoleEvent['type'];

export type EventListener = (event: ConsoleEvent) => void;

/**
 * What an event says may have changed, in the topics read methods declare: a console asks again only what
 * reads them. Progress changes no catalog record a list shows (progress bars read the event itself).
 */
export function topicsOf(event: ConsoleEvent): readonly ChangeTopic[] {
  switch (event.type) {
    case 'catalog.changed':
      return event.topics;
    case 'settings.changed':
      return ['settings'];
    case 'inventory.changed':
      return ['hosts', 'vms'];
    case 'job.started':
      return ['jobs'];
    // A job that ends may have written recovery points, a drill or failover record with its action items,
    // vault space, report files, and raised or cleared alerts.
    case 'job.finished':
      return ['jobs', 'points', 'drills', 'actionItems', 'vaultHealth', 'alerts', 'reports'];
    case 'vault.health':
      return ['vaultHealth', 'alerts'];
    case 'alert.raised':
      return ['alerts'];
    case 'job.step':
      return ['drills'];
    case 'job.progress':
      return [];
  }
}
