import { LifeboatError } from '../contract/errors';
import type { ServiceContext } from '../service-context';
import type { VaultPort } from './vault-port';

/** Opens the vault behind a catalog target with its stored passphrase, as the port runs and drills use. */
export async function openVaultPort(_ctx: ServiceContext, targetId: string): Promise<VaultPort> {
  throw new LifeboatError('NOT_SET_UP', `The vault engine is not available for target ${targetId} yet.`);
}
