import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import { startHttpServer } from '../http/server';
import type { CliContext } from './context';

/** Browser mode: the console for hosts without a desktop, bound to 127.0.0.1 with a random token. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('Serve the console in a browser on 127.0.0.1 (prints the link with its access token).')
    .option('--port <n>', 'port to listen on; 0 or none picks a free port', parsePort, 0)
    .action(async (options: { port: number }, command: Command) => {
      const service = ctx.openService(command);
      const staticDir = findRendererDir();
      if (!staticDir) ctx.stderr('warning: the console UI is not built (run `npm run build`); serving the API only.\n');
      const server = await startHttpServer({ service, staticDir, port: options.port }).catch(async (error: unknown) => {
        await service.close();
        throw new LifeboatError('CONFLICT', `Cannot listen on 127.0.0.1:${options.port}: ${(error as Error).message}.`, {
          fix: 'Choose another port with --port, or leave it out to pick a free one.',
        });
      });
      ctx.stdout(`Lifeboat console: ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      await service.close();
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LifeboatError('INVALID_INPUT', `--port must be a number from 0 to 65535, not "${value}".`);
  }
  return port;
}

/** dist/renderer next to the bundled CLI, or the repo's dist/renderer when running from source. */
function findRendererDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'renderer'), path.resolve(here, '..', '..', 'dist', 'renderer')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? null;
}
