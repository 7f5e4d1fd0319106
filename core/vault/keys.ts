import crypto from 'node:crypto';
import { LifeboatError } from '../contract/errors';
import { SealBroken, seal, unseal, type BlockKeys } from './block-codec';
import type { VaultTunables } from './tunables';

/**
 * scrypt cost of new vaults (and of a new passphrase): about 0.5 s and 128 MiB per open, measured on the
 * reference machine (FORMAT.md, "Passphrase key"). Stored in each vault's config, so vaults made with an
 * earlier cost (N = 2^15 before 2026-12) keep opening with theirs.
 */
export const DEFAULT_KDF = { N: 1 << 17, r: 8, p: 1 } as const;

/**
 * Sets N for vaults created (or re-keyed) by this process, e.g. 32768; r and p stay at the default. For
 * test suites that create hundreds of vaults: it cannot go below 2^15, the cost every earlier vault has.
 */
export const KDF_N_ENV = 'LIFEBOAT_VAULT_KDF_N';
const MIN_NEW_N = 1 << 15;

/**
 * What a config may ask for before any scrypt runs. The config is the vault's one plaintext object, so
 * whoever can write the storage can put anything there; unchecked, N = 2^40 or r = 2^30 makes every open
 * hang or run out of memory. The bounds leave room for the default to grow 8-fold and refuse the rest:
 * - N a power of two (scrypt requires it) from 2^14 (nothing Lifeboat writes is lower) to 2^20;
 * - r from 1 to 32 and p from 1 to 16 (r = 8, p = 1 is what scrypt's author and Lifeboat use);
 * - memory 128·N·r at most 1 GiB (N = 2^20 with r = 8), which a desktop can spare for the seconds it takes;
 * - work N·r·p at most 2^23 (8 times the default, ~4 s on the reference machine): p is not bounded by
 *   memory, so without this p = 16 would make each open 16 times slower;
 * - salt base64 of 16 to 64 bytes (Lifeboat writes 16; a shorter one is not a salt).
 */
export const KDF_LIMITS = {
  minN: 1 << 14,
  maxN: 1 << 20,
  maxR: 32,
  maxP: 16,
  maxMemoryBytes: 1 << 30,
  maxWork: 1 << 23,
  minSaltBytes: 16,
  maxSaltBytes: 64,
} as const;

export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
}

export const MASTER_KEY_BYTES = 64;

export function newMasterKey(): Buffer {
  return crypto.randomBytes(MASTER_KEY_BYTES);
}

export function splitMasterKey(master: Buffer): BlockKeys {
  return { encKey: master.subarray(0, 32), idKey: master.subarray(32, 64) };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Without bit operations: those cut numbers to 32 bits, and 2^40 would pass for a power of two. */
function isPowerOfTwo(value: number): boolean {
  return isPositiveInteger(value) && 2 ** Math.round(Math.log2(value)) === value;
}

/**
 * Refuses key-derivation parameters outside KDF_LIMITS (VAULT_CORRUPT, naming the parameter), without
 * running scrypt. `where` names the config in the message ("The vault config at D:\\Vault").
 */
export function checkKdf(kdf: unknown, where = 'The vault config'): asserts kdf is KdfParams {
  const refuse = (what: string): never => {
    throw new LifeboatError('VAULT_CORRUPT', `${where} asks for a passphrase key no Lifeboat writes: ${what}.`, {
      fix:
        'The config was altered, or written by something other than Lifeboat: check who else can write to this storage. ' +
        'The backups still open with the recovery key from the recovery kit (`--recovery-key-file`), or put back the ' +
        '`config` object from a copy of the vault made before the change.',
    });
  };
  if (typeof kdf !== 'object' || kdf === null) return refuse('the "kdf" entry is missing');
  const { name, N, r, p, salt } = kdf as Record<string, unknown>;
  if (name !== 'scrypt') return refuse(`kdf name ${JSON.stringify(name)} is not "scrypt"`);
  if (typeof N !== 'number' || !isPowerOfTwo(N) || N < KDF_LIMITS.minN || N > KDF_LIMITS.maxN) {
    return refuse(`scrypt N = ${String(N)} is not a power of two from 2^14 to 2^20`);
  }
  if (!isPositiveInteger(r) || r > KDF_LIMITS.maxR) return refuse(`scrypt r = ${String(r)} is not from 1 to ${KDF_LIMITS.maxR}`);
  if (!isPositiveInteger(p) || p > KDF_LIMITS.maxP) return refuse(`scrypt p = ${String(p)} is not from 1 to ${KDF_LIMITS.maxP}`);
  if (128 * N * r > KDF_LIMITS.maxMemoryBytes)
    return refuse(`scrypt N = ${N} with r = ${r} needs ${(128 * N * r) / 2 ** 20} MiB (at most 1024)`);
  if (N * r * p > KDF_LIMITS.maxWork)
    return refuse(
      `scrypt N = ${N}, r = ${r}, p = ${p} is ${(N * r * p) / (DEFAULT_KDF.N * DEFAULT_KDF.r)} times the default work (at most 8)`,
    );
  const saltBytes = typeof salt === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(salt) ? Buffer.from(salt, 'base64').length : 0;
  if (saltBytes < KDF_LIMITS.minSaltBytes || saltBytes > KDF_LIMITS.maxSaltBytes) {
    return refuse(`the scrypt salt is ${saltBytes} bytes of base64 (16 to 64 expected)`);
  }
}

function deriveKek(passphrase: string, kdf: KdfParams): Buffer {
  checkKdf(kdf); // before scrypt, whatever the caller checked
  return crypto.scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + (1 << 20),
  });
}

/** Parameters for a new wrap: DEFAULT_KDF, with N from LIFEBOAT_VAULT_KDF_N in `tunables` when set. */
export function newKdf(tunables: VaultTunables = process.env): KdfParams {
  const setting = tunables[KDF_N_ENV];
  let N: number = DEFAULT_KDF.N;
  if (setting !== undefined && setting !== '') {
    N = Number(setting);
    if (!isPowerOfTwo(N) || N < MIN_NEW_N || N > KDF_LIMITS.maxN) {
      throw new LifeboatError('INVALID_INPUT', `${KDF_N_ENV}=${setting} is not a power of two from 32768 (2^15) to 1048576 (2^20).`, {
        fix: `Unset ${KDF_N_ENV} (new vaults then use N = ${DEFAULT_KDF.N}), or set it to a power of two in that range.`,
      });
    }
  }
  return { name: 'scrypt', ...DEFAULT_KDF, N, salt: crypto.randomBytes(16).toString('base64') };
}

export function wrapMasterKey(master: Buffer, passphrase: string, kdf: KdfParams, aad: string): string {
  return seal(deriveKek(passphrase, kdf), master, Buffer.from(aad)).toString('base64');
}

export function unwrapMasterKey(wrapped: string, passphrase: string, kdf: KdfParams, aad: string): Buffer {
  try {
    return unseal(deriveKek(passphrase, kdf), Buffer.from(wrapped, 'base64'), Buffer.from(aad));
  } catch (error) {
    if (error instanceof SealBroken) {
      throw new LifeboatError('WRONG_PASSPHRASE', 'Wrong passphrase for this vault.', {
        fix: 'Check the passphrase (it is case-sensitive), or open the vault with its recovery key.',
      });
    }
    throw error;
  }
}

/**
 * The master key as a recovery key a person can type: 16 groups of 8 hex digits, then 4 of checksum.
 * Whoever holds it can open the vault without the passphrase.
 */
export function formatRecoveryKey(master: Buffer): string {
  const hex = master.toString('hex') + crypto.createHash('sha256').update(master).digest('hex').slice(0, 4);
  return hex
    .match(/.{1,8}/g)!
    .join('-')
    .toUpperCase();
}

export function parseRecoveryKey(text: string): Buffer {
  const hex = text.replace(/[\s-]/g, '').toLowerCase();
  const master = Buffer.from(hex.slice(0, MASTER_KEY_BYTES * 2), 'hex');
  const ok =
    /^[0-9a-f]+$/.test(hex) &&
    hex.length === MASTER_KEY_BYTES * 2 + 4 &&
    master.length === MASTER_KEY_BYTES &&
    crypto.createHash('sha256').update(master).digest('hex').slice(0, 4) === hex.slice(-4);
  if (!ok) {
    throw new LifeboatError('INVALID_INPUT', 'That is not a valid recovery key (a digit is wrong or missing).', {
      fix: 'Type the recovery key exactly as printed on the recovery kit: 17 groups separated by dashes.',
    });
  }
  return master;
}
