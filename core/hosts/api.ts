import type { ConsoleApi } from '../contract/api';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { DiscoveryResult, Host, HostSettings } from '../contract/hosts';
import type { RoomDeps } from '../service-context';
import { HostsStore, publicHost, type HostRecord } from '../store/hosts';
import { VmsStore } from '../store/vms';
import { inspectCertificate } from '../hypervisors/vsphere/certificate';
import { HostConnector, type Providers } from './connector';
import { createSampleLab, defaultLabFolder } from '../hypervisors/sample-lab';
import type { Credentials, HostConnection } from '../hypervisors/types';
import { hypervRunner } from '../hypervisors/registry';
import { recordHost } from '../hypervisors/hyperv/record';
import { VERSION } from '../version';

/** What this module needs from the engine (see RoomDeps). */
export type HostsDeps = RoomDeps<'audit' | 'bus' | 'clock' | 'dataDir' | 'db' | 'hosts' | 'operator' | 'secrets'>;

type HostsApi = Pick<
  ConsoleApi,
  'listHosts' | 'addHost' | 'removeHost' | 'discover' | 'listVms' | 'inspectCertificate' | 'createSampleLab' | 'recordHost'
>;

export type { Providers } from './connector';

/**
 * Hosts and their VMs: adding a host checks the connection (and, for vSphere, the certificate) before
 * anything is saved; discovery replaces a host's VM list and announces what changed.
 */
export function hostsApi(ctx: HostsDeps, providers?: Providers): HostsApi {
  const connector = providers ? new HostConnector(ctx.db, ctx.secrets, providers) : ctx.hosts;
  const hosts = new HostsStore(ctx.db);
  const vms = new VmsStore(ctx.db);
  const secretId = (hostId: string): string => `host-credentials:${hostId}`;

  const find = (id: string): HostRecord => {
    const host = hosts.get(id) ?? hosts.findByName(id);
    if (!host)
      throw new LifeboatError('NOT_FOUND', `There is no host ${id}.`, {
        fix: 'List hosts with `lifeboat hosts list`, or refresh the Virtual machines page.',
      });
    return host;
  };

  const discoverHost = async (host: HostRecord): Promise<DiscoveryResult> => {
    const started = performance.now();
    const base = { hostId: host.id, hostName: host.name };
    try {
      const found = await connector.with(connector.connection(host), (hypervisor) => hypervisor.listVms());
      const now = ctx.clock.now();
      const change = vms.applyDiscovery(host.id, found, now);
      hosts.setStatus(host.id, 'ok', null, now);
      ctx.bus.emit({ type: 'inventory.changed', hostId: host.id, added: change.added, removed: change.removed, changed: change.changed });
      return { ...base, ok: true, ...change, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      const failure = toLifeboatError(error);
      hosts.setStatus(host.id, 'error', failure.fix ? `${failure.message} ${failure.fix}` : failure.message, ctx.clock.now());
      ctx.bus.emit({ type: 'inventory.changed', hostId: host.id, added: 0, removed: 0, changed: 0 });
      return {
        ...base,
        ok: false,
        total: 0,
        added: 0,
        removed: 0,
        changed: 0,
        durationMs: Math.round(performance.now() - started),
        error: failure.toBody(),
      };
    }
  };

  const api: HostsApi = {
    async listHosts() {
      return hosts.list().map(publicHost);
    },

    async addHost(input): Promise<Host> {
      const settings: HostSettings = {};
      let address: string | null = null;
      let credentials: Credentials | null = null;
      let name: string;
      if (input.kind === 'workstation') {
        settings.folders = input.folders;
        settings.useInventory = input.useInventory;
        name = input.name ?? `Workstation (${input.folders[0]})`;
      } else if (input.kind === 'hyperv') {
        address = input.address && !/^(localhost|127\.0\.0\.1|\.)$/i.test(input.address) ? input.address : null;
        if (input.username !== undefined && input.password !== undefined)
          credentials = { username: input.username, password: input.password };
        if (credentials) settings.username = credentials.username;
        if (input.replayFolder) settings.replayFolder = input.replayFolder;
        name = input.name ?? address ?? 'This computer';
      } else if (input.kind === 'azure') {
        const { tenantId, subscriptionId, resourceGroup, location, armEndpoint, loginEndpoint } = input;
        settings.azure = { tenantId, subscriptionId, resourceGroup, location, armEndpoint, loginEndpoint };
        if (input.storageAccount) settings.azure.storageAccount = input.storageAccount;
        settings.username = input.clientId;
        credentials = { username: input.clientId, password: input.clientSecret };
        address = new URL(armEndpoint).host;
        name = input.name ?? `Azure ${resourceGroup} (${location})`;
      } else {
        const [hostPart, portPart] = splitPort(input.address);
        address = hostPart;
        settings.scheme = input.scheme;
        settings.port = input.port ?? portPart ?? (input.scheme === 'http' ? 80 : 443);
        settings.username = input.username;
        if (input.thumbprint) settings.thumbprint = input.thumbprint;
        credentials = { username: input.username, password: input.password };
        name = input.name ?? address;
      }
      if (hosts.findByName(name)) {
        throw new LifeboatError('CONFLICT', `A host called "${name}" is already in the catalog.`, {
          field: 'name',
          fix: 'Give this host another name, or remove the old one first.',
        });
      }

      // Check before saving: a host that cannot be reached or signed in to is not added.
      const probe: HostConnection = { id: 'new', name, kind: input.kind, address, settings, credentials };
      const described = await connector.with(probe, (hypervisor) => hypervisor.describe());
      if (described.thumbprint) settings.thumbprint = described.thumbprint;

      const now = ctx.clock.now();
      const id = crypto.randomUUID();
      const record = ctx.db.transaction(() => {
        if (credentials) ctx.secrets.put(secretId(id), `Credentials for ${name}`, JSON.stringify(credentials), now);
        return hosts.create({ name, kind: input.kind, address, settings, credentialsSecretId: credentials ? secretId(id) : null }, now, id);
      })();
      hosts.setStatus(record.id, 'ok', `${described.product} ${described.version}`.trim(), now);
      ctx.audit.append(ctx.operator, 'host.added', name, { kind: input.kind, address, settings: { ...settings } });
      return publicHost(hosts.get(record.id)!);
    },

    async removeHost({ id }) {
      const host = find(id);
      const protectedVms = vms.protectedOnHost(host.id);
      if (protectedVms.length > 0) {
        const first = protectedVms[0]!;
        throw new LifeboatError(
          'CONFLICT',
          `${host.name} has protected VMs (${first.vm} in "${first.policy}"${protectedVms.length > 1 ? ` and ${protectedVms.length - 1} more` : ''}).`,
          {
            fix: 'Remove its VMs from their protection policies first; recovery points stay in the vault.',
          },
        );
      }
      ctx.db.transaction(() => {
        if (host.credentialsSecretId) ctx.secrets.delete(host.credentialsSecretId);
        hosts.delete(host.id);
      })();
      ctx.audit.append(ctx.operator, 'host.removed', host.name, { kind: host.kind });
      ctx.bus.emit({ type: 'inventory.changed', hostId: host.id, added: 0, removed: host.vmCount, changed: 0 });
    },

    async discover({ hostId }) {
      const targets = hostId ? [find(hostId)] : hosts.list();
      // Hosts are independent: one slow or failing host does not hold up the others.
      return Promise.all(targets.map((host) => discoverHost(host)));
    },

    async listVms({ hostId }) {
      return vms.list(hostId ? find(hostId).id : undefined);
    },

    async inspectCertificate({ address, port }) {
      const [hostPart, portPart] = splitPort(address);
      return inspectCertificate(hostPart, portPart ?? port);
    },

    async recordHost({ id, out }) {
      const host = find(id);
      if (host.kind !== 'hyperv') {
        throw new LifeboatError('INVALID_INPUT', `${host.name} is a ${host.kind} host; only Hyper-V hosts can be recorded.`, {
          field: 'id',
          fix: 'Name a Hyper-V host (`lifeboat hosts list`).',
        });
      }
      const connection = connector.connection(host);
      const runner = hypervRunner(connection);
      try {
        const recording = await recordHost(runner, connection, out, { version: VERSION, now: ctx.clock.now() });
        ctx.audit.append(ctx.operator, 'host.recorded', host.name, { folder: out, files: recording.files.length });
        return recording;
      } finally {
        await runner.close().catch(() => undefined);
      }
    },

    async createSampleLab({ folder }) {
      const labFolder = folder ?? defaultLabFolder(ctx.dataDir);
      const lab = await createSampleLab(labFolder);
      const existing = hosts
        .list()
        .find((h) => h.kind === 'workstation' && h.settings.folders?.length === 1 && h.settings.folders[0] === labFolder);
      const host =
        existing ?? (await api.addHost({ kind: 'workstation', name: uniqueName('Sample lab'), folders: [labFolder], useInventory: false }));
      await discoverHost(find(host.id));
      return { hostId: host.id, folder: labFolder, vms: lab.vms };
    },
  };

  const uniqueName = (base: string): string => {
    let name = base;
    for (let n = 2; hosts.findByName(name); n++) name = `${base} ${n}`;
    return name;
  };

  return api;
}

/** "esx01:8443" → ["esx01", 8443]; "[fe80::1]:443" → ["fe80::1", 443]. */
function splitPort(address: string): [string, number | undefined] {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address);
  if (!match) return [address.replace(/^\[|\]$/g, ''), undefined];
  return [match[1]!.replace(/^\[|\]$/g, ''), Number(match[2])];
}
