import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { EventBus } from '../../core/event-bus';
import { startEmailNotifier } from '../../core/notify/email-notifier';
import { createService } from '../../core/service';
import { tempDir } from '../helpers/temp';

interface Received {
  from: string;
  to: string[];
  body: string;
}

let server: SMTPServer;
let port: number;
const inbox: Received[] = [];
let delivered: (mail: Received) => void = () => undefined;

beforeAll(async () => {
  server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'alerts@acme.test' && auth.password === 'Sm7p-P4ss') callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
      stream.on('end', () => {
        const mail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body,
        };
        inbox.push(mail);
        delivered(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function settings(overrides: Record<string, unknown> = {}) {
  return {
    enabled: true,
    host: '127.0.0.1',
    port,
    security: 'none' as const,
    username: 'alerts@acme.test',
    password: 'Sm7p-P4ss',
    from: 'alerts@acme.test',
    to: ['it@acme.test'],
    ...overrides,
  };
}

describe('email alerts', () => {
  it('sends a test email through the saved settings, keeping the password sealed', async () => {
    const service = createService({ dataDir: tempDir() });
    const client = createLocalClient(service.api);
    const saved = await client.saveEmailSettings(settings());
    expect(saved).toMatchObject({ passwordStored: true, to: ['it@acme.test'] });
    expect(JSON.stringify(saved)).not.toContain('Sm7p-P4ss');
    expect(await client.sendTestEmail()).toEqual({ accepted: ['it@acme.test'] });
    expect(inbox.at(-1)).toMatchObject({ from: 'alerts@acme.test', to: ['it@acme.test'] });
    expect(inbox.at(-1)!.body).toContain('Subject: Lifeboat test email');
    await service.close();
  });

  it('explains a wrong password, an unreachable server and missing fields', async () => {
    const service = createService({ dataDir: tempDir() });
    const client = createLocalClient(service.api);
    await expect(client.sendTestEmail()).rejects.toMatchObject({ code: 'NOT_SET_UP' });
    await client.saveEmailSettings(settings({ password: 'wrong' }));
    await expect(client.sendTestEmail()).rejects.toMatchObject({ code: 'ACCESS_DENIED', fix: expect.stringContaining('app password') });
    await client.saveEmailSettings(settings({ port: 9 }));
    await expect(client.sendTestEmail()).rejects.toMatchObject({ code: 'HOST_UNREACHABLE', fix: expect.stringContaining('port') });
    await expect(client.saveEmailSettings(settings({ to: [] }))).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'to' });
    await expect(client.saveEmailSettings(settings({ to: ['not-an-address'] }))).rejects.toMatchObject({ field: 'to.0' });
    await service.close();
  });

  it('mails RPO alerts and failures, as chosen, and reports a mail that cannot be sent', async () => {
    const bus = new EventBus();
    let current = { ...settings(), passwordStored: true, events: { failures: true, rpo: true, drills: false } };
    const failures: string[] = [];
    const stop = startEmailNotifier({
      bus,
      settings: () => current,
      password: () => 'Sm7p-P4ss',
      describeJob: (id) =>
        ({ j1: { title: 'Copy web01', kind: 'replication' }, d1: { title: 'Drill: Office', kind: 'drill' } })[id] ?? null,
      onFailure: (error) => failures.push(error.code),
    });
    let mail = new Promise<Received>((resolve) => (delivered = resolve));
    bus.emit({ type: 'alert.raised', alert: { id: 'a1', severity: 'critical', message: 'web01 is outside its RPO of 15 min.' } });
    expect((await mail).body).toMatch(/Subject: Lifeboat: action needed[\s\S]*web01 is outside its RPO of 15 min\./);

    const before = inbox.length;
    bus.emit({ type: 'job.finished', jobId: 'd1', status: 'succeeded', message: 'passed' }); // drills not chosen
    bus.emit({ type: 'job.finished', jobId: 'j1', status: 'succeeded' }); // routine success: never mailed
    mail = new Promise<Received>((resolve) => (delivered = resolve));
    bus.emit({ type: 'job.finished', jobId: 'j1', status: 'failed', message: 'HV01 unreachable' });
    expect((await mail).body).toContain('Copy web01 failed: HV01 unreachable');
    expect(inbox.length).toBe(before + 1);

    current = { ...current, port: 9 };
    const failed = new Promise<void>((resolve) => {
      const original = failures.push.bind(failures);
      failures.push = (...codes: string[]) => {
        const n = original(...codes);
        resolve();
        return n;
      };
    });
    bus.emit({ type: 'alert.raised', alert: { id: 'a2', severity: 'warning', message: 'sql01 is at risk' } });
    await failed;
    expect([...failures]).toEqual(['HOST_UNREACHABLE']);
    stop();
  });
});
