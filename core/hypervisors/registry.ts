import type { HostKind } from '../contract/hosts';
import { hypervProvider } from './hyperv/provider';
import { ReplayPowerShellRunner } from './hyperv/replay-runner';
import type { HypervisorProvider } from './types';
import { vsphereProvider } from './vsphere/provider';
import { workstationProvider } from './workstation/provider';

/**
 * The providers by host kind. LIFEBOAT_POWERSHELL_REPLAY=<folder> answers Hyper-V calls from outputs
 * recorded on a real host (support looks at a customer's host offline; tests on machines without Hyper-V).
 */
export function defaultProviders(env: NodeJS.ProcessEnv = process.env): Record<HostKind, HypervisorProvider> {
  const replay = env.LIFEBOAT_POWERSHELL_REPLAY;
  return {
    hyperv: hypervProvider(replay ? { runner: () => ReplayPowerShellRunner.fromFolder(replay) } : {}),
    vsphere: vsphereProvider(),
    workstation: workstationProvider(),
  };
}
