import type { Command } from 'commander';
import { errorCodes, LifeboatError, type ErrorCode } from '../contract/errors';
import type { Vm } from '../contract/hosts';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

const GiB = 1024 ** 3;

/** `lifeboat discover`: lists VMs of every host (or one) into the catalog and prints them. */
export function registerDiscover(program: Command, ctx: CliContext): void {
  program
    .command('discover')
    .description('List the VMs of every host (or --host) into the catalog; reports added, removed and changed VMs.')
    .option('--host <host>', 'only this host (name or id)')
    .option('--json', 'print the VMs as one JSON array (name, host, powerState, disks, …)')
    .action(async (options: { host?: string; json?: boolean }, command: Command) => {
      const { results, vms } = await withEngineClient(ctx, command, async (client) => {
        const input = options.host ? { hostId: options.host } : {};
        const results = await client.discover(input);
        return { results, vms: await client.listVms(input) };
      });
      for (const r of results) {
        const line = r.ok
          ? `${r.hostName}: ${r.total} VMs (${r.added} added, ${r.removed} removed, ${r.changed} changed) in ${r.durationMs} ms\n`
          : `${r.hostName}: failed: ${r.error?.message ?? 'unknown error'}${r.error?.fix ? `\n  fix: ${r.error.fix}` : ''}\n`;
        // With --json, stdout is the document alone; the summary goes to stderr.
        (options.json ? ctx.stderr : ctx.stdout)(line);
      }
      if (options.json)
        ctx.stdout(
          JSON.stringify(
            vms.map((vm) => ({ ...vm, host: vm.hostName })),
            null,
            2,
          ) + '\n',
        );
      else for (const vm of vms) ctx.stdout(formatVm(vm));
      const failed = results.find((r) => !r.ok);
      if (failed?.error && results.every((r) => !r.ok)) {
        // Nothing could be listed: exit 1, with the first host's reason as the error line.
        throw new LifeboatError(
          failed.error.code in errorCodes ? (failed.error.code as ErrorCode) : 'INTERNAL',
          failed.error.message,
          failed.error.fix ? { fix: failed.error.fix } : {},
        );
      }
    });
}

function formatVm(vm: Vm): string {
  const size = vm.disks.reduce((sum, d) => sum + (d.capacityBytes ?? 0), 0);
  return `  ${vm.name}\t${vm.hostName}\t${vm.powerState}\t${vm.cpus ?? '?'} vCPU\t${vm.memoryMiB ?? '?'} MiB\t${vm.disks.length} disk(s), ${(size / GiB).toFixed(1)} GiB\n`;
}
