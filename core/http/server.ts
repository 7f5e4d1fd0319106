import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { methods } from '../contract/api';
import { CONTENT_SECURITY_POLICY } from '../contract/csp';
import { dispatch } from '../contract/dispatch';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { ConsoleEvent } from '../contract/events';
import type { LifeboatService } from '../service';
import { readStaticFile } from './static-files';

export interface HttpServerOptions {
  service: LifeboatService;
  /** The built renderer (dist/renderer); null serves the API only. */
  staticDir: string | null;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  /** Seconds between SSE keep-alive comments; proxies and browsers drop idle streams. */
  keepAliveSeconds?: number;
}

export interface RunningServer {
  /** The address with the token as a query, for programs (the engine lock, `lifeboat` commands, the desktop app). */
  url: string;
  /** The link a person opens: the token in the fragment, which the browser never sends to a server. */
  link: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** How long an event-stream ticket may wait to be used (it is used once). */
const TICKET_SECONDS = 30;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Browser mode: the renderer and the ConsoleApi over HTTP, for hosts without a desktop and for e2e tests.
 * Bound to 127.0.0.1 only. Every API request needs the random token as a Bearer header (the event stream: a
 * one-time ticket asked for with it); the page keeps the token from its link's fragment in its own storage.
 * The Host header must name this server so a rebound DNS name cannot reach it.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const state: ServerState = { options, token, matches: tokenMatcher(token), tickets: ticketBook(), sseClients: new Set(), port: 0 };

  const server = http.createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => sendError(res, toLifeboatError(error)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  state.port = port;
  const origin = `http://${HOST}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    link: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of state.sseClients) client.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What every request is checked and served with; the port is known once the server listens. */
interface ServerState {
  options: HttpServerOptions;
  token: string;
  matches: (presented: string | null) => boolean;
  tickets: TicketBook;
  sseClients: Set<http.ServerResponse>;
  port: number;
}

function tokenMatcher(token: string): ServerState['matches'] {
  const tokenBytes = Buffer.from(token);
  return (presented) => {
    if (presented === null) return false;
    const bytes = Buffer.from(presented);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };
}

interface TicketBook {
  newTicket(): string;
  useTicket(ticket: string | null): boolean;
}

// EventSource cannot send a header: it presents a one-time ticket, asked for with the token just before.
function ticketBook(): TicketBook {
  const tickets = new Map<string, number>();
  return {
    newTicket: () => {
      const now = Date.now();
      for (const [ticket, expires] of tickets) if (expires < now) tickets.delete(ticket);
      const ticket = randomBytes(24).toString('base64url');
      tickets.set(ticket, now + TICKET_SECONDS * 1000);
      return ticket;
    },
    useTicket: (ticket) => {
      const expires = ticket === null ? undefined : tickets.get(ticket);
      if (expires === undefined) return false;
      tickets.delete(ticket!);
      return expires >= Date.now();
    },
  };
}

async function handle(state: ServerState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { port, matches, tickets } = state;
  setSecurityHeaders(res);
  const allowedHosts = [`${HOST}:${port}`, `localhost:${port}`];
  if (!allowedHosts.includes(req.headers.host ?? '')) {
    res.writeHead(421, { 'content-type': 'text/plain' }).end('Misdirected request: use the address printed by lifeboat serve.');
    return;
  }
  const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
  if (!url.pathname.startsWith('/api/')) return servePage(state, req, res, url);

  if (url.pathname === '/api/events' && req.method === 'GET') {
    if (!matches(bearer(req)) && !tickets.useTicket(url.searchParams.get('ticket'))) throw unauthorized();
    return openEventStream(state, req, res);
  }
  if (!matches(bearer(req))) throw unauthorized();
  if (url.pathname === '/api/eventTicket' && req.method === 'POST') return sendJson(res, 200, { ticket: tickets.newTicket() });
  if (url.pathname === '/api/methods' && req.method === 'GET') {
    return sendJson(
      res,
      200,
      Object.entries(methods).map(([name, spec]) => ({ name, summary: spec.summary })),
    );
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('Use POST for API methods.');
    return;
  }
  return callMethod(state, req, res, url.pathname.slice('/api/'.length));
}

// The page and its scripts hold no secret and are served to anyone here; the token lives in the page's
// own storage (per origin, so per port) and travels as a header, never as a cookie, which every
// service on 127.0.0.1 would be sent, and which an older session's would shadow.
function servePage(state: ServerState, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' }).end();
    return;
  }
  if (url.searchParams.has('token')) {
    if (!state.matches(url.searchParams.get('token'))) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(SIGN_IN_PAGE);
      return;
    }
    // A link with the token in its query: move it to the fragment, which no server or log ever sees.
    url.searchParams.delete('token');
    res.writeHead(303, { location: `${safePath(url.pathname)}${url.search}#token=${state.token}`, 'cache-control': 'no-store' }).end();
    return;
  }
  return serveStatic(state.options.staticDir, res, url.pathname);
}

async function callMethod(
  { options, port }: ServerState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
): Promise<void> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new LifeboatError('INVALID_INPUT', 'API requests must send JSON (content-type: application/json).');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${HOST}:${port}` && origin !== `http://localhost:${port}`) {
    throw new LifeboatError('UNAUTHORIZED', `Requests from ${origin} are not allowed.`);
  }
  const body = await readBody(req);
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new LifeboatError('INVALID_INPUT', 'The request body is not valid JSON.');
  }
  const result = await dispatch(options.service.api, method, input);
  sendJson(res, 200, result ?? null);
}

function openEventStream({ options, sseClients }: ServerState, req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
  const send = (event: ConsoleEvent): void => {
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const unsubscribe = options.service.subscribe(send);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), (options.keepAliveSeconds ?? 15) * 1000);
  sseClients.add(res);
  req.on('close', () => {
    clearInterval(keepAlive);
    unsubscribe();
    sseClients.delete(res);
  });
}

function serveStatic(staticDir: string | null, res: http.ServerResponse, pathname: string): void {
  const file = staticDir ? readStaticFile(staticDir, pathname) : null;
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.');
    return;
  }
  res
    .writeHead(200, {
      'content-type': file.contentType,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    })
    .end(file.body);
}

/** Plain words, no script: the console's CSP applies to this page too. */
const SIGN_IN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeboat — open the console from its link</title></head>
<body>
<h1>Open Lifeboat from its link</h1>
<p>This link's access token is not the one this Lifeboat console uses: it is from before the token was
renewed, or mistyped.</p>
<p><b>What to do:</b> copy the full link that <code>lifeboat serve</code> printed when it started (it ends
with <code>#token=…</code>) into the address bar. If that window is closed, stop Lifeboat and start it again
with <code>npm start</code> or <code>lifeboat serve</code>, then open the new link.</p>
</body></html>
`;

function setSecurityHeaders(res: http.ServerResponse): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

function sendError(res: http.ServerResponse, error: LifeboatError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, error.httpStatus, { error: error.toBody() });
}

function bearer(req: http.IncomingMessage): string | null {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
}

function unauthorized(): LifeboatError {
  return new LifeboatError('UNAUTHORIZED', 'This Lifeboat console needs its access token.', {
    fix: 'Open the full link printed by `lifeboat serve` (it ends with #token=…).',
  });
}

/** One leading slash whatever was asked ("//evil.example" or "/\\evil" would send the browser elsewhere). */
function safePath(pathname: string): string {
  return `/${pathname.replace(/^[/\\]+/, '')}`;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new LifeboatError('INVALID_INPUT', 'The request body is larger than 1 MiB.');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
