import type { Command } from 'commander';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

export function registerDiagnostics(program: Command, ctx: CliContext): void {
  program
    .command('diagnostics')
    .description('Zip logs and the catalog (secrets removed) for support.')
    .option('--out <file>', 'where to write the zip (default: <data>/diagnostics/…)')
    .action(async (options: { out?: string }, command: Command) => {
      const result = await withEngineClient(ctx, command, (client) => client.exportDiagnostics({ outFile: options.out }));
      ctx.stdout(
        `Diagnostics written to ${result.file} (${result.entries.length} files, ${result.bytes} bytes). No secrets are included.\n`,
      );
    });
}
