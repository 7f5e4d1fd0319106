import path from 'node:path';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import type { Job } from '../contract/protection';
import { cloudCredentials, readPassphrase, type CliContext } from './context';
import { findVm, openEngineSession, startAndWait, withEngineClient } from './engine-client';

/** `lifeboat protect`, `run`, `jobs`, `rpo`, `points`: protection from a terminal. */
export function registerProtection(program: Command, ctx: CliContext): void {
  program
    .command('protect')
    .description('Protect VMs: copy them to a vault on a schedule that meets the RPO.')
    .requiredOption('--vm <vm>', 'a VM name or id (repeat for more)', collect, [])
    .requiredOption(
      '--target <location>',
      'vault: a folder path, azblob://<container>[/<prefix>] or s3://<bucket>[/<prefix>] (credentials from AZURE_STORAGE_CONNECTION_STRING or AWS_*), or a target name',
    )
    .requiredOption('--rpo <minutes>', 'recovery point objective, e.g. 15m (or 15), 4h', parseRpo)
    .option('--name <policy>', 'policy name (default: the VM names)')
    .option('--json', 'print the policy as one JSON document')
    .option('--passphrase-file <file>', 'the vault passphrase for a new target, when none is stored (default: LIFEBOAT_PASSPHRASE)')
    .action(
      async (
        options: { vm: string[]; target: string; rpo: number; name?: string; json?: boolean; passphraseFile?: string },
        command: Command,
      ) => {
        const policy = await withEngineClient(ctx, command, async (client) => {
          const vms = [];
          for (const name of options.vm) vms.push(await findVm(client, name));
          const targets = await client.listTargets();
          const resolved = path.resolve(options.target);
          let target = targets.find(
            (t) =>
              t.name.toLowerCase() === options.target.toLowerCase() || t.location.path === options.target || t.location.path === resolved,
          );
          if (!target) {
            const credentials = cloudCredentials(options.target, ctx.env);
            // A new location must be opened (or created) with the passphrase before a policy may use it.
            const passphrase =
              options.passphraseFile || ctx.env.LIFEBOAT_PASSPHRASE ? readPassphrase(ctx, options.passphraseFile) : undefined;
            target = await client.addTarget({
              name: options.target,
              location: options.target,
              ...(credentials ? { credentials } : {}),
              ...(passphrase ? { passphrase } : {}),
            });
          }
          return client.createPolicy({
            name:
              options.name ??
              vms
                .map((vm) => vm.name)
                .join(', ')
                .slice(0, 100),
            vmIds: vms.map((vm) => vm.id),
            targetId: target.id,
            rpoMinutes: options.rpo,
          });
        });
        if (options.json) ctx.stdout(JSON.stringify(policy, null, 2) + '\n');
        else
          ctx.stdout(
            `Policy "${policy.name}" protects ${policy.vmIds.length} VM(s) with an RPO of ${policy.rpoMinutes} min: a copy starts every ${policy.intervalMinutes} min while Lifeboat runs (\`lifeboat agent\` or the console). Copy now with \`lifeboat run "${policy.name}"\`.\n`,
          );
      },
    );

  program
    .command('run')
    .description('Copy a VM (or every VM of a policy) now and wait; exits 1 if any copy fails.')
    .argument('<vm-or-policy>', 'a VM name or id, or a policy name')
    .action(async (target: string, _options: unknown, command: Command) => {
      const session = await openEngineSession(ctx, command);
      try {
        const policy = (await session.client.listPolicies()).find((p) => p.name.toLowerCase() === target.toLowerCase() || p.id === target);
        const results = await startAndWait(
          session,
          async () => {
            const jobs: Job[] = policy
              ? await session.client.runNow({ policyId: policy.id })
              : await session.client.runNow({ vmId: (await findVm(session.client, target)).id });
            ctx.stderr(`Started ${jobs.map((j) => j.title).join(', ')}.\n`);
            return jobs;
          },
          (title, event) => {
            if (event.type === 'job.progress' && event.bytesTotal > 0)
              ctx.stderr(`${title}: ${event.phase} ${Math.floor((event.bytesDone / event.bytesTotal) * 100)}%\n`);
          },
        );
        const failed = [...results.values()].filter((r) => r.status !== 'succeeded');
        for (const result of results.values())
          ctx.stdout(`${result.title}: ${result.status}${result.message ? ` — ${result.message}` : ''}\n`);
        if (failed.length > 0)
          throw new LifeboatError('INTERNAL', `${failed.length} of ${results.size} copies did not succeed.`, {
            fix: 'See `lifeboat jobs` for the logs.',
          });
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
            if (event.type === 'job.progress')
              ctx.stdout(
                `${event.jobId.slice(0, 8)} ${event.phase} ${event.bytesDone}/${event.bytesTotal} bytes ${event.bytesPerSecond} B/s eta ${event.etaSeconds ?? '?'} s\n`,
              );
            if (event.type === 'job.finished')
              ctx.stdout(`${event.jobId.slice(0, 8)} ${event.status}${event.message ? `: ${event.message}` : ''}\n`);
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
      const statuses = await withEngineClient(ctx, command, (client) => client.getRpoStatus());
      const rows = statuses.map((s) => ({
        vm: s.vm,
        policy: s.policy,
        rpoMinutes: s.rpoMinutes,
        ageSeconds: s.ageSeconds,
        status: s.status === 'pending' ? 'ok' : s.status,
        lastPointTime: s.lastPointTime,
      }));
      if (options.json) return void ctx.stdout(JSON.stringify(rows, null, 2) + '\n');
      if (rows.length === 0) return void ctx.stdout('Nothing is protected yet.\n');
      for (const row of rows)
        ctx.stdout(
          `${row.vm}\t${row.status}\t${row.ageSeconds === null ? 'no copy yet' : `${Math.round(row.ageSeconds / 60)} min old`}\tRPO ${row.rpoMinutes} min\t${row.policy}\n`,
        );
    });

  program
    .command('points')
    .description("A VM's recovery points in the catalog, newest first.")
    .argument('<vm>', 'VM name or id')
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const points = await withEngineClient(ctx, command, async (client) => {
        return client.listPoints({ vmId: (await findVm(client, name)).id });
      });
      if (options.json) return void ctx.stdout(JSON.stringify(points, null, 2) + '\n');
      for (const p of points)
        ctx.stdout(`${p.id}\t${p.time}\t${p.appConsistent ? 'app-consistent' : 'crash-consistent'}\t${p.sizeBytes} bytes\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** "15m", "15", "4h" → minutes. */
function parseRpo(value: string): number {
  const match = /^(\d+)\s*(m|min|h)?$/i.exec(value.trim());
  if (!match) throw new LifeboatError('INVALID_INPUT', `--rpo must look like 15m or 4h, not "${value}".`);
  return Number(match[1]) * (match[2]?.toLowerCase() === 'h' ? 60 : 1);
}
