import type { Command } from 'commander';
import { readPassphrase, type CliContext } from './context';
import { withEngineClient } from './engine-client';

/** The first-run wizard without a window, for Server Core hosts and scripts. */
export function registerSetup(program: Command, ctx: CliContext): void {
  program
    .command('setup')
    .description('Set up Lifeboat without the console: organisation, vault folder and vault passphrase.')
    .requiredOption('--organisation <name>', 'your organisation, as it should appear on reports')
    .requiredOption('--vault-folder <path>', 'full path of the vault folder (a second disk or a network share)')
    .option('--passphrase-file <file>', 'read the vault passphrase from this file (default: LIFEBOAT_PASSPHRASE)')
    .action(async (options: { organisation: string; vaultFolder: string; passphraseFile?: string }, command: Command) => {
      const passphrase = readPassphrase(ctx, options.passphraseFile);
      const { settings, vault } = await withEngineClient(ctx, command, async (client) => {
        const done = await client.completeFirstRun({
          organisation: options.organisation,
          vault: { kind: 'folder', path: options.vaultFolder },
          passphrase,
        });
        // As the wizard does: setup ends with a vault that exists and opens with the passphrase, or with its error.
        return { settings: done, vault: await client.vaultInit({}) };
      });
      const how = vault.created
        ? `created the vault at ${vault.location}`
        : `opened the vault already at ${vault.location} with that passphrase`;
      ctx.stdout(`Lifeboat is set up for ${settings.organisation}; it ${how}.\n`);
    });
}
