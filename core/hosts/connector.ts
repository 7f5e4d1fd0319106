import { LifeboatError } from '../contract/errors';
import type { HostKind } from '../contract/hosts';
import type { Db } from '../store/database';
import { HostsStore, type HostRecord } from '../store/hosts';
import type { SecretsStore } from '../store/secrets';
import { defaultProviders } from '../hypervisors/registry';
import type { Credentials, HostConnection, Hypervisor, HypervisorProvider } from '../hypervisors/types';

export type Providers = Record<HostKind, HypervisorProvider>;

/**
 * Turns a catalog host into a connected Hypervisor: its settings, its credentials unsealed from the
 * secrets store, the provider of its kind. Replication and drills use `connect(hostId)`; the caller closes it.
 */
export class HostConnector {
  private readonly hosts: HostsStore;

  constructor(
    db: Db,
    private readonly secrets: SecretsStore,
    readonly providers: Providers = defaultProviders(),
  ) {
    this.hosts = new HostsStore(db);
  }

  connection(host: HostRecord): HostConnection {
    let credentials: Credentials | null = null;
    if (host.credentialsSecretId) {
      const sealed = this.secrets.get(host.credentialsSecretId);
      if (sealed) credentials = JSON.parse(sealed) as Credentials;
    }
    return { id: host.id, name: host.name, kind: host.kind, address: host.address, settings: host.settings, credentials };
  }

  open(connection: HostConnection): Hypervisor {
    return this.providers[connection.kind].connect(connection);
  }

  connect(hostId: string): Hypervisor {
    const host = this.hosts.get(hostId);
    if (!host)
      throw new LifeboatError('NOT_FOUND', `The host ${hostId} is no longer in the catalog.`, {
        fix: 'Add the host again, then run discovery.',
      });
    return this.open(this.connection(host));
  }

  /** Runs `work` with a connected hypervisor and always closes it. */
  async with<T>(connection: HostConnection, work: (hypervisor: Hypervisor) => Promise<T>): Promise<T> {
    const hypervisor = this.open(connection);
    try {
      return await work(hypervisor);
    } finally {
      await hypervisor.close().catch(() => undefined);
    }
  }
}
