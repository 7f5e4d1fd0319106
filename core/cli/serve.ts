import type { Command } from 'commander';
import { engineRunning, runningEngine } from '../engine-lock';
import type { CliContext } from './context';
import { hostEngine, parsePort } from './engine-host';

/** Browser mode: the console for hosts without a desktop, bound to 127.0.0.1 with a random token. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('Serve the console in a browser on 127.0.0.1 (prints the link with its access token).')
    .option('--port <n>', 'port to listen on; 0 or none picks a free port', parsePort, 0)
    .option('--new-token', 'make a new access token: links and open tabs from before stop working')
    .action(async (options: { port: number; newToken?: boolean }, command: Command) => {
      // One engine per data folder: when an agent already runs it, hand out its console instead.
      const running = runningEngine(ctx.dataDir(command));
      if (running?.url) {
        ctx.stderr(`The Lifeboat ${running.kind} (process ${running.pid}) already runs this data folder; use its console.\n`);
        // The lock holds the address programs use (?token=); a person gets the link with the token in the fragment.
        ctx.stdout(`Lifeboat console: ${running.url.replace('/?token=', '/#token=')}\n`);
        return;
      }
      if (running) throw engineRunning(ctx.dataDir(command), running);
      await hostEngine(ctx, command, {
        kind: 'serve',
        port: options.port,
        newToken: options.newToken === true,
        announce: (url) => `Lifeboat console: ${url}\n`,
      });
    });
}
