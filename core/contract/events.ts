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
  /** A vault's health check found something new (down, back, or a new size): re-read RPO status and storage. */
  | { type: 'vault.health' }
  | { type: 'alert.raised'; alert: { id: string; severity: 'info' | 'warning' | 'critical'; message: string; fix?: string } };

export type ConsoleEventType = ConsoleEvent['type'];

export type EventListener = (event: ConsoleEvent) => void;
