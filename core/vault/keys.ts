import crypto from 'node:crypto';
import { LifeboatError } from '../contract/errors';
import { SealBroken, seal, unseal, type BlockKeys } from './block-codec';

/** scrypt cost: ~0.1 s and 32 MiB on a desktop, per open; stored in the config so it can grow later. */
export const DEFAULT_KDF = { N: 1 << 15, r: 8, p: 1 } as const;

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

function deriveKek(passphrase: string, kdf: KdfParams): Buffer {
  return crypto.scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + (1 << 20),
  });
}

export function newKdf(): KdfParams {
  return { name: 'scrypt', ...DEFAULT_KDF, salt: crypto.randomBytes(16).toString('base64') };
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
  return hex.match(/.{1,8}/g)!.join('-').toUpperCase();
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
