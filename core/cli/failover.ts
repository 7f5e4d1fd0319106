import readline from 'node:readline/promises';
import type { Command } from 'commander';
import type { Drill, DrillStep } from '../contract/drills';
import { LifeboatError } from '../contract/errors';
import type { FailoverSummary } from '../contract/failover';
import type { CliContext } from './context';
import { openEngineSession, startAndWait, type EngineSession } from './engine-client';

/** `lifeboat failover <plan>` and `lifeboat failback <plan>`: real, disruptive, confirmed by the plan's name. */
export function registerFailover(program: Command, ctx: CliContext): void {
  program
    .command('failover')
    .description(
      'Fail a plan over for real and wait. Planned (default): shut the sources down, copy their last changes, start them at the recovery site. --unplanned: the sources are lost; start the latest points and never touch the sources. Exits 0 only when it succeeded.',
    )
    .argument('<plan>', 'plan name or id')
    .option('--unplanned', 'the source site is lost: start from the latest recovery points')
    .option('--at <time>', 'unplanned: start from the newest points at or before this time (ISO 8601, e.g. 2026-11-25T08:00:00Z)')
    .option('--app-consistent', 'unplanned: start from the newest application-consistent points')
    .option('--yes', 'do not ask for the plan name (needed when not on a terminal)')
    .option('--shutdown-timeout <seconds>', 'seconds to wait for a guest shutdown before powering off', '300')
    .option('--notes <text>', 'operator notes recorded with the failover')
    .option('--json', 'print the result as one JSON document')
    .action(
      async (
        planName: string,
        options: {
          unplanned?: boolean;
          at?: string;
          appConsistent?: boolean;
          yes?: boolean;
          shutdownTimeout: string;
          notes?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const mode = options.unplanned ? 'unplanned' : 'planned';
        if ((options.at || options.appConsistent) && mode === 'planned')
          throw new LifeboatError('INVALID_INPUT', '--at and --app-consistent choose points for an unplanned failover.', {
            fix: 'Add --unplanned, or leave them out: a planned failover copies the last changes itself.',
          });
        const points = options.at
          ? { kind: 'at' as const, time: options.at }
          : options.appConsistent
            ? { kind: 'latest-app-consistent' as const }
            : undefined;
        await run(
          ctx,
          command,
          planName,
          options,
          mode === 'planned'
            ? 'Planned failover: the source VMs will be shut down and started at the recovery site.'
            : 'Unplanned failover: the latest recovery points will be started at the recovery site; the sources are not touched.',
          (session, planId, confirm) =>
            session.client.startFailover({
              planId,
              mode,
              confirm,
              shutdownTimeoutSeconds: seconds(options.shutdownTimeout),
              notes: options.notes ?? null,
              ...(points ? { points } : {}),
            }),
        );
      },
    );

  program
    .command('failback')
    .description(
      'Bring a failed-over plan back to its original hosts and wait: copy the recovered VMs into the vault, restore them onto the original VMs, start those, remove the recovery copies.',
    )
    .argument('<plan>', 'plan name or id')
    .option('--yes', 'do not ask for the plan name (needed when not on a terminal)')
    .option('--shutdown-timeout <seconds>', 'seconds to wait for a guest shutdown before powering off', '300')
    .option('--notes <text>', 'operator notes recorded with the failback')
    .option('--json', 'print the result as one JSON document')
    .action(
      async (planName: string, options: { yes?: boolean; shutdownTimeout: string; notes?: string; json?: boolean }, command: Command) => {
        await run(
          ctx,
          command,
          planName,
          options,
          'Failback: the recovered VMs will be shut down, copied back and started at their original hosts.',
          (session, planId, confirm) =>
            session.client.startFailback({
              planId,
              confirm,
              shutdownTimeoutSeconds: seconds(options.shutdownTimeout),
              notes: options.notes ?? null,
            }),
        );
      },
    );
}

async function run(
  ctx: CliContext,
  command: Command,
  planName: string,
  options: { yes?: boolean; json?: boolean },
  warning: string,
  start: (session: EngineSession, planId: string, confirm: string) => Promise<{ failoverId: string }>,
): Promise<void> {
  const session = await openEngineSession(ctx, command);
  try {
    const plans = await session.client.listPlans();
    const plan = plans.find((p) => p.id === planName || p.name.toLowerCase() === planName.toLowerCase());
    if (!plan)
      throw new LifeboatError('NOT_FOUND', `There is no plan called "${planName}".`, {
        fix: 'Create one with `lifeboat plan create <name> --vm <vm>`.',
      });
    const confirm = options.yes ? plan.name : await askForName(ctx, plan.name, warning);
    let id = '';
    await startAndWait(
      session,
      async () => {
        id = (await start(session, plan.id, confirm)).failoverId;
        ctx.stderr(`${id} of "${plan.name}" started.\n`);
        return [{ id, title: plan.name }];
      },
      (_title, event) => {
        if (event.type === 'job.progress' && event.bytesTotal === 0) ctx.stderr(`${event.phase}\n`);
      },
    );
    const record = await session.client.getFailover({ id });
    const summary = failoverSummary(record);
    if (options.json) ctx.stdout(JSON.stringify(summary, null, 2) + '\n');
    else {
      for (const step of record.steps) ctx.stdout(stepLine(step));
      ctx.stdout(
        `${summary.mode === 'failback' ? 'Failback' : `${summary.mode === 'planned' ? 'Planned' : 'Unplanned'} failover`} ${summary.status === 'passed' ? 'succeeded' : summary.status}: RPO ${summary.rpoSeconds ?? '—'} s, RTO ${summary.rtoSeconds ?? '—'} s\n`,
      );
      for (const vm of summary.vms)
        ctx.stdout(`  ${vm.name}: ${vm.status} at ${vm.host}${vm.pointTime ? ` (point ${vm.pointTime})` : ''}\n`);
      if (record.notes) ctx.stdout(`${record.notes}\n`);
    }
    if (summary.status !== 'passed')
      throw new LifeboatError('INTERNAL', `The ${summary.mode === 'failback' ? 'failback' : 'failover'} ${summary.status}.`, {
        fix: record.notes ?? 'See its steps on the Drills page.',
      });
  } finally {
    await session.close();
  }
}

/** On a terminal, the operator types the plan's name; elsewhere --yes is the confirmation. */
async function askForName(ctx: CliContext, name: string, warning: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new LifeboatError('INVALID_INPUT', 'This is disruptive and needs confirmation, but there is no terminal to ask on.', {
      fix: 'Pass --yes to confirm (scripts and scheduled tasks).',
    });
  }
  ctx.stderr(`${warning}\n`);
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await prompt.question(`Type the plan name "${name}" to continue: `);
  } finally {
    prompt.close();
  }
}

export function failoverSummary(record: Drill): FailoverSummary {
  return {
    id: record.id,
    status: record.status,
    mode: record.kind === 'test' ? 'planned' : record.kind,
    vms: record.vms.map((vm) => ({ name: vm.vm, status: vm.status, pointTime: vm.recoveryPointTime, host: hostOf(record, vm.vm) })),
    rpoSeconds: record.rpoSeconds,
    rtoSeconds: record.rtoSeconds,
  };
}

/** Where the VM ended up, read from its "Start at …" step. */
function hostOf(record: Drill & { steps?: DrillStep[] }, vm: string): string {
  const started = record.steps?.filter((s) => s.vm === vm && s.status === 'passed' && s.name.startsWith('Start at ')).pop();
  return started ? started.name.slice('Start at '.length) : '';
}

function stepLine(step: DrillStep): string {
  const seconds = step.finishedAt ? ((Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000).toFixed(1) : '…';
  return `${step.status.padEnd(7)} ${seconds.padStart(6)} s  ${step.vm ? `${step.vm}: ` : ''}${step.name}${step.detail ? ` — ${step.detail}` : ''}\n`;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3600)
    throw new LifeboatError('INVALID_INPUT', `--shutdown-timeout: "${value}" is not a number of seconds from 0 to 3600.`, {
      field: 'shutdownTimeout',
      fix: 'Pass e.g. --shutdown-timeout 120.',
    });
  return n;
}
