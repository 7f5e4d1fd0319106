import path from 'node:path';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The tamper-evident audit log of every change to protection.');

  audit
    .command('verify')
    .description(
      "Check the hash chain and its MACs, and the log's end against every vault's anchor (and a workbook's); exits 1 naming what is wrong.",
    )
    .option('--workbook <file>', 'also check against the anchor in a workbook Lifeboat exported')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean; workbook?: string }, command: Command) => {
      const workbook = options.workbook ? path.resolve(options.workbook) : undefined;
      const result = await withEngineClient(ctx, command, (client) => client.verifyAudit(workbook ? { workbook } : {}));
      if (options.json) ctx.stdout(JSON.stringify(result, null, 2) + '\n');
      else if (result.ok) {
        ctx.stdout(`Audit log intact: ${result.checked} entries, head ${result.headHash}.\n`);
        for (const source of result.anchorsChecked) ctx.stdout(`  matches ${source}\n`);
        if (result.anchorsChecked.length === 0)
          ctx.stdout('  no anchor outside the catalog to check against yet (one is written to the vault with every copy).\n');
      }
      for (const source of result.anchorsUnchecked ?? []) ctx.stderr(`warning: not checked against ${source}\n`);
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
      const entries = await withEngineClient(ctx, command, (client) =>
        client.listAuditEvents({ from: options.from, to: options.to, limit: Number(options.limit) }),
      );
      if (options.json) {
        ctx.stdout(JSON.stringify(entries, null, 2) + '\n');
        return;
      }
      for (const e of entries) ctx.stdout(`${e.seq}\t${e.time}\t${e.actor}\t${e.action}\t${e.subject ?? ''}\n`);
    });
}
