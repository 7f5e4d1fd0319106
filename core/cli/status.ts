import type { Command } from 'commander';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show whether Lifeboat is set up and what the catalog holds.')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const status = await withEngineClient(ctx, command, (client) => client.getStatus({}));
      if (options.json) {
        ctx.stdout(JSON.stringify(status, null, 2) + '\n');
        return;
      }
      const c = status.counts;
      ctx.stdout(
        [
          `Lifeboat ${status.version}`,
          `Data folder:   ${status.dataDir}`,
          `Organisation:  ${status.organisation ?? '(not set up yet: run `lifeboat setup` or open the console)'}`,
          `Hosts: ${c.hosts}   VMs: ${c.vms}   Policies: ${c.policies}   Recovery points: ${c.recoveryPoints}   Drills: ${c.drills}   Running jobs: ${c.runningJobs}`,
        ].join('\n') + '\n',
      );
    });
}
