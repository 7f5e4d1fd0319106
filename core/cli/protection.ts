import type { Command } from 'commander';
import { createLocalClient } from '../contract/dispatch';
import { LifeboatError } from '../contract/errors';
import type { Job } from '../contract/protection';
import { withService, type CliContext } from './context';
import { findVm, openEngineSession } from './engine-client';

/** `lifeboat run`, `jobs`, `rpo`, `points`: protection from a terminal. */
export function registerProtection(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('Copy a VM (or every VM of a policy) now and wait; exits 1 if any copy fails.')
    .argument('<vm-or-policy>', 'a VM name or id, or a policy name')
    .action(async (target: string, _options: unknown, command: Command) => {
      const session = await openEngineSession(ctx, command);
      try {
        const policies = await session.client.listPolicies();
        const policy = policies.find((p) => p.name.toLowerCase() === target.toLowerCase() || p.id === target);
        const pending = new Map<string, string>();
        const finished = new Promise<Map<string, { status: string; message?: string }>>((resolve) => {
          const results = new Map<string, { status: string; message?: string }>();
          let opened!: () => void;
          const ready = new Promise<void>((r) => (opened = r));
          const stop = session.subscribe((event) => {
            if (event.type === 'job.progress' && pending.has(event.jobId)) {
              const percent = event.bytesTotal > 0 ? Math.floor((event.bytesDone / event.bytesTotal) * 100) : 0;
              ctx.stderr(`${pending.get(event.jobId)}: ${event.phase} ${percent}%\n`);
            }
            if (event.type === 'job.finished' && pending.has(event.jobId)) {
              results.set(event.jobId, event.message === undefined ? { status: event.status } : { status: event.status, message: event.message });
              if (results.size === pending.size) {
                stop();
                resolve(results);
              }
            }
          }, () => opened());
          void ready.then(async () => {
            const jobs: Job[] = policy ? await session.client.runNow({ policyId: policy.id }) : await session.client.runNow({ vmId: (await findVm(session.client, target)).id });
            for (const job of jobs) pending.set(job.id, job.title);
            ctx.stderr(`Started ${jobs.map((j) => j.title).join(', ')}.\n`);
            // Jobs that were already running may have finished before we subscribed.
            for (const job of await session.client.listJobs({ limit: 500 })) {
              if (pending.has(job.id) && !['queued', 'running'].includes(job.status)) results.set(job.id, { status: job.status, ...(job.error ? { message: job.error } : {}) });
            }
            if (results.size === pending.size) {
              stop();
              resolve(results);
            }
          });
        });
        const results = await finished;
        let failed = 0;
        for (const [id, result] of results) {
          ctx.stdout(`${pending.get(id)}: ${result.status}${result.message ? ` — ${result.message}` : ''}\n`);
          if (result.status !== 'succeeded') failed++;
        }
        if (failed > 0) throw new LifeboatError('INTERNAL', `${failed} of ${results.size} copies did not succeed.`, { fix: 'See `lifeboat jobs` for the logs.' });
      } finally {
        await session.close();
      }
    });

  program
    .command('jobs')
    .description('List recent jobs; --follow prints progress as it happens (needs a running agent or console).')
    .option('--json', 'print one JSON document')
    .option('--limit <n>', 'how many jobs', '50')
    .option('--follow', 'keep printing job progress and results until interrupted')
    .action(async (options: { json?: boolean; limit: string; follow?: boolean }, command: Command) => {
      const session = await openEngineSession(ctx, command);
      try {
        const jobs = await session.client.listJobs({ limit: Number(options.limit) });
        if (options.json) ctx.stdout(JSON.stringify(jobs, null, 2) + '\n');
        else for (const job of jobs) ctx.stdout(`${job.createdAt}\t${job.status}\t${job.title}${job.error ? `\t${job.error}` : ''}\n`);
        if (!options.follow) return;
        await new Promise<void>((resolve) => {
          const stop = session.subscribe((event) => {
            if (event.type === 'job.progress') ctx.stdout(`${event.jobId.slice(0, 8)} ${event.phase} ${event.bytesDone}/${event.bytesTotal} bytes ${event.bytesPerSecond} B/s eta ${event.etaSeconds ?? '?'} s\n`);
            if (event.type === 'job.finished') ctx.stdout(`${event.jobId.slice(0, 8)} ${event.status}${event.message ? `: ${event.message}` : ''}\n`);
          });
          const end = (): void => {
            stop();
            resolve();
          };
          process.once('SIGINT', end);
          process.once('SIGTERM', end);
        });
      } finally {
        await session.close();
      }
    });

  program
    .command('rpo')
    .description('Per protected VM: age of the newest recovery point against its RPO (ok, warning, breach).')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const statuses = await withService(ctx, command, (service) => createLocalClient(service.api).getRpoStatus());
      const rows = statuses.map((s) => ({ vm: s.vm, policy: s.policy, rpoMinutes: s.rpoMinutes, ageSeconds: s.ageSeconds, status: s.status === 'pending' ? 'ok' : s.status, lastPointTime: s.lastPointTime }));
      if (options.json) return void ctx.stdout(JSON.stringify(rows, null, 2) + '\n');
      if (rows.length === 0) return void ctx.stdout('Nothing is protected yet.\n');
      for (const row of rows) ctx.stdout(`${row.vm}\t${row.status}\t${row.ageSeconds === null ? 'no copy yet' : `${Math.round(row.ageSeconds / 60)} min old`}\tRPO ${row.rpoMinutes} min\t${row.policy}\n`);
    });

  program
    .command('points')
    .description("A VM's recovery points in the catalog, newest first.")
    .argument('<vm>', 'VM name or id')
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const points = await withService(ctx, command, async (service) => {
        const client = createLocalClient(service.api);
        return client.listPoints({ vmId: (await findVm(client, name)).id });
      });
      if (options.json) return void ctx.stdout(JSON.stringify(points, null, 2) + '\n');
      for (const p of points) ctx.stdout(`${p.id}\t${p.time}\t${p.appConsistent ? 'app-consistent' : 'crash-consistent'}\t${p.sizeBytes} bytes\n`);
    });
}
