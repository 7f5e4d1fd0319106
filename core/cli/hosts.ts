import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import type { AddHostInput, Host } from '../contract/hosts';
import { type CliContext } from './context';
import { withEngineClient } from './engine-client';

/** `lifeboat hosts …`: the hosts Lifeboat discovers VMs on. */
export function registerHosts(program: Command, ctx: CliContext): void {
  const hosts = program
    .command('hosts')
    .description('Hyper-V hosts, ESXi/vCenter servers and Workstation folders Lifeboat discovers VMs on.');

  hosts
    .command('list')
    .description('List hosts with their status and VM counts.')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const list = await withEngineClient(ctx, command, (client) => client.listHosts());
      if (options.json) return void ctx.stdout(JSON.stringify(list, null, 2) + '\n');
      if (list.length === 0)
        return void ctx.stdout(
          'No hosts yet. Add one with `lifeboat hosts add hyperv|vsphere|workstation|azure …`, or try `lifeboat lab create`.\n',
        );
      for (const host of list)
        ctx.stdout(
          `${host.name}\t${host.kind}\t${host.address ?? 'this computer'}\t${host.vmCount} VMs\t${host.status}${host.statusMessage ? `: ${host.statusMessage}` : ''}\n`,
        );
    });

  const add = hosts.command('add').description('Add a host; the connection is checked before it is saved. Then run `lifeboat discover`.');

  add
    .command('hyperv')
    .description('A Hyper-V host: this computer, or a remote host by name (PowerShell remoting).')
    .option('--address <host>', 'remote host name; leave out for this computer')
    .option('--name <name>', 'name shown in Lifeboat (default: the address)')
    .option('--username <user>', 'account for a remote host, e.g. CORP\\lifeboat (default: your own Windows account)')
    .option('--password-file <file>', 'read the password from this file (default: LIFEBOAT_HOST_PASSWORD)')
    .option(
      '--replay <dir>',
      "answer this host's scripts from outputs saved by `lifeboat hosts record` in DIR (support looks at a customer's host offline)",
    )
    .action(
      async (options: { address?: string; name?: string; username?: string; passwordFile?: string; replay?: string }, command: Command) => {
        const input: AddHostInput = { kind: 'hyperv' };
        if (options.address) input.address = options.address;
        if (options.name) input.name = options.name;
        if (options.replay) input.replayFolder = path.resolve(options.replay);
        if (options.username) {
          input.username = options.username;
          input.password = readHostPassword(ctx, options.passwordFile);
        }
        await addHost(ctx, command, input);
      },
    );

  add
    .command('vsphere')
    .description('An ESXi host or vCenter Server (vSphere API over HTTPS; the certificate is pinned).')
    .requiredOption('--address <host>', 'ESXi or vCenter host name or IP (host:port for a non-standard port)')
    .requiredOption('--username <user>', 'e.g. administrator@vsphere.local or root')
    .option('--password-file <file>', 'read the password from this file (default: LIFEBOAT_HOST_PASSWORD)')
    .option('--thumbprint <sha256>', 'the certificate thumbprint you confirmed (printed when the certificate is not yet trusted)')
    .option('--port <n>', 'HTTPS port (default 443)', (value) => Number(value))
    .option('--http', 'plain HTTP: only for labs and simulators, never production')
    .option('--name <name>', 'name shown in Lifeboat (default: the address)')
    .action(
      async (
        options: {
          address: string;
          username: string;
          passwordFile?: string;
          thumbprint?: string;
          port?: number;
          http?: boolean;
          name?: string;
        },
        command: Command,
      ) => {
        const input: AddHostInput = {
          kind: 'vsphere',
          address: options.address,
          username: options.username,
          password: readHostPassword(ctx, options.passwordFile),
          scheme: options.http ? 'http' : 'https',
        };
        if (options.thumbprint) input.thumbprint = options.thumbprint;
        if (options.port !== undefined) input.port = options.port;
        if (options.name) input.name = options.name;
        await addHost(ctx, command, input);
      },
    );

  add
    .command('workstation')
    .description("VMware Workstation VMs in folders on this computer (and Workstation's own VM list).")
    .requiredOption('--folder <path...>', 'folder(s) holding VM folders with .vmx files')
    .option('--name <name>', 'name shown in Lifeboat')
    .option('--no-inventory', "ignore Workstation's own VM list (inventory.vmls)")
    .action(async (options: { folder: string[]; name?: string; inventory: boolean }, command: Command) => {
      const input: AddHostInput = { kind: 'workstation', folders: options.folder, useInventory: options.inventory };
      if (options.name) input.name = options.name;
      await addHost(ctx, command, input);
    });

  add
    .command('azure')
    .description('An Azure recovery site: a resource group where drills and failovers start VMs (service principal, client secret).')
    .requiredOption('--tenant <id>', 'Microsoft Entra tenant id (GUID)')
    .requiredOption('--client-id <id>', "the service principal's application (client) id")
    .requiredOption('--subscription <id>', 'subscription id (GUID)')
    .requiredOption('--resource-group <name>', 'resource group recovered VMs are made in (it must exist)')
    .requiredOption('--location <region>', 'Azure region for disks and VMs, e.g. westeurope')
    .option('--storage-account <name>', 'storage account for warm replicas')
    .option('--password-file <file>', 'read the client secret from this file (default: LIFEBOAT_HOST_PASSWORD)')
    .option('--arm-endpoint <url>', 'Resource Manager endpoint (sovereign clouds; default https://management.azure.com)')
    .option('--login-endpoint <url>', 'Microsoft Entra endpoint (sovereign clouds; default https://login.microsoftonline.com)')
    .option('--name <name>', 'name shown in Lifeboat')
    .action(async (options: AzureOptions, command: Command) => {
      const input: AddHostInput = {
        kind: 'azure',
        tenantId: options.tenant,
        clientId: options.clientId,
        clientSecret: readHostPassword(ctx, options.passwordFile),
        subscriptionId: options.subscription,
        resourceGroup: options.resourceGroup,
        location: options.location,
      };
      if (options.storageAccount) input.storageAccount = options.storageAccount;
      if (options.armEndpoint) input.armEndpoint = options.armEndpoint;
      if (options.loginEndpoint) input.loginEndpoint = options.loginEndpoint;
      if (options.name) input.name = options.name;
      await addHost(ctx, command, input);
    });

  hosts
    .command('remove')
    .description('Forget a host and its VMs (nothing on the host changes).')
    .argument('<host>', 'host name or id')
    .action(async (host: string, _options: unknown, command: Command) => {
      await withEngineClient(ctx, command, (client) => client.removeHost({ id: host }));
      ctx.stdout(`Removed ${host}.\n`);
    });

  hosts
    .command('record')
    .description(
      "Save the outputs of a Hyper-V host's read-only scripts into an empty folder (secrets redacted), to replay it offline with `hosts add hyperv --replay`.",
    )
    .argument('<host>', 'host name or id')
    .requiredOption('--out <dir>', 'a new or empty folder for the outputs, PROVENANCE.md and manifest.json')
    .option('--json', 'print one JSON document')
    .action(async (host: string, options: { out: string; json?: boolean }, command: Command) => {
      const recording = await withEngineClient(ctx, command, (client) => client.recordHost({ id: host, out: path.resolve(options.out) }));
      if (options.json) return void ctx.stdout(JSON.stringify(recording, null, 2) + '\n');
      ctx.stdout(
        `Recorded ${recording.hostName}: ${recording.scripts.length} script outputs in ${recording.folder}${recording.skipped.length ? ` (${recording.skipped.length} skipped, see manifest.json)` : ''}.\n`,
      );
    });

  hosts
    .command('certificate')
    .description('Show the certificate a vSphere host presents, to compare its thumbprint before trusting it.')
    .argument('<address>', 'host name or IP (host:port for a non-standard port)')
    .option('--json', 'print one JSON document')
    .action(async (address: string, options: { json?: boolean }, command: Command) => {
      const info = await withEngineClient(ctx, command, (client) => client.inspectCertificate({ address }));
      if (options.json) return void ctx.stdout(JSON.stringify(info, null, 2) + '\n');
      ctx.stdout(
        `SHA-256:  ${info.sha256}\nSubject:  ${info.subject}\nIssuer:   ${info.issuer}${info.selfSigned ? ' (self-signed)' : ''}\nValid:    ${info.validFrom} to ${info.validTo}\n`,
      );
    });

  for (const command of [hosts, add, ...hosts.commands, ...add.commands]) command.exitOverride();
}

interface AzureOptions {
  tenant: string;
  clientId: string;
  subscription: string;
  resourceGroup: string;
  location: string;
  storageAccount?: string;
  passwordFile?: string;
  armEndpoint?: string;
  loginEndpoint?: string;
  name?: string;
}

async function addHost(ctx: CliContext, command: Command, input: AddHostInput): Promise<Host> {
  const host = await withEngineClient(ctx, command, (client) => client.addHost(input));
  ctx.stdout(
    `Added ${host.name} (${host.kind}${host.statusMessage ? `: ${host.statusMessage}` : ''}). Run \`lifeboat discover\` to list its VMs.\n`,
  );
  if (host.settings.thumbprint) ctx.stdout(`Pinned certificate SHA-256 ${host.settings.thumbprint}.\n`);
  return host;
}

/** A host password without putting it on the command line: LIFEBOAT_HOST_PASSWORD or --password-file. */
function readHostPassword(ctx: CliContext, file: string | undefined): string {
  if (file) {
    try {
      return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (error) {
      throw new LifeboatError('INVALID_INPUT', `Cannot read the password file ${file}.`, {
        fix: 'Check the path and that this account may read it.',
        cause: error,
      });
    }
  }
  const fromEnv = ctx.env.LIFEBOAT_HOST_PASSWORD;
  if (fromEnv) return fromEnv;
  throw new LifeboatError('INVALID_INPUT', 'No password given for the host.', {
    fix: 'Set LIFEBOAT_HOST_PASSWORD or pass --password-file FILE.',
  });
}
