import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import { acquireEngineLock, type EngineLockInfo } from '../engine-lock';
import { startHttpServer } from '../http/server';
import { logEvent } from '../logging/event-log';
import { RotatingLog } from '../logging/rotating-log';
import type { CliContext } from './context';

export interface HostOptions {
  kind: Extract<EngineLockInfo['kind'], 'agent' | 'serve'>;
  port: number;
  /** Printed once the console is reachable. */
  announce(url: string): string;
}

/**
 * Runs the engine in this process until SIGINT/SIGTERM: takes the data folder's engine lock, starts the
 * background work (schedules, watchdog), serves the console on 127.0.0.1 and logs to <data>/logs.
 */
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
    server = await startHttpServer({ service, staticDir, port: options.port });
  } catch (error) {
    await service.close();
    lock.release();
    throw new LifeboatError('CONFLICT', `Cannot listen on 127.0.0.1:${options.port}: ${(error as Error).message}.`, {
      fix: 'Choose another port with --port, or leave it out to pick a free one.',
    });
  }
  lock.setUrl(server.url);
  await service.startBackground();
  log.write('info', `${options.kind} started (process ${process.pid}) on ${server.origin}`);
  ctx.stdout(options.announce(server.url));

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log.write('info', `${options.kind} stopping`);
  await server.close();
  stopLogging();
  await service.close();
  lock.release();
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
