import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import { acquireEngineLock, type EngineLockInfo } from '../engine-lock';
import { startHttpServer, type RunningServer } from '../http/server';
import { logEvent } from '../logging/event-log';
import { RotatingLog } from '../logging/rotating-log';
import type { LifeboatService } from '../service';
import type { CliContext } from './context';

export interface HostOptions {
  kind: Extract<EngineLockInfo['kind'], 'agent' | 'serve'>;
  port: number;
  /** Make a new access token: every link and open tab from before stops working. */
  newToken?: boolean;
  /** Printed once the console is reachable. */
  announce(url: string): string;
}

/**
 * Runs the engine in this process until SIGINT/SIGTERM: takes the data folder's engine lock, starts the
 * background work (schedules, watchdog), serves the console on 127.0.0.1 and logs to <data>/logs.
 */
/**
 * Serves the console with the kept session: the same token, and with no --port the last port when it is
 * free, so a browser tab left open across a restart reconnects by itself.
 */
async function listen(service: LifeboatService, staticDir: string | null, options: HostOptions): Promise<RunningServer> {
  const session = service.consoleSessions.session(options.newToken);
  const start = (port: number): Promise<RunningServer> => startHttpServer({ service, staticDir, port, token: session.token });
  let server: RunningServer;
  if (options.port === 0 && session.lastPort) server = await start(session.lastPort).catch(() => start(0));
  else server = await start(options.port);
  service.consoleSessions.rememberPort(server.port);
  return server;
}

export async function hostEngine(ctx: CliContext, command: Command, options: HostOptions): Promise<void> {
  const dataDir = ctx.dataDir(command);
  const lock = acquireEngineLock(dataDir, options.kind);
  const log = new RotatingLog(dataDir);
  let service;
  try {
    service = ctx.openService(command);
  } catch (error) {
    lock.release();
    throw error;
  }
  const stopLogging = service.subscribe((event) => logEvent(log, event));
  const staticDir = findRendererDir();
  if (!staticDir) ctx.stderr('warning: the console UI is not built (run `npm run build`); serving the API only.\n');
  let server;
  try {
    server = await listen(service, staticDir, options);
  } catch (error) {
    await service.close();
    lock.release();
    throw new LifeboatError('CONFLICT', `Cannot listen on 127.0.0.1:${options.port}: ${(error as Error).message}.`, {
      fix: 'Choose another port with --port, or leave it out to pick a free one.',
    });
  }
  try {
    lock.setUrl(server.url);
    await service.startBackground();
    log.write('info', `${options.kind} started (process ${process.pid}) on ${server.origin}`);
  } catch (error) {
    // Nothing may keep the process alive after a failed start: the command exits with this error.
    await server.close().catch(() => undefined);
    stopLogging();
    await service.close().catch(() => undefined);
    lock.release();
    throw error;
  }
  // One handler for the whole life of the engine, installed before the link is printed: no moment where a
  // SIGTERM would find none and kill the process without stopping it (the first asks to stop, later ones go to stopEngine).
  const stopping: { signal?: NodeJS.Signals; requested?: () => void; again?: (signal: NodeJS.Signals) => void } = {};
  const stopRequested = new Promise<void>((resolve) => (stopping.requested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping.signal) return stopping.again?.(signal);
    stopping.signal = signal;
    stopping.requested!();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  ctx.stdout(options.announce(server.link));
  await stopRequested;
  await stopEngine(ctx, options.kind, dataDir, stopping.signal, (again) => (stopping.again = again), [
    { what: 'writing "stopping" to the log', run: () => log.write('info', `${options.kind} stopping (${stopping.signal})`) },
    { what: 'closing the console server', run: () => server.close() },
    { what: 'stopping the event log', run: () => stopLogging() },
    { what: 'stopping the engine (running jobs, schedules, catalog)', run: () => service.close() },
    { what: 'releasing the engine lock', run: () => lock.release() },
  ]).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}

/** How long stopping may take after SIGTERM/SIGINT before the process exits anyway (service managers wait 10 s or more). */
export const STOP_DEADLINE_MS = 8_000;

interface StopStep {
  what: string;
  run(): unknown;
}

/**
 * Runs every stop step even when one fails, under a hard deadline: an unref'd timer that, if the process is
 * still here after STOP_DEADLINE_MS, prints what did not stop and exits 1. A second signal exits at once.
 * Any failed step makes the command fail (exit 1) with the reasons.
 */
async function stopEngine(
  ctx: CliContext,
  kind: string,
  dataDir: string,
  signal: NodeJS.Signals | undefined,
  onSecondSignal: (handler: ((second: NodeJS.Signals) => void) | undefined) => void,
  steps: StopStep[],
): Promise<void> {
  let current = 'starting to stop';
  const failures: string[] = [];
  const summary = (): string => (failures.length > 0 ? ` Before that: ${failures.join('; ')}.` : '');
  const deadline = setTimeout(() => {
    ctx.stderr(
      `error: Lifeboat ${kind} did not stop within ${STOP_DEADLINE_MS / 1000} s after ${signal ?? 'the stop signal'}: ${current} did not finish.${summary()}\n`,
    );
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  const again = (second: NodeJS.Signals): void => {
    ctx.stderr(`error: Lifeboat ${kind} stopped at once on a second ${second}: ${current} had not finished.${summary()}\n`);
    process.exit(1);
  };
  onSecondSignal(again);
  try {
    for (const step of steps) {
      current = step.what;
      try {
        await step.run();
      } catch (error) {
        failures.push(`${step.what} failed: ${(error as Error).message}`);
      }
    }
    current = 'the process (something kept it running after every step had finished)';
  } finally {
    onSecondSignal(undefined);
  }
  if (failures.length === 0) return;
  const gone = !fs.existsSync(dataDir);
  throw new LifeboatError(
    gone ? 'DATA_FOLDER_UNUSABLE' : 'INTERNAL',
    `Lifeboat ${kind} stopped, but not cleanly${gone ? ` (its data folder ${dataDir} is gone)` : ''}: ${failures.join('; ')}.`,
    {
      fix: gone
        ? 'Restore the data folder from a backup, or start Lifeboat with the right one (--data DIR or LIFEBOAT_DATA).'
        : 'Check the log in the data folder; if a job was running, it is marked interrupted at the next start.',
    },
  );
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LifeboatError('INVALID_INPUT', `--port must be a number from 0 to 65535, not "${value}".`);
  }
  return port;
}

/** dist/renderer next to the bundled CLI, or the repo's dist/renderer when running from source. */
function findRendererDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'renderer'), path.resolve(here, '..', '..', 'dist', 'renderer')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? null;
}
