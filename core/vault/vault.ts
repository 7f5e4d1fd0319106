import crypto from 'node:crypto';
import { LifeboatError } from '../contract/errors';
import { openBackendStack, ensureContainer, stackTimeouts, type BackendStackOptions } from './backends/open';
import { isNotFound, type Backend } from './backends/types';
import type { MeteredBackend } from './backends/metrics';
import type { VaultCore, VaultSettings } from './vault-core';
import type { ThrottledBackend } from './backends/throttle';
import type { BlockKeys } from './block-codec';
import { isUnreadable, mapLimit, summarize, vaultError, type DamagedPoint, type RecoveryPointSummary } from './support';
import { forget, type ForgetReport } from './forget';
import { BlockIndex } from './block-index';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  idOf,
  keys,
  masterKeyAad,
  openBlockList,
  openIndex,
  openManifest,
  prefixes,
  randomId,
  type Manifest,
  type ManifestDisk,
  type VaultConfig,
} from './format';
import {
  checkKdf,
  formatRecoveryKey,
  newKdf,
  newMasterKey,
  parseRecoveryKey,
  splitMasterKey,
  unwrapMasterKey,
  wrapMasterKey,
} from './keys';
import { BlockWorkers } from './worker-pool';
import { backup, type BackupRequest, type BackupResult } from './backup';
import { breakLocks, type LockInfo } from './lock';
import type { RunOptions } from './progress';
import { prune, type PruneOptions, type PruneReport } from './prune';
import { recoveryKitText } from './recovery-kit';
import { restoreDisk, type RestoreResult } from './restore';
import type { RetentionPolicy } from './retention';
import { verify, type VerifyOptions, type VerifyReport } from './verify';
import type { DiskWriter } from '../disks/types';

export const MiB = 1024 * 1024;
/** Chosen by measurement (FORMAT.md, "Block size"). */
export const DEFAULT_BLOCK_SIZE = MiB;
export const DEFAULT_PACK_SIZE = 32 * MiB;
const ALLOWED_BLOCK_SIZES = [256 * 1024, 512 * 1024, MiB, 2 * MiB, 4 * MiB, 8 * MiB];

export interface VaultOptions extends BackendStackOptions, VaultSettings {
  /** Worker threads for hashing, compression and encryption (default: one per core). */
  workers?: number;
  /** Target pack size; tests use small packs to get many objects from small disks. */
  packSize?: number;
  now?: () => Date;
  /**
   * Only reads (restore, verify, drills): the backend is wrapped in a read-only view, so any put or delete
   * of vault data fails loudly instead of happening. Lock objects stay writable: readers hold a lock so that
   * no prune deletes packs from under them.
   */
  readOnly?: boolean;
}

/** How to open a vault: its passphrase, or the recovery key printed on its recovery kit. */
export type VaultSecret = string | { passphrase: string } | { recoveryKey: string };

/**
 * An open vault: its config, keys and storage. Operations live in their own modules (backup.ts,
 * restore.ts, verify.ts, prune.ts) and take the VaultCore this class implements; it holds what they share.
 */
export class Vault implements VaultCore {
  index = new BlockIndex();
  private indexObjects: Set<string> | null = null;
  private workersInstance: BlockWorkers | null = null;

  private constructor(
    readonly location: string,
    readonly config: VaultConfig,
    private readonly master: Buffer,
    readonly backend: MeteredBackend,
    readonly throttle: ThrottledBackend,
    readonly options: VaultOptions,
  ) {}

  get keys(): BlockKeys {
    return splitMasterKey(this.master);
  }

  get blockSize(): number {
    return this.config.blockSize;
  }

  get packSize(): number {
    return this.options.packSize ?? DEFAULT_PACK_SIZE;
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Creates a vault: the container or bucket if needed, then its config. Fails if one is already there. */
  static async init(location: string, passphrase: string, options: VaultOptions & { blockSize?: number } = {}): Promise<Vault> {
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    if (!ALLOWED_BLOCK_SIZES.includes(blockSize)) {
      throw new LifeboatError('INVALID_INPUT', `A block size of ${blockSize} bytes is not supported.`, {
        fix: `Use one of ${ALLOWED_BLOCK_SIZES.map((size) => `${size / 1024} KiB`).join(', ')}.`,
      });
    }
    const stack = openBackendStack(location, options);
    try {
      await ensureContainer(stack.raw, stackTimeouts(options));
      const existing = await stack.backend.stat(keys.config).then(
        () => true,
        (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
      );
      if (existing) {
        throw new LifeboatError('VAULT_EXISTS', `There is already a vault at ${stack.backend.location}.`, {
          fix: 'Use it with its passphrase, or choose another (empty) location for a new vault.',
        });
      }
      const master = newMasterKey();
      const partial = {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
        id: randomId(16),
        created: new Date().toISOString(),
        blockSize,
        kdf: newKdf(options.tunables),
      } as const;
      const config: VaultConfig = {
        ...partial,
        kdf: { ...partial.kdf },
        keyCheck: keyCheck(master),
        masterKey: wrapMasterKey(master, passphrase, partial.kdf, masterKeyAad(partial)),
      };
      await stack.backend.put(keys.config, Buffer.from(JSON.stringify(config, null, 2)));
      return new Vault(stack.backend.location, config, master, stack.backend, stack.throttle, options);
    } catch (error) {
      await stack.backend.close().catch(() => undefined);
      throw vaultError(error, stack.backend.location);
    }
  }

  /** Opens a vault; a wrong passphrase fails here (WRONG_PASSPHRASE), before anything is written. */
  static async open(location: string, secret: VaultSecret, options: VaultOptions = {}): Promise<Vault> {
    const stack = openBackendStack(location, { ...options, ...(options.readOnly ? { readOnlyExcept: [prefixes.locks] } : {}) });
    try {
      const config = await readConfig(stack.backend);
      const byRecoveryKey = typeof secret === 'object' && 'recoveryKey' in secret;
      // The plaintext config's scrypt cost is bounded before scrypt runs; the recovery key needs no scrypt.
      if (!byRecoveryKey) checkKdf(config.kdf, `The vault config at ${stack.backend.location}`);
      const master = byRecoveryKey
        ? checkRecoveryKey(parseRecoveryKey(secret.recoveryKey), config)
        : unwrapMasterKey(config.masterKey, typeof secret === 'string' ? secret : secret.passphrase, config.kdf, masterKeyAad(config));
      return new Vault(stack.backend.location, config, master, stack.backend, stack.throttle, options);
    } catch (error) {
      await stack.backend.close().catch(() => undefined);
      throw vaultError(error, stack.backend.location);
    }
  }

  /** Re-wraps the master key under a new passphrase (e.g. after opening with the recovery key). */
  async changePassphrase(passphrase: string): Promise<void> {
    const kdf = newKdf(this.options.tunables);
    const config: VaultConfig = { ...this.config, kdf, masterKey: wrapMasterKey(this.master, passphrase, kdf, masterKeyAad(this.config)) };
    await this.backend.put(keys.config, Buffer.from(JSON.stringify(config, null, 2)));
    Object.assign(this.config, config);
  }

  workers(): BlockWorkers {
    this.workersInstance ??= new BlockWorkers(this.keys, this.options.workers);
    return this.workersInstance;
  }

  /** Forgets the loaded index, so the next loadIndex reads what is there now (another prune may have run). */
  forgetIndex(): void {
    this.index = new BlockIndex();
    this.indexObjects = null;
  }

  /**
   * Loads every index object not loaded yet. Returns the ids of the index objects now known. A damaged index
   * object fails the load (SealBroken), unless `damaged` is given: then it is skipped and its key added there.
   */
  async loadIndex(damaged?: string[]): Promise<Set<string>> {
    this.indexObjects ??= new Set();
    const listed = await this.backend.list(prefixes.index);
    const fresh = listed.filter((object) => !this.indexObjects!.has(idOf(object.key)));
    await mapLimit(fresh, 8, async (object) => {
      let packs;
      try {
        packs = openIndex(await this.backend.get(object.key), this.keys.encKey);
      } catch (error) {
        if (isNotFound(error)) return; // removed by a prune since the listing
        if (damaged && isUnreadable(error)) {
          damaged.push(object.key);
          return;
        }
        throw error;
      }
      for (const pack of packs) this.index.addPack(pack);
      this.indexObjects!.add(idOf(object.key));
    });
    return this.indexObjects;
  }

  /** Records an index object this process wrote, so loadIndex does not read it back. */
  noteIndexObject(id: string): void {
    (this.indexObjects ??= new Set()).add(id);
  }

  async readManifest(pointId: string): Promise<Manifest> {
    return openManifest(await this.backend.get(keys.point(pointId)), pointId, this.keys.encKey);
  }

  async readBlockList(disk: ManifestDisk): Promise<Uint8Array> {
    const slots = Math.ceil(disk.size / disk.blockSize);
    return openBlockList(await this.backend.get(keys.blockList(disk.blockList)), disk.blockList, this.keys.encKey, slots);
  }

  async pointIds(): Promise<string[]> {
    return (await this.backend.list(prefixes.points)).map((object) => idOf(object.key));
  }

  /** Every recovery point, oldest first. Unreadable manifests are skipped here (see scanManifests). */
  async manifests(): Promise<Manifest[]> {
    return (await this.scanManifests()).manifests;
  }

  /**
   * Every manifest, oldest first, and the points whose manifest cannot be read or authenticated (by id;
   * their VM named when a readable point derived from them says it). Storage failures still throw.
   */
  async scanManifests(): Promise<{ manifests: Manifest[]; damaged: DamagedPoint[] }> {
    const manifests: Manifest[] = [];
    const damaged: DamagedPoint[] = [];
    await mapLimit(await this.pointIds(), 8, async (id) => {
      try {
        manifests.push(await this.readManifest(id));
      } catch (error) {
        if (isNotFound(error)) return; // forgotten since the listing
        if (!isUnreadable(error)) throw error;
        damaged.push({ id, key: keys.point(id), vm: null, reason: 'its manifest cannot be read or authenticated' });
      }
    });
    for (const point of damaged)
      point.vm = manifests.find((manifest) => manifest.disks.some((disk) => disk.parent === point.id))?.vm ?? null;
    manifests.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
    damaged.sort((a, b) => a.id.localeCompare(b.id));
    return { manifests, damaged };
  }

  /** Readable recovery points only, oldest first (what restores and retention work from). */
  async list(): Promise<RecoveryPointSummary[]> {
    try {
      return (await this.manifests()).map(summarize);
    } catch (error) {
      throw vaultError(error, this.location);
    }
  }

  /**
   * Every recovery point, damaged ones included: those have `damaged` set, no disks, their VM when known
   * (else "") and no time (""). Readable points oldest first, then the damaged ones.
   */
  async listAll(): Promise<RecoveryPointSummary[]> {
    try {
      const { manifests, damaged } = await this.scanManifests();
      return [
        ...manifests.map(summarize),
        ...damaged.map((point) => ({
          id: point.id,
          vm: point.vm ?? '',
          time: '',
          metadata: {},
          disks: [],
          damaged: `${point.reason} (${point.key})`,
        })),
      ];
    } catch (error) {
      throw vaultError(error, this.location);
    }
  }

  /** Forgets recovery points by id or unique prefix, damaged ones included (see forget.ts). */
  forget(references: readonly string[]): Promise<ForgetReport> {
    return forget(this, references);
  }

  /** A point by full id, a unique prefix of at least 4 characters, or "latest" (of a VM with "latest:<vm>"). */
  async resolvePoint(reference: string): Promise<Manifest> {
    try {
      if (reference === 'latest' || reference.startsWith('latest:')) {
        const vm = reference.startsWith('latest:') ? reference.slice(7) : null;
        const all = (await this.manifests()).filter((manifest) => vm === null || manifest.vm === vm);
        const last = all.at(-1);
        if (!last)
          throw new LifeboatError('NOT_FOUND', `The vault has no recovery point${vm ? ` of ${vm}` : ''} yet.`, {
            fix: 'Run a backup first.',
          });
        return last;
      }
      const ids = (await this.pointIds()).filter((id) => id.startsWith(reference));
      if (reference.length < 4 || ids.length === 0) {
        throw new LifeboatError('NOT_FOUND', `No recovery point "${reference}" in ${this.location}.`, {
          fix: 'List recovery points with `lifeboat vault list <location>` and use an id from there (a unique prefix of 4+ characters is enough).',
        });
      }
      if (ids.length > 1) {
        throw new LifeboatError('INVALID_INPUT', `"${reference}" matches ${ids.length} recovery points.`, {
          fix: 'Type more characters of the id.',
        });
      }
      return await this.readManifest(ids[0]!);
    } catch (error) {
      throw vaultError(error, this.location);
    }
  }

  recoveryKey(): string {
    return formatRecoveryKey(this.master);
  }

  /** Backs up the disks of one VM as a new recovery point (see backup.ts). */
  backup(request: BackupRequest, options: RunOptions = {}): Promise<BackupResult> {
    return backup(this, request, options);
  }

  /** Writes one disk of a recovery point into `writer`, then closes it (aborts it on failure). */
  restoreDisk(pointId: string, diskName: string, writer: DiskWriter, options: RunOptions = {}): Promise<RestoreResult> {
    return restoreDisk(this, pointId, diskName, writer, options);
  }

  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return verify(this, options);
  }

  prune(policy: RetentionPolicy, options: PruneOptions = {}): Promise<PruneReport> {
    return prune(this, policy, options);
  }

  /** The printable recovery kit (plain text). */
  async recoveryKit(): Promise<string> {
    return recoveryKitText({
      location: this.location,
      config: this.config,
      recoveryKey: this.recoveryKey(),
      points: await this.list(),
      printed: this.now(),
    });
  }

  /** Breaks stale locks (or, with all, every lock). */
  async unlock(all = false): Promise<LockInfo[]> {
    try {
      return await breakLocks(this.backend, all);
    } catch (error) {
      throw vaultError(error, this.location);
    }
  }

  setUploadLimit(bytesPerSecond: number | null): void {
    this.throttle.upload.setLimit(bytesPerSecond);
  }

  setDownloadLimit(bytesPerSecond: number | null): void {
    this.throttle.download.setLimit(bytesPerSecond);
  }

  async close(): Promise<void> {
    await this.workersInstance?.close();
    this.workersInstance = null;
    await this.backend.close();
  }
}

export async function readConfig(backend: Backend): Promise<VaultConfig> {
  let data: Buffer;
  try {
    data = await backend.get(keys.config);
  } catch (error) {
    if (isNotFound(error)) {
      throw new LifeboatError('VAULT_NOT_FOUND', `There is no vault at ${backend.location}.`, {
        fix: `Check the location, or create a vault there with \`lifeboat vault init ${backend.location}\`.`,
      });
    }
    throw error;
  }
  let config: VaultConfig;
  try {
    config = JSON.parse(data.toString('utf8')) as VaultConfig;
  } catch {
    throw new LifeboatError('VAULT_CORRUPT', `The vault config at ${backend.location} is not readable.`, {
      fix: 'Restore the `config` object from the recovery kit, or point at the right folder.',
    });
  }
  if (config.format !== FORMAT_NAME) {
    throw new LifeboatError('VAULT_NOT_FOUND', `${backend.location} is not a Lifeboat vault.`, { fix: 'Check the location.' });
  }
  if (config.version > FORMAT_VERSION) {
    throw new LifeboatError(
      'DISK_UNSUPPORTED',
      `This vault uses format version ${config.version}; this Lifeboat reads up to ${FORMAT_VERSION}.`,
      {
        fix: 'Update Lifeboat.',
      },
    );
  }
  return config;
}

/** A key's fingerprint in the config, so a recovery key is checked without the passphrase. */
export function keyCheck(master: Buffer): string {
  return crypto.createHmac('sha256', master).update('lifeboat-key-check-v1').digest('hex').slice(0, 32);
}

function checkRecoveryKey(master: Buffer, config: VaultConfig): Buffer {
  if (keyCheck(master) !== config.keyCheck) {
    throw new LifeboatError('WRONG_PASSPHRASE', 'That recovery key does not open this vault (wrong passphrase or key).', {
      fix: 'Use the recovery kit printed for this vault (its vault id must match), or the passphrase.',
    });
  }
  return master;
}
