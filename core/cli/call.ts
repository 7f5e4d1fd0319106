import type { Command } from 'commander';
import { methods } from '../contract/api';
import { dispatch } from '../contract/dispatch';
import { LifeboatError } from '../contract/errors';
import { withService, type CliContext } from './context';

/** The CLI transport of the whole ConsoleApi: any method, JSON in, JSON out. */
export function registerCall(program: Command, ctx: CliContext): void {
  program
    .command('call')
    .description('Call any ConsoleApi method with a JSON input and print its JSON result.')
    .argument('[method]', 'method name, e.g. getSettings')
    .argument('[input]', 'JSON input', '{}')
    .option('--list', 'list every method with what it does')
    .action(async (method: string | undefined, input: string, options: { list?: boolean }, command: Command) => {
      if (options.list || method === undefined) {
        for (const [name, spec] of Object.entries(methods)) ctx.stdout(`${name.padEnd(24)} ${spec.summary}\n`);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        throw new LifeboatError('INVALID_INPUT', 'The input is not valid JSON.', { fix: `Quote it for your shell, e.g. '{"organisation":"Acme"}'.` });
      }
      const result = await withService(ctx, command, (service) => dispatch(service.api, method, parsed));
      ctx.stdout(JSON.stringify(result ?? null, null, 2) + '\n');
    });
}
