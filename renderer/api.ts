import type { ConsoleClient } from '../core/contract/api';
import type { CallResult, LifeboatBridge } from '../core/contract/bridge';
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
  subscribe(listener) {
    const source = new EventSource('api/events', { withCredentials: true });
    const onMessage = (message: MessageEvent<string>): void => listener(JSON.parse(message.data) as ConsoleEvent);
    const types: ConsoleEvent['type'][] = ['settings.changed', 'inventory.changed', 'job.started', 'job.progress', 'job.finished', 'alert.raised', 'vault.health'];
    for (const type of types) source.addEventListener(type, onMessage);
    return () => source.close();
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
let unsubscribeBridge: (() => void) | null = null;

/**
 * Every component listens through one bridge subscription: in browser mode each subscription is an
 * EventSource, and a page with many live parts would otherwise use up the browser's six connections per host.
 */
export function subscribe(listener: (event: ConsoleEvent) => void): () => void {
  listeners.add(listener);
  unsubscribeBridge ??= bridge.subscribe((event) => {
    for (const each of [...listeners]) each(event);
  });
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && unsubscribeBridge) {
      unsubscribeBridge();
      unsubscribeBridge = null;
    }
  };
}

export const transport: 'electron' | 'browser' = window.lifeboat ? 'electron' : 'browser';
