import type { Command } from 'commander';
import { createLocalClient } from '../contract/dispatch';
import { LifeboatError } from '../contract/errors';
import { withService, type CliContext } from './context';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The tamper-evident audit log of every change to protection.');

  audit
    .command('verify')
    .description('Check the hash chain; exits 1 naming the first edited or deleted entry.')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const result = await withService(ctx, command, (service) => createLocalClient(service.api).verifyAudit());
      if (options.json) ctx.stdout(JSON.stringify(result, null, 2) + '\n');
      else if (result.ok) ctx.stdout(`Audit log intact: ${result.checked} entries, head ${result.headHash}.\n`);
      if (!result.ok) {
        throw new LifeboatError('AUDIT_TAMPERED', `The audit log was tampered with: ${result.problem}`, {
          fix: 'Restore lifeboat.db from a backup, and tell your auditor which entries were changed.',
        });
      }
    });

  audit
    .command('list')
    .description('Print audit entries, newest first.')
    .option('--from <date>', 'from this date (YYYY-MM-DD or ISO time)')
    .option('--to <date>', 'until this date (exclusive)')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--json', 'print one JSON document')
    .action(async (options: { from?: string; to?: string; limit: string; json?: boolean }, command: Command) => {
      const entries = await withService(ctx, command, (service) =>
        createLocalClient(service.api).listAuditEvents({ from: options.from, to: options.to, limit: Number(options.limit) }),
      );
      if (options.json) {
        ctx.stdout(JSON.stringify(entries, null, 2) + '\n');
        return;
      }
      for (const e of entries) ctx.stdout(`${e.seq}\t${e.time}\t${e.actor}\t${e.action}\t${e.subject ?? ''}\n`);
    });
}
