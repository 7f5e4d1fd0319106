import type { Command } from 'commander';
import type { Drill } from '../contract/drills';
import { LifeboatError } from '../contract/errors';
import { type CliContext } from './context';
import { findVm, openEngineSession, startAndWait, withEngineClient } from './engine-client';

/** `lifeboat plan create`, `drill run`, `drills`: recovery plans and test failovers from a terminal. */
export function registerDrills(program: Command, ctx: CliContext): void {
  const plan = program.command('plan').description('Recovery plans: which VMs start in which order, and how they are checked.');
  plan
    .command('create')
    .description('Create a recovery plan. With --group, each group boots after the previous one.')
    .argument('<name>', 'plan name')
    .option('--vm <vm>', 'a VM (repeat for more); all start together', collect, [])
    .option('--group <vms>', 'comma-separated VMs that start together (repeat: groups boot in this order)', collect, [])
    .option('--rto <minutes>', 'recovery time objective in minutes', '60')
    .option('--rpo <minutes>', 'recovery point objective in minutes', '60')
    .option('--recovery-host <host>', "where a real failover starts the VMs (a host name); default: this machine's QEMU standby")
    .option('--map-network <source=recovery>', 'a source network and the recovery network failover connects it to (repeat)', collect, [])
    .option('--json', 'print one JSON document')
    .action(
      async (
        name: string,
        options: { vm: string[]; group: string[]; rto: string; rpo: string; recoveryHost?: string; mapNetwork: string[]; json?: boolean },
        command: Command,
      ) => {
        const groups =
          options.group.length > 0
            ? options.group.map((g) =>
                g
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              )
            : [options.vm];
        if (groups.flat().length === 0)
          throw new LifeboatError('INVALID_INPUT', 'A plan needs at least one VM.', {
            fix: 'Add --vm <name> (repeat for more), or --group a,b --group c.',
          });
        const networkMapping = options.mapNetwork.map((pair) => {
          const [source, recovery] = pair.split('=').map((part) => part.trim());
          if (!source || !recovery)
            throw new LifeboatError('INVALID_INPUT', `--map-network: "${pair}" is not source=recovery.`, {
              field: 'mapNetwork',
              fix: 'Write it as --map-network "VM Network=DR Network".',
            });
          return { source, recovery };
        });
        const created = await withEngineClient(ctx, command, async (client) => {
          let recoveryHostId: string | null = null;
          if (options.recoveryHost) {
            const wanted = options.recoveryHost.toLowerCase();
            const host = (await client.listHosts()).find(
              (h) => h.id === options.recoveryHost || h.name.toLowerCase() === wanted || h.address?.toLowerCase() === wanted,
            );
            if (!host)
              throw new LifeboatError('INVALID_INPUT', `--recovery-host: There is no host "${options.recoveryHost}".`, {
                field: 'recoveryHost',
                fix: 'List hosts with `lifeboat hosts list`, or leave it out to recover on this machine.',
              });
            recoveryHostId = host.id;
          }
          const resolved = [];
          for (const [index, names] of groups.entries()) {
            const vms = [];
            for (const vmName of names) vms.push({ vmId: (await findVm(client, vmName)).id });
            resolved.push({ name: `Group ${index + 1}`, vms });
          }
          return client.createPlan({
            name,
            groups: resolved,
            rtoTargetMinutes: Number(options.rto),
            rpoTargetMinutes: Number(options.rpo),
            networkMapping,
            recoveryHostId,
          });
        });
        if (options.json) ctx.stdout(JSON.stringify(created, null, 2) + '\n');
        else
          ctx.stdout(
            `Plan "${created.name}" created with ${created.groups.length} group(s). Run a drill with \`lifeboat drill run "${created.name}"\`.\n`,
          );
      },
    );

  program
    .command('drill')
    .description('Test failover drills.')
    .command('run')
    .description('Run a drill of a plan now and wait: restore, boot in isolation, check, clean up. Exits 0 only when it passed.')
    .argument('<plan>', 'plan name or id')
    .option('--json', 'print the result as one JSON document')
    .option('--notes <text>', 'operator notes recorded with the drill')
    .action(async (planName: string, options: { json?: boolean; notes?: string }, command: Command) => {
      const session = await openEngineSession(ctx, command);
      try {
        const plans = await session.client.listPlans();
        const chosen = plans.find((p) => p.id === planName || p.name.toLowerCase() === planName.toLowerCase());
        if (!chosen)
          throw new LifeboatError('NOT_FOUND', `There is no plan called "${planName}".`, {
            fix: 'Create one with `lifeboat plan create <name> --vm <vm>`.',
          });
        let drillId = '';
        await startAndWait(
          session,
          async () => {
            drillId = (await session.client.startDrill({ planId: chosen.id, notes: options.notes ?? null })).drillId;
            ctx.stderr(`Drill ${drillId} of "${chosen.name}" started.\n`);
            return [{ id: drillId, title: `Drill: ${chosen.name}` }];
          },
          (_title, event) => {
            if (event.type === 'job.progress' && event.bytesTotal === 0) ctx.stderr(`${event.phase}\n`);
          },
        );
        const drill = await session.client.getDrill({ id: drillId });
        const summary = drillSummary(drill);
        if (options.json) ctx.stdout(JSON.stringify(summary, null, 2) + '\n');
        else {
          ctx.stdout(
            `Drill ${summary.status}: RPO ${summary.rpoSeconds ?? '—'} s, RTO ${summary.rtoSeconds ?? '—'} s, cleanup ${drill.cleanupConfirmed ? 'confirmed' : 'NOT confirmed'}\n`,
          );
          for (const vm of summary.vms)
            ctx.stdout(
              `  ${vm.name}: ${vm.status}${vm.failure ? ` — ${vm.failure}` : vm.unverified ? ` — ${vm.unverified.reason}` : ''}\n`,
            );
        }
        if (summary.status === 'unverified') {
          throw new LifeboatError('INTERNAL', 'The drill is unverified: the VMs ran, but not every one proved that its guest came up.', {
            fix: summary.vms.find((v) => v.unverified)?.unverified?.fix ?? 'Add a TCP check for a port each guest serves.',
          });
        }
        if (summary.status !== 'passed')
          throw new LifeboatError('INTERNAL', `The drill ${summary.status}.`, {
            fix: `See the steps with \`lifeboat drills --json\` or on the Drills page.`,
          });
      } finally {
        await session.close();
      }
    });

  program
    .command('drills')
    .description('Past drills, newest first.')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const drills = await withEngineClient(ctx, command, (client) => client.listDrills());
      if (options.json) return void ctx.stdout(JSON.stringify(drills.map(drillSummary), null, 2) + '\n');
      if (drills.length === 0) return void ctx.stdout('No drills yet. Run one with `lifeboat drill run <plan>`.\n');
      for (const d of drills)
        ctx.stdout(`${d.startedAt}\t${d.status}\t${d.plan}\tRTO ${d.rtoSeconds ?? '—'} s\tRPO ${d.rpoSeconds ?? '—'} s\n`);
    });
}

function drillSummary(drill: Drill) {
  return {
    id: drill.id,
    plan: drill.plan,
    kind: drill.kind,
    status: drill.status,
    startedAt: drill.startedAt,
    rpoSeconds: drill.rpoSeconds,
    rtoSeconds: drill.rtoSeconds,
    cleanupConfirmed: drill.cleanupConfirmed,
    failure: drill.failure ?? null,
    vms: drill.vms.map((vm) => ({
      name: vm.vm,
      status: vm.status,
      failure: vm.failure,
      unverified: vm.unverified ?? null,
      checks: vm.checks.map((c) => ({ name: c.name, status: c.status, detail: c.detail, evidence: c.evidence ?? [] })),
      screenshot: vm.screenshot,
    })),
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
