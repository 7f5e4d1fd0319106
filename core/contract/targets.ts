import { z } from 'zod';
import { method } from './define';
import type { VaultTarget } from './types';
import type { VaultHealth } from './vault-health';

export const targetCredentials = z.union([
  z.object({ connectionString: z.string().min(1, 'Paste the storage account connection string.') }),
  z.object({
    accessKeyId: z.string().min(1, 'Enter the access key id.'),
    secretAccessKey: z.string().min(1, 'Enter the secret access key.'),
    endpoint: z.string().url('Use the endpoint URL, e.g. https://s3.eu-central-1.wasabisys.com.').optional(),
    region: z.string().min(1).optional(),
  }),
]);

export type TargetCredentials = z.output<typeof targetCredentials>;
const credentials = targetCredentials;

export const targetMethods = {
  listTargets: method("Vault targets: where copies can go (the wizard's vault first).", z.object({}).default({}))
    .returns<VaultTarget[]>()
    .reads('targets', 'settings'),
  addTarget: method(
    'Add a vault target after checking Lifeboat can reach it; cloud credentials are sealed and never shown again.',
    z.object({
      name: z.string().trim().min(1, 'Name the target, e.g. "Azure vault".').max(100),
      location: z.string().trim().min(1, 'Give a folder path, azblob://container/prefix or s3://bucket/prefix.'),
      credentials: credentials.optional(),
      /** The vault passphrase, when this machine has none stored yet: proved against the vault, then sealed. */
      passphrase: z.string().min(1).max(1024).optional(),
    }),
  )
    .returns<VaultTarget>()
    .changes('targets'),
  listVaultHealth: method(
    'What the heartbeat last found at every vault target: reachable, config readable, space left, bytes really held.',
    z.object({}).default({}),
  )
    .returns<VaultHealth[]>()
    .reads('vaultHealth', 'targets'),
  checkVaults: method('Check every vault target now (as the heartbeat does) and return what was found.', z.object({}).default({}))
    .returns<VaultHealth[]>()
    .changes('vaultHealth'),
  testTarget: method(
    'Prove a vault location can hold a vault with these credentials: a test object is written, read back and deleted (a missing container or bucket is created; a folder made for the test is removed again). Saves nothing in Lifeboat.',
    z.object({ location: z.string().trim().min(1), credentials: credentials.optional() }),
  )
    .returns<{ ok: true; vaultExists: boolean; /** What was done to prove it, in words. */ proof: string }>()
    .reads(),
  rebuildCatalog: method(
    'Rebuild the catalog from a vault alone: every recovery point, and the policies behind them once their VMs are discovered again.',
    z.object({ location: z.string().trim().min(1), passphrase: z.string().min(1).optional(), credentials: credentials.optional() }),
  )
    .returns<{ targetId: string; points: number; policiesRestored: string[]; waitingForVms: { policy: string; vms: string[] }[] }>()
    .changes('targets', 'points', 'policies'),
  removeTarget: method('Remove a vault target that no policy uses (the vault itself is not touched).', z.object({ id: z.string().min(1) }))
    .returns<void>()
    .changes('targets'),
};
