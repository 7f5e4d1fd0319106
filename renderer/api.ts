import type { ConsoleClient } from '../core/contract/api';
import type { CallResult, LifeboatBridge, StreamState } from '../core/contract/bridge';
import { isErrorBody, LifeboatError } from '../core/contract/errors';
import type { ConsoleEvent, ConsoleEventType } from '../core/contract/events';

declare global {
  interface Window {
    /** Present in the Electron window (see electron/preload.ts); absent in browser mode. */
    lifeboat?: LifeboatBridge;
  }
}

const TOKEN_KEY = 'lifeboat-token';

/**
 * Browser mode's access token: taken from the printed link's fragment (#token=…, never sent to a server)
 * into this origin's storage — per port, so no other service on 127.0.0.1 can read it — and out of the
 * address bar. A fresh link always replaces what an older session left.
 */
function accessToken(): string | null {
  const match = /^#token=([^&/]+)/.exec(window.location.hash);
  if (match) {
    window.localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]!));
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return window.localStorage.getItem(TOKEN_KEY);
}

// At once, before anything renders: the token leaves the address bar (and its history entry) straight away.
if (!window.lifeboat) {
  accessToken();
  // A new link pasted into a tab already on this console only changes the fragment: take it and start over.
  window.addEventListener('hashchange', () => {
    if (!window.location.hash.startsWith('#token=')) return;
    accessToken();
    window.location.reload();
  });
}

const authorization = (): Record<string, string> => {
  const token = window.lifeboat ? null : accessToken();
  return token ? { authorization: `Bearer ${token}` } : {};
};

/** Server-Sent Events are named: a type left out here would never reach the console, so the compiler checks they are all listed. */
const EVENT_TYPES: Record<ConsoleEventType, true> = {
  'settings.changed': true,
  'inventory.changed': true,
  'job.started': true,
  'job.progress': true,
  'job.finished': true,
  'job.step': true,
  'alert.raised': true,
  'vault.health': true,
  'catalog.changed': true,
};

/** Browser mode: POST /api/<method> with the access token as a Bearer header. */
const httpBridge: LifeboatBridge = {
  async invoke(method, input) {
    let response: Response;
    try {
      response = await fetch(`api/${encodeURIComponent(method)}`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', ...authorization() },
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
    const types = Object.keys(EVENT_TYPES) as ConsoleEventType[];
    const onMessage = (message: MessageEvent<string>): void => listener(JSON.parse(message.data) as ConsoleEvent);
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let closed = false;
    const open = (): void => {
      // EventSource sends no header: it presents a one-time ticket, asked for with the token just now.
      void fetch('api/eventTicket', { method: 'POST', credentials: 'omit', headers: authorization() }).then(
        async (response) => {
          if (response.status === 401) return onState?.('signed-out');
          if (!response.ok) return again();
          const { ticket } = (await response.json()) as { ticket: string };
          source = new EventSource(`api/events?ticket=${encodeURIComponent(ticket)}`);
          for (const type of types) source.addEventListener(type, onMessage);
          source.onopen = () => onState?.('live');
          source.onerror = () => {
            // The browser's own retry would present the used ticket again: close, and ask for a new one.
            source?.close();
            again();
          };
        },
        () => again(),
      );
    };
    const again = (): void => {
      onState?.('lost');
      if (!closed) retry = setTimeout(open, 2000);
    };
    open();
    return () => {
      closed = true;
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
