import type { ConsoleClient } from '../core/contract/api';
import type { CallResult, LifeboatBridge, StreamState } from '../core/contract/bridge';
import { isErrorBody, LifeboatError } from '../core/contract/errors';
import type { ConsoleEvent } from '../core/contract/events';

declare global {
  interface Window {
    /** Present in the Electron window (see electron/preload.ts); absent in browser mode. */
    lifeboat?: LifeboatBridge;
  }
}

/** Browser mode: POST /api/<method>; the access token travels in the HttpOnly cookie set by the printed link. */
const httpBridge: LifeboatBridge = {
  async invoke(method, input) {
    let response: Response;
    try {
      response = await fetch(`api/${encodeURIComponent(method)}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input ?? {}),
      });
    } catch {
      return {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: 'The Lifeboat engine is not answering.',
          fix: 'Check that `lifeboat serve` (or the Lifeboat service) is still running, then reload this page.',
        },
      };
    }
    const body: unknown = await response.json().catch(() => null);
    if (response.ok) return { ok: true, result: body };
    const error = (body as { error?: unknown } | null)?.error;
    return {
      ok: false,
      error: isErrorBody(error) ? error : { code: 'INTERNAL', message: `The engine answered ${response.status}.` },
    } satisfies CallResult;
  },
  subscribe(listener, onState) {
    const types: ConsoleEvent['type'][] = ['settings.changed', 'inventory.changed', 'job.started', 'job.progress', 'job.finished', 'alert.raised', 'vault.health'];
    const onMessage = (message: MessageEvent<string>): void => listener(JSON.parse(message.data) as ConsoleEvent);
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const open = (): void => {
      source = new EventSource('api/events', { withCredentials: true });
      for (const type of types) source.addEventListener(type, onMessage);
      source.onopen = () => onState?.('live');
      source.onerror = () => {
        // CONNECTING: the browser retries by itself (the engine restarting). CLOSED: it gave up, which an
        // engine answering 401 causes (a new access token); anything else is tried again here.
        if (source?.readyState !== EventSource.CLOSED) return onState?.('lost');
        source.close();
        void fetch('api/methods', { credentials: 'same-origin' }).then(
          (response) => (response.status === 401 ? onState?.('signed-out') : again()),
          () => again(),
        );
      };
    };
    const again = (): void => {
      onState?.('lost');
      retry = setTimeout(open, 2000);
    };
    open();
    return () => {
      if (retry) clearTimeout(retry);
      source?.close();
    };
  },
};

const bridge: LifeboatBridge = window.lifeboat ?? httpBridge;

/** The whole ConsoleApi, typed: `await api.getSettings()`. Failures reject with a LifeboatError. */
export const api = new Proxy({} as ConsoleClient, {
  get:
    (_target, method) =>
    async (input?: unknown): Promise<unknown> => {
      const result = await bridge.invoke(String(method), input ?? {});
      if (result.ok) return result.result;
      throw LifeboatError.fromBody(result.error);
    },
});

const listeners = new Set<(event: ConsoleEvent) => void>();
const stateListeners = new Set<(state: StreamState) => void>();
let streamState: StreamState = 'live';
let unsubscribeBridge: (() => void) | null = null;

function connectBridge(): void {
  unsubscribeBridge ??= bridge.subscribe(
    (event) => {
      for (const each of [...listeners]) each(event);
    },
    (state) => {
      if (state === streamState) return;
      streamState = state;
      for (const each of [...stateListeners]) each(state);
    },
  );
}

function disconnectBridge(): void {
  if (listeners.size === 0 && stateListeners.size === 0 && unsubscribeBridge) {
    unsubscribeBridge();
    unsubscribeBridge = null;
  }
}

/**
 * Every component listens through one bridge subscription: in browser mode each subscription is an
 * EventSource, and a page with many live parts would otherwise use up the browser's six connections per host.
 */
export function subscribe(listener: (event: ConsoleEvent) => void): () => void {
  listeners.add(listener);
  connectBridge();
  return () => {
    listeners.delete(listener);
    disconnectBridge();
  };
}

/** Hears the event stream drop and return; whatever was missed meanwhile is only known by loading again. */
export function subscribeStreamState(listener: (state: StreamState) => void): () => void {
  stateListeners.add(listener);
  connectBridge();
  return () => {
    stateListeners.delete(listener);
    disconnectBridge();
  };
}

export function currentStreamState(): StreamState {
  return streamState;
}

export const transport: 'electron' | 'browser' = window.lifeboat ? 'electron' : 'browser';
