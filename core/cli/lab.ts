import path from 'node:path';
import type { Command } from 'commander';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

/** `lifeboat lab create`: three small Workstation-format VMs to try Lifeboat on any machine. */
export function registerLab(program: Command, ctx: CliContext): void {
  const lab = program.command('lab').description('A sample lab of three small VMs to try Lifeboat with.');
  lab
    .command('create')
    .description('Create the sample lab (VMware Workstation format) and add it as a host.')
    .option('--dir <folder>', 'where to create it (default: <data folder>/sample-lab)')
    .action(async (options: { dir?: string }, command: Command) => {
      const result = await withEngineClient(ctx, command, (client) =>
        client.createSampleLab(options.dir ? { folder: path.resolve(options.dir) } : {}),
      );
      ctx.stdout(
        `Sample lab ready in ${result.folder}: ${result.vms.join(', ')}.\nIt is in the catalog as a Workstation host; see the VMs with \`lifeboat discover\` or on the Virtual machines page.\n`,
      );
    });
  lab.exitOverride();
  for (const command of lab.commands) command.exitOverride();
}
