import path from 'node:path';
import type { Command } from 'commander';
import { coverageText, overallLabel, type ReportSummary } from '../contract/reports';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

interface ReportOptions {
  from: string;
  to: string;
  out?: string;
  preview?: boolean;
  json?: boolean;
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('Write the Excel compliance workbook for a period (its SHA-256 goes into the audit log).')
    .requiredOption('--from <day>', 'first day of the period, e.g. 2026-01-01 (local time)')
    .requiredOption('--to <day>', 'last day of the period, included, e.g. 2026-03-31')
    .option('--out <file>', 'where to write the .xlsx (default: <data>/reports/lifeboat-report-<from>-to-<to>.xlsx)')
    .option('--preview', 'print the Summary numbers without writing a file')
    .option('--json', 'print one JSON document')
    .action(async (options: ReportOptions, command: Command) => {
      const period = { from: options.from, to: options.to };
      if (options.preview) {
        const summary = await withEngineClient(ctx, command, (client) => client.previewReport(period));
        ctx.stdout(options.json ? JSON.stringify(summary, null, 2) + '\n' : describe(summary));
        return;
      }
      const outFile = options.out === undefined ? undefined : path.resolve(options.out);
      const result = await withEngineClient(ctx, command, (client) => client.exportReport({ ...period, outFile }));
      if (options.json) {
        ctx.stdout(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      ctx.stdout(`Report written to ${result.file}\n  ${result.bytes} bytes, SHA-256 ${result.sha256} (recorded in the audit log)\n`);
      // The workbook links to these copies by a relative path: the folder travels with it.
      if (result.evidenceFolder)
        ctx.stdout(
          `  Drill evidence: ${result.evidenceFiles} file${result.evidenceFiles === 1 ? '' : 's'} in ${result.evidenceFolder} (keep it beside the workbook)\n`,
        );
      ctx.stdout(describe(result.summary));
    });
}

function describe(s: ReportSummary): string {
  const percent = s.rpoCompliancePercent === null ? 'n/a' : `${s.rpoCompliancePercent.toFixed(2)}%`;
  const lines = [
    `${s.organisation ?? 'Organisation not set'} — ${s.from} to ${s.to} (${s.timeZone})`,
    `  Overall: ${s.overall === 'failing' ? 'FAILING' : overallLabel(s)}`,
    ...s.reasons.map((reason) => `    - ${reason}`),
    `  VMs: ${s.vms} (${s.protectedVms} protected, ${s.unprotectedVms} unprotected)`,
    `  RPO compliance: ${percent}, ${s.rpoBreaches} breaches, ${s.minutesInBreach} minutes in breach (${coverageText(s.coverage)})`,
    `  Drills: ${s.drillsRun} run, ${s.drillsPassed} passed, ${s.drillsUnverified} unverified, ${s.drillsFailed} failed`,
    `  Runs: ${s.jobsRun} (${s.jobsFailed} failed); open action items: ${s.openActionItems}`,
    `  Audit log: ${s.auditEntries} entries in the period, chain ${s.auditIntact ? 'intact' : 'BROKEN'}`,
  ];
  return lines.join('\n') + '\n';
}
