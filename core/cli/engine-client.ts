import type { Command } from 'commander';
import type { ConsoleClient } from '../contract/api';
import { createLocalClient } from '../contract/dispatch';
import { LifeboatError } from '../contract/errors';
import type { EventListener } from '../contract/events';
import type { Vm } from '../contract/hosts';
import { acquireEngineLock, runningEngine } from '../engine-lock';
import { connectToEngine } from '../http/client';
import { withService, type CliContext } from './context';

export interface EngineSession {
  client: ConsoleClient;
  subscribe(listener: EventListener, onOpen?: () => void): () => void;
  /** True when the work runs in an agent or console that owns the data folder. */
  remote: boolean;
  close(): Promise<void>;
}

/**
 * Commands that start work (run, drill run, jobs --follow) send it to the engine that owns the data folder
 * when one runs, so nothing runs twice; otherwise this process becomes the engine for the command's length.
 */
export async function openEngineSession(ctx: CliContext, command: Command): Promise<EngineSession> {
  const dataDir = ctx.dataDir(command);
  const running = runningEngine(dataDir);
  if (running?.url) {
    const url = new URL(running.url);
    const remote = connectToEngine(url.origin, url.searchParams.get('token') ?? '');
    return { client: remote.client, subscribe: remote.subscribe, remote: true, close: async () => undefined };
  }
  if (running) {
    throw new LifeboatError('CONFLICT', `The Lifeboat desktop app (process ${running.pid}) runs the engine for ${dataDir}.`, {
      fix: 'Start this from the desktop app, or close it first.',
    });
  }
  const lock = acquireEngineLock(dataDir, 'agent');
  const service = ctx.openService(command);
  return {
    client: createLocalClient(service.api),
    subscribe: (listener, onOpen) => {
      const stop = service.subscribe(listener);
      onOpen?.();
      return stop;
    },
    remote: false,
    close: async () => {
      await service.close();
      lock.release();
    },
  };
}

/**
 * The console API for a one-shot command: the running engine's when one serves the data folder (so the
 * change happens where the data lives, and every console open on it hears of it), else an engine in this
 * process for the command's length.
 */
export async function withEngineClient<T>(ctx: CliContext, command: Command, work: (client: ConsoleClient) => Promise<T>): Promise<T> {
  const running = runningEngine(ctx.dataDir(command));
  if (running?.url) {
    const url = new URL(running.url);
    return work(connectToEngine(url.origin, url.searchParams.get('token') ?? '').client);
  }
  return withService(ctx, command, (service) => work(createLocalClient(service.api)));
}

/** A VM by name (or id); names must be unique across hosts, or the error says which hosts to pick from. */
export async function findVm(client: ConsoleClient, nameOrId: string): Promise<Vm> {
  const vms = await client.listVms();
  const matches = vms.filter((vm) => vm.id === nameOrId || vm.name.toLowerCase() === nameOrId.toLowerCase());
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new LifeboatError('VM_NOT_FOUND', `There is no VM called "${nameOrId}" in the inventory.`, {
      fix: 'Run `lifeboat discover`, then `lifeboat discover --json` to see VM names.',
    });
  }
  throw new LifeboatError('INVALID_INPUT', `"${nameOrId}" matches VMs on several hosts: ${matches.map((vm) => vm.hostName).join(', ')}.`, {
    fix: 'Use the VM id from `lifeboat discover --json`.',
  });
}

export interface FinishedJob {
  status: string;
  message?: string;
}

/**
 * Starts jobs once the event stream is open (so no finish is missed), then waits until each has finished;
 * jobs that finished before the first event arrived are read from the job list.
 */
export function startAndWait(
  session: EngineSession,
  start: () => Promise<{ id: string; title: string }[]>,
  onEvent?: (title: string, event: Parameters<EventListener>[0]) => void,
): Promise<Map<string, FinishedJob & { title: string }>> {
  return new Promise((resolve, reject) => {
    const titles = new Map<string, string>();
    const results = new Map<string, FinishedJob & { title: string }>();
    const early: Parameters<EventListener>[0][] = [];
    let started = false;
    const settleIfDone = (): void => {
      if (started && results.size === titles.size) {
        stop();
        resolve(results);
      }
    };
    const record = (event: Parameters<EventListener>[0]): void => {
      if (event.type !== 'job.progress' && event.type !== 'job.finished') return;
      const title = titles.get(event.jobId);
      if (title === undefined) return;
      onEvent?.(title, event);
      if (event.type === 'job.finished')
        results.set(event.jobId, { title, status: event.status, ...(event.message ? { message: event.message } : {}) });
    };
    const stop = session.subscribe(
      (event) => {
        if (!started) early.push(event);
        else {
          record(event);
          settleIfDone();
        }
      },
      () => {
        start()
          .then(async (jobs) => {
            for (const job of jobs) titles.set(job.id, job.title);
            started = true;
            early.forEach(record);
            for (const job of await session.client.listJobs({ limit: 500 })) {
              if (titles.has(job.id) && !results.has(job.id) && !['queued', 'running'].includes(job.status)) {
                results.set(job.id, { title: job.title, status: job.status, ...(job.error ? { message: job.error } : {}) });
              }
            }
            settleIfDone();
          })
          .catch((error: unknown) => {
            stop();
            reject(error);
          });
      },
    );
  });
}
