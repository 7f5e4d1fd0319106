import http from 'node:http';
import { LATEST_SCHEMA_VERSION } from '../../core/store/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningServer } from '../../core/http/server';
import { createService, type LifeboatService } from '../../core/service';
import { tempDirManual } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

let data: ReturnType<typeof tempDirManual>;
let service: LifeboatService;
let server: RunningServer;

beforeAll(async () => {
  data = tempDirManual();
  service = createService({ dataDir: data.dir });
  server = await startHttpServer({ service, staticDir: null, keepAliveSeconds: 1 });
});

afterAll(async () => {
  await server.close();
  await service.close();
  data.remove();
});

function post(method: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}`, ...headers },
    body: JSON.stringify(body),
  });
}

/** A raw request, for headers fetch will not let us set (Host). */
function rawGet(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/** The Location of a raw GET (fetch would normalise the path first). */
function rawLocation(path: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path }, (res) => {
      res.resume();
      resolve(res.headers.location);
    });
    req.on('error', reject);
  });
}

describe('browser-mode HTTP transport', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 to every request without the token or with a wrong one', async () => {
    const noToken = await fetch(`${server.origin}/api/getSettings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noToken.status).toBe(401);
    expect((await noToken.json()).error).toMatchObject({ code: 'UNAUTHORIZED', fix: expect.stringContaining('token') });
    expect((await post('getSettings', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await fetch(`${server.origin}/api/events`)).status).toBe(401);
    expect((await fetch(`${server.origin}/api/events?ticket=made-up`)).status).toBe(401);
    expect((await fetch(`${server.origin}/api/eventTicket`, { method: 'POST' })).status).toBe(401);
    // A browser opening an old link with a token that is no longer this console's gets a page saying what to do.
    const page = await fetch(`${server.origin}/?token=nope`, {
      redirect: 'manual',
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toMatch(/<h1>Open Lifeboat from its link<\/h1>[\s\S]*What to do:/);
    expect(page.headers.get('content-security-policy')).toBeTruthy();
  });

  it('calls methods with the token and returns their JSON', async () => {
    const response = await post('getStatus', {});
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ schemaVersion: LATEST_SCHEMA_VERSION, firstRunComplete: false });
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('rejects invalid input with 400 naming the field, unknown methods with 404', async () => {
    const invalid = await post('completeFirstRun', {
      organisation: 'Acme',
      vault: { kind: 'folder', path: 'relative' },
      passphrase: PASSPHRASE,
    });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error).toMatchObject({ code: 'INVALID_INPUT', field: 'vault.path' });
    const wrongKind = await post('completeFirstRun', { organisation: 'Acme', vault: { kind: 'ftp', path: '/x' }, passphrase: PASSPHRASE });
    expect((await wrongKind.json()).error.field).toBe('vault.kind');
    const notJson = await fetch(`${server.origin}/api/getStatus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await post('noSuchMethod', {})).status).toBe(404);
    const form = await post('getStatus', {}, { 'content-type': 'text/plain' });
    expect(form.status).toBe(400);
    expect((await fetch(`${server.origin}/api/getStatus`, { headers: { authorization: `Bearer ${server.token}` } })).status).toBe(405);
  });

  it('refuses requests from other origins and other Host names', async () => {
    expect((await post('getStatus', {}, { origin: 'https://evil.example' })).status).toBe(401);
    expect(await rawGet(`/?token=${server.token}`, { host: `evil.example:${server.port}` })).toBe(421);
  });

  it('prints a link with the token in the fragment, moves a query token there, and never uses a cookie', async () => {
    expect(server.link).toBe(`${server.origin}/#token=${server.token}`);
    const response = await fetch(server.url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/#token=${server.token}`);
    expect(response.headers.get('set-cookie')).toBeNull();
    // A cookie holding the token (every service on 127.0.0.1 is sent one) opens nothing.
    const withCookie = await fetch(`${server.origin}/api/getStatus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `lifeboat_token=${server.token}` },
      body: '{}',
    });
    expect(withCookie.status).toBe(401);
    // The redirect keeps the browser on this server whatever the path asks.
    expect(await rawLocation(`//evil.example/?token=${server.token}`)).toBe(`/#token=${server.token}`);
    expect(await rawLocation(`/\\evil.example/?token=${server.token}`)).toBe(`/#token=${server.token}`);
  });

  it('opens the event stream with a one-time ticket asked for with the token', async () => {
    const { ticket } = (await (
      await fetch(`${server.origin}/api/eventTicket`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })
    ).json()) as { ticket: string };
    const controller = new AbortController();
    const stream = await fetch(`${server.origin}/api/events?ticket=${ticket}`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    controller.abort();
    expect((await fetch(`${server.origin}/api/events?ticket=${ticket}`)).status).toBe(401); // used once
  });

  it('streams engine events over Server-Sent Events', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${server.origin}/api/events`, {
      headers: { authorization: `Bearer ${server.token}` },
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const reader = stream.body!.getReader();
    const received = (async () => {
      let text = '';
      while (!text.includes('event: settings.changed')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return text;
    })();
    const saved = await post('completeFirstRun', {
      organisation: 'Acme',
      vault: { kind: 'folder', path: '/srv/vault' },
      passphrase: PASSPHRASE,
    });
    expect(saved.status).toBe(200);
    const text = await received;
    const data = /event: settings\.changed\ndata: (.*)\n/.exec(text)?.[1];
    expect(JSON.parse(data!)).toMatchObject({ type: 'settings.changed', settings: { organisation: 'Acme', firstRunComplete: true } });
    controller.abort();
  });
});

describe('remote engine client', () => {
  it('calls methods and receives events like an in-process client', async () => {
    const { connectToEngine } = await import('../../core/http/client');
    const remote = connectToEngine(server.origin, server.token);
    expect(await remote.client.getStatus()).toMatchObject({ firstRunComplete: true });
    await expect(remote.client.updateSettings({ organisation: '' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'organisation',
    });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const received = new Promise<string>((resolve) => {
      const stop = remote.subscribe(
        (event) => {
          if (event.type === 'settings.changed') {
            stop();
            resolve(event.settings.organisation ?? '');
          }
        },
        () => opened(),
      );
    });
    await open;
    await remote.client.updateSettings({ organisation: 'Acme Remote' });
    expect(await received).toBe('Acme Remote');
    await expect(connectToEngine('http://127.0.0.1:9', server.token).client.getStatus()).rejects.toMatchObject({
      code: 'HOST_UNREACHABLE',
    });
  });
});
