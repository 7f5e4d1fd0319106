import type { HostKind } from '../contract/hosts';
import { azureProvider } from './azure/provider';
import { hypervProvider } from './hyperv/provider';
import { NodePowerShellRunner } from './hyperv/node-runner';
import { ReplayPowerShellRunner } from './hyperv/replay-runner';
import type { PowerShellRunner } from './hyperv/runner';
import type { HostConnection, HypervisorProvider } from './types';
import { vsphereProvider } from './vsphere/provider';
import { workstationProvider } from './workstation/provider';

/**
 * The PowerShell runner for one connection to a Hyper-V host: node-powershell, or — for a host whose settings
 * name a `replayFolder` (`lifeboat hosts add hyperv --replay DIR`) — the outputs `lifeboat hosts record` saved
 * there, so support can look at a customer's host offline.
 */
export function hypervRunner(host: HostConnection): PowerShellRunner {
  const folder = host.settings.replayFolder;
  return folder ? ReplayPowerShellRunner.fromFolder(folder) : new NodePowerShellRunner();
}

/** The providers by host kind. */
export function defaultProviders(): Record<HostKind, HypervisorProvider> {
  return {
    hyperv: hypervProvider({ runner: hypervRunner }),
    vsphere: vsphereProvider(),
    workstation: workstationProvider(),
    azure: azureProvider(),
  };
}
