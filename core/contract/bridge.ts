import type { ErrorBody } from './errors';
import type { ConsoleEvent } from './events';

/**
 * What Electron's preload exposes to the renderer as `window.lifeboat`: two functions, generic over every
 * ConsoleApi method. Results travel in an envelope because Electron's IPC drops custom error fields.
 */
export type CallResult = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

/** The event stream's state: live, lost (retrying by itself), or refused (the engine no longer knows this session). */
export type StreamState = 'live' | 'lost' | 'signed-out';

export interface LifeboatBridge {
  invoke(method: string, input: unknown): Promise<CallResult>;
  /** `onState` hears the stream drop and come back; a bridge whose stream cannot drop never calls it. */
  subscribe(listener: (event: ConsoleEvent) => void, onState?: (state: StreamState) => void): () => void;
}

export const IPC_INVOKE_CHANNEL = 'lifeboat:invoke';
export const IPC_EVENT_CHANNEL = 'lifeboat:event';
