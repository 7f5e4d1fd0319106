import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { TargetCredentials } from '../contract/targets';
import type { VaultLocation } from '../contract/types';
import type { RoomDeps } from '../service-context';
import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';
import type { BackendCredentials } from '../vault/backends/credentials';
import { needsCredentials, openRawBackend, parseLocation } from '../vault/backends/open';
import { sealedCredentialsText } from '../vault/target-credentials';
import { Vault } from '../vault/vault';
import { proveWritable } from './vault-probe';

/** What this module needs from the engine (see RoomDeps). */
export type TargetsDeps = RoomDeps<'audit' | 'clock' | 'db' | 'operator' | 'secrets' | 'targets'>;

const secretId = (targetId: string): string => `target-credentials:${targetId}`;

/** A cloud location given without credentials is refused here, before the probe, in the user's terms. */
function givenCredentials(location: string, credentials: TargetCredentials | undefined): BackendCredentials | null {
  if (credentials) return credentials;
  if (!needsCredentials(location)) return null;
  throw new LifeboatError('INVALID_INPUT', `No credentials were given for the vault ${location}.`, {
    field: 'credentials',
    fix: 'Give the storage account connection string (Azure) or the access key and secret (S3); `lifeboat protect` reads them from AZURE_STORAGE_CONNECTION_STRING or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
  });
}

function toLocation(location: string): VaultLocation {
  const parsed = parseLocation(location);
  return parsed.kind === 'folder'
    ? { kind: 'folder', path: parsed.path }
    : { kind: parsed.kind === 'azblob' ? 'azure' : 's3', path: location.trim() };
}

/**
 * Proves the storage can hold a vault (a probe object written, read back and deleted), then opens the vault
 * there when one exists (proving the stored passphrase fits it).
 */
async function probe(
  ctx: TargetsDeps,
  location: string,
  credentials: BackendCredentials | null,
): Promise<{ vaultExists: boolean; proof: string }> {
  const { proof } = await proveWritable(location, credentials);
  const passphrase = ctx.secrets.has(VAULT_PASSPHRASE_SECRET) ? ctx.secrets.get(VAULT_PASSPHRASE_SECRET) : undefined;
  if (!passphrase) return { vaultExists: await hasVaultConfig(location, credentials), proof };
  try {
    const vault = await Vault.open(location, passphrase, { credentials, readOnly: true });
    await vault.close();
    return { vaultExists: true, proof };
  } catch (error) {
    if (error instanceof LifeboatError && error.code === 'VAULT_NOT_FOUND') return { vaultExists: false, proof };
    throw error;
  }
}

/** Whether a vault's config is there, for a machine that has no passphrase to open it with yet. */
async function hasVaultConfig(location: string, credentials: BackendCredentials | null): Promise<boolean> {
  const backend = openRawBackend(location, credentials);
  try {
    return (await backend.list('config')).some((object) => object.key === 'config');
  } catch (error) {
    // The probe removes the folders it made, so a new location has no folder yet: no vault there.
    if (error instanceof LifeboatError && error.code === 'VAULT_NOT_FOUND') return false;
    throw error;
  } finally {
    await backend.close().catch(() => undefined);
  }
}

/** Seals a target's cloud credentials and links them to the target. */
export function sealTargetCredentials(
  ctx: RoomDeps<'secrets' | 'db'>,
  targetId: string,
  name: string,
  credentials: TargetCredentials,
  now: Date,
): void {
  ctx.secrets.put(secretId(targetId), `Credentials for vault target ${name}`, sealedCredentialsText(credentials), now);
  ctx.db.prepare('UPDATE targets SET credentials_secret_id = ? WHERE id = ?').run(secretId(targetId), targetId);
}

/** Opens the vault with the passphrase (WRONG_PASSPHRASE when it does not fit), or creates it when there is none. */
async function proveOrCreate(
  ctx: TargetsDeps,
  location: string,
  passphrase: string,
  credentials: BackendCredentials | null,
): Promise<void> {
  try {
    await (await Vault.open(location, passphrase, { credentials, readOnly: true })).close();
  } catch (error) {
    if (!(error instanceof LifeboatError) || error.code !== 'VAULT_NOT_FOUND') throw error;
    await (await Vault.init(location, passphrase, { credentials })).close();
    ctx.audit.append(ctx.operator, 'vault.created', location, {});
  }
}

export function targetsApi(ctx: TargetsDeps): Pick<ConsoleApi, 'listTargets' | 'addTarget' | 'testTarget' | 'removeTarget'> {
  return {
    async listTargets() {
      return ctx.targets.list();
    },

    async testTarget({ location, credentials }) {
      return { ok: true, ...(await probe(ctx, location, givenCredentials(location, credentials))) };
    },

    async addTarget({ name, location, credentials, passphrase }) {
      const parsed = toLocation(location);
      if (ctx.targets.list().some((t) => t.name.toLowerCase() === name.toLowerCase())) {
        throw new LifeboatError('INVALID_INPUT', `name: A target called "${name}" already exists.`, {
          field: 'name',
          fix: 'Choose another name.',
        });
      }
      if (ctx.targets.findByLocation(parsed.path))
        throw new LifeboatError('INVALID_INPUT', `location: ${parsed.path} is already a target.`, {
          field: 'location',
          fix: 'Use that target.',
        });
      const given = givenCredentials(location, credentials);
      await probe(ctx, location, given);
      const now = ctx.clock.now();
      // Copies open the vault with the stored passphrase: a target they could never open is refused now, not
      // in every failed job later.
      const stored = ctx.secrets.has(VAULT_PASSPHRASE_SECRET) ? ctx.secrets.get(VAULT_PASSPHRASE_SECRET) : undefined;
      if (stored && passphrase && passphrase !== stored) {
        throw new LifeboatError(
          'WRONG_PASSPHRASE',
          'That is not the vault passphrase stored on this machine; Lifeboat uses one passphrase for all its vaults.',
          { fix: 'Give the passphrase you chose at setup, or leave it out to use the stored one.' },
        );
      }
      if (!stored) {
        if (!passphrase) {
          throw new LifeboatError(
            'NOT_SET_UP',
            `No vault passphrase is stored on this machine, so copies to ${parsed.path} could never open the vault.`,
            {
              fix: 'Give the vault passphrase (LIFEBOAT_PASSPHRASE or --passphrase-file; in the console, Settings → Vault), or finish setup first with `lifeboat setup`.',
            },
          );
        }
        await proveOrCreate(ctx, location, passphrase, given);
        ctx.secrets.put(VAULT_PASSPHRASE_SECRET, 'Vault passphrase for scheduled runs', passphrase, now);
      }
      return ctx.db.transaction(() => {
        const target = ctx.targets.create(name, parsed, null, now);
        if (credentials) sealTargetCredentials(ctx, target.id, name, credentials, now);
        ctx.audit.append(ctx.operator, 'target.added', name, { location: parsed.path });
        return { ...target, hasCredentials: credentials !== undefined };
      })();
    },

    async removeTarget({ id }) {
      const target = ctx.targets.get(id);
      if (!target) throw new LifeboatError('NOT_FOUND', `There is no target ${id}.`);
      const used = ctx.db.prepare('SELECT name FROM policies WHERE target_id = ?').pluck().all(id) as string[];
      if (used.length > 0)
        throw new LifeboatError('CONFLICT', `"${target.name}" is used by ${used.join(', ')}.`, {
          fix: 'Move those policies to another target first.',
        });
      ctx.db.transaction(() => {
        ctx.targets.delete(id);
        ctx.secrets.delete(secretId(id));
        ctx.audit.append(ctx.operator, 'target.removed', target.name, {});
      })();
    },
  };
}
