import { LifeboatError } from '../contract/errors';
import type { HostKind } from '../contract/hosts';
import { defaultProviders } from '../hypervisors/registry';
import type { Credentials, Hypervisor, HypervisorProvider } from '../hypervisors/types';
import type { ServiceContext } from '../service-context';
import { HostsStore } from '../store/hosts';

/** Connects to a catalogued host by id, with its sealed credentials; what runs and drills use. */
export function hostConnector(ctx: ServiceContext, providers: Record<HostKind, HypervisorProvider> = defaultProviders()): (hostId: string) => Hypervisor {
  const hosts = new HostsStore(ctx.db);
  return (hostId) => {
    const host = hosts.get(hostId);
    if (!host) throw new LifeboatError('NOT_FOUND', `The host ${hostId} is no longer in the catalog.`, { fix: 'Add the host again, then run discovery.' });
    const sealed = host.credentialsSecretId ? ctx.secrets.get(host.credentialsSecretId) : undefined;
    return providers[host.kind].connect({
      id: host.id,
      name: host.name,
      kind: host.kind,
      address: host.address,
      settings: host.settings,
      credentials: sealed ? (JSON.parse(sealed) as Credentials) : null,
    });
  };
}
