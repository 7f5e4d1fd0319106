import type { Command } from 'commander';
import type { CliContext } from './context';
import { hostEngine, parsePort } from './engine-host';

/**
 * The engine as a service (systemd unit or Windows service): schedules and drills run with no window open;
 * desktop and browser consoles connect to it. See resources/service/ for the unit and install script.
 */
export function registerAgent(program: Command, ctx: CliContext): void {
  program
    .command('agent')
    .description('Run the Lifeboat engine in the background (for a service manager); consoles connect to it.')
    .option('--port <n>', 'port for consoles on 127.0.0.1; 0 or none picks a free port', parsePort, 0)
    .option('--new-token', 'make a new access token: links and open tabs from before stop working')
    .action(async (options: { port: number; newToken?: boolean }, command: Command) => {
      await hostEngine(ctx, command, {
        kind: 'agent',
        port: options.port,
        newToken: options.newToken === true,
        announce: (url) => `Lifeboat agent running for ${ctx.dataDir(command)}.\nLifeboat console: ${url}\n`,
      });
    });
}
