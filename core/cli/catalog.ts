import type { Command } from 'commander';
import { cloudCredentials, readPassphrase, type CliContext } from './context';
import { withEngineClient } from './engine-client';

export function registerCatalog(program: Command, ctx: CliContext): void {
  program
    .command('catalog')
    .description('The local catalog of hosts, policies, jobs and recovery points.')
    .command('rebuild')
    .description('Rebuild the catalog from a vault (after losing the console machine): recovery points and their policies.')
    .argument('<location>', 'the vault: a folder path, azblob://<container>[/<prefix>] or s3://<bucket>[/<prefix>]')
    .option('--passphrase-file <file>', 'the vault passphrase (default: LIFEBOAT_PASSPHRASE)')
    .option('--json', 'print one JSON document')
    .action(async (location: string, options: { passphraseFile?: string; json?: boolean }, command: Command) => {
      const passphrase = readPassphrase(ctx, options.passphraseFile);
      const credentials = cloudCredentials(location, ctx.env);
      const result = await withEngineClient(ctx, command, (client) =>
        client.rebuildCatalog({ location, passphrase, ...(credentials ? { credentials } : {}) }),
      );
      if (options.json) return void ctx.stdout(JSON.stringify(result, null, 2) + '\n');
      ctx.stdout(`Catalog rebuilt from ${location}: ${result.points} recovery points.\n`);
      if (result.policiesRestored.length) ctx.stdout(`Policies restored: ${result.policiesRestored.join(', ')}.\n`);
      for (const waiting of result.waitingForVms)
        ctx.stdout(
          `Policy "${waiting.policy}" waits for ${waiting.vms.join(', ')}: add their hosts, run \`lifeboat discover\`, then rebuild again.\n`,
        );
    });
}
