import https from 'node:https';
import { LifeboatError } from '../../contract/errors';
import type { AzureSiteSettings } from '../../contract/hosts';
import type { HostConnection, Hypervisor, HypervisorProvider } from '../types';
import { AzureSite, SET_TAG } from './site';
import { clientSecretCredential } from './token';

export interface AzureProviderOptions {
  /** PEM of another CA to trust (the test simulator); production uses Node's store and NODE_EXTRA_CA_CERTS. */
  ca?: string;
  /** Milliseconds between polls of long-running operations (default: what Azure's Retry-After says, else 2 s). */
  pollMs?: number;
}

/** The prefix of removeVm ids that name a set of tagged resources rather than one VM. */
export const AZURE_SET_REF = 'azure-set:';

/**
 * Azure as a recovery site: a resource group in one region, reached with a service principal's client secret.
 * It has no VMs to discover or protect; drills and failovers make VMs there through its `azure` facet, and
 * removeVm(`azure-set:<id>`) deletes one tagged set (what the jobs' leftovers mechanism calls after a crash).
 */
export function azureProvider(options: AzureProviderOptions = {}): HypervisorProvider {
  const agent = options.ca ? new https.Agent({ ca: options.ca, keepAlive: true }) : undefined;
  return {
    kind: 'azure',
    connect(host: HostConnection): Hypervisor {
      const settings = azureSettings(host);
      if (!host.credentials) {
        throw new LifeboatError('NOT_SET_UP', `${host.name} has no client secret stored.`, {
          fix: 'Remove this Azure site and add it again with its client secret.',
        });
      }
      const credential = clientSecretCredential({
        loginEndpoint: settings.loginEndpoint,
        tenantId: settings.tenantId,
        clientId: host.credentials.username,
        clientSecret: host.credentials.password,
        ...(agent ? { agent } : {}),
      });
      const site = new AzureSite({
        settings,
        credential,
        ...(agent ? { agent } : {}),
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      });
      return azureHypervisor(host.name, settings, site);
    },
  };
}

function azureSettings(host: HostConnection): AzureSiteSettings {
  const settings = host.settings.azure;
  if (!settings) {
    throw new LifeboatError('NOT_SET_UP', `${host.name} is missing its Azure settings.`, {
      fix: 'Remove this Azure site and add it again (`lifeboat hosts add azure …`).',
    });
  }
  return settings;
}

function azureHypervisor(name: string, settings: AzureSiteSettings, site: AzureSite): Hypervisor {
  const recoverySiteOnly = (what: string) => (): never => {
    throw new LifeboatError('INVALID_INPUT', `${name} is an Azure recovery site: Lifeboat does not ${what} there.`, {
      fix: 'Protect VMs of a Hyper-V, vSphere or Workstation host; Azure is where drills and failovers start them.',
    });
  };
  return {
    kind: 'azure',
    azure: site,
    async describe() {
      const location = await site.resourceGroupLocation();
      if (location.toLowerCase() !== settings.location) {
        // Disks and VMs go in the site's region; a group elsewhere works, but the user should know.
        return {
          product: 'Azure Resource Manager',
          version: `${settings.resourceGroup} (group in ${location}, VMs in ${settings.location})`,
        };
      }
      const quota = await site.quota();
      return {
        product: 'Azure Resource Manager',
        version: `${settings.resourceGroup} in ${settings.location}, ${quota.cores.limit - quota.cores.used} of ${quota.cores.limit} vCPUs free`,
      };
    },
    // A recovery site holds no production VMs: discovery finds none (recovered VMs are the plan's, not the catalog's).
    listVms: async () => [],
    createCheckpoint: recoverySiteOnly('protect VMs'),
    openCheckpointDisk: recoverySiteOnly('protect VMs'),
    changedAreas: recoverySiteOnly('protect VMs'),
    releaseCheckpoint: async () => undefined,
    createIsolatedVm: recoverySiteOnly('create VMs from host file paths (drills use the Azure sandbox)'),
    powerOn: recoverySiteOnly('start VMs by id'),
    async powerOff(vmId) {
      await site.powerOff(vmId);
    },
    heartbeat: async () => 'unknown',
    async removeVm(vmId) {
      if (!vmId.startsWith(AZURE_SET_REF)) {
        throw new LifeboatError('CONFLICT', `${vmId} was not created by Lifeboat, so Lifeboat will not delete it.`, {
          fix: 'Remove it in the Azure portal if it is no longer needed.',
        });
      }
      const setId = vmId.slice(AZURE_SET_REF.length);
      const left = await site.removeSet(setId);
      if (left.length > 0) {
        throw new LifeboatError(
          'CONFLICT',
          `Azure still lists ${left.length} resource(s) tagged ${SET_TAG}=${setId}: ${left.join(', ')}.`,
          {
            fix: `Delete them in the Azure portal (resource group ${settings.resourceGroup}, filter by tag ${SET_TAG}).`,
          },
        );
      }
    },
    close: async () => undefined,
  };
}
