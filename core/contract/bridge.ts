import type { ErrorBody } from './errors';
import type { ConsoleEvent } from './events';

/**
 * What Electron's preload exposes to the renderer as `window.lifeboat`: two functions, generic over every
 * ConsoleApi method. Results travel in an envelope because Electron's IPC drops custom error fields.
 */
export type CallResult = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

export interface LifeboatBridge {
  invoke(method: string, input: unknown): Promise<CallResult>;
  subscribe(listener: (event: ConsoleEvent) => void): () => void;
}

export const IPC_INVOKE_CHANNEL = 'lifeboat:invoke';
export const IPC_EVENT_CHANNEL = 'lifeboat:event';
