import type { ConsoleClient } from '../contract/api';
import { isErrorBody, LifeboatError } from '../contract/errors';
import type { ConsoleEvent, EventListener } from '../contract/events';

export interface RemoteEngine {
  client: ConsoleClient;
  /** Server-Sent Events from the engine; reconnects until unsubscribed. `onOpen` runs on each (re)connect. */
  subscribe(listener: EventListener, onOpen?: () => void): () => void;
}

/**
 * The ConsoleApi of an engine in another process (the agent), over its 127.0.0.1 HTTP transport. Used by the
 * desktop app when an agent already runs the data folder, and by CLI commands that must not start a second
 * engine.
 */
export function connectToEngine(origin: string, token: string): RemoteEngine {
  const headers = { authorization: `Bearer ${token}` };
  const client = new Proxy({} as ConsoleClient, {
    get: (_target, method) => async (input?: unknown) => {
      let response: Response;
      try {
        response = await fetch(`${origin}/api/${encodeURIComponent(String(method))}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(input ?? {}),
        });
      } catch (error) {
        throw new LifeboatError('HOST_UNREACHABLE', `The Lifeboat engine at ${origin} is not answering.`, {
          fix: 'Check that the Lifeboat agent is running (systemctl status lifeboat-agent, or the Windows task), then try again.',
          cause: error,
        });
      }
      const body: unknown = await response.json().catch(() => null);
      if (response.ok) return body;
      const error = (body as { error?: unknown } | null)?.error;
      throw isErrorBody(error) ? LifeboatError.fromBody(error) : new LifeboatError('INTERNAL', `The engine answered ${response.status}.`);
    },
  });

  const subscribe = (listener: EventListener, onOpen?: () => void): (() => void) => {
    const controller = new AbortController();
    const pump = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        try {
          const response = await fetch(`${origin}/api/events`, { headers, signal: controller.signal });
          if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
          onOpen?.();
          let buffer = '';
          const decoder = new TextDecoder();
          for await (const chunk of response.body) {
            buffer += decoder.decode(chunk as Uint8Array, { stream: true });
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = frame.split('\n').find((line) => line.startsWith('data: '));
              if (data) listener(JSON.parse(data.slice('data: '.length)) as ConsoleEvent);
            }
          }
        } catch {
          if (controller.signal.aborted) return;
        }
        // The engine restarted or the stream dropped: try again shortly, as EventSource would.
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    };
    void pump();
    return () => controller.abort();
  };

  return { client, subscribe };
}
