import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import type { SecretBox } from './secret-box';

export const KEY_FILE = 'secret.key';
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random key kept in `<dataDir>/secret.key`, readable by its owner only (0600 on POSIX;
 * on Windows the data folder's ACL is the guard). Layout of a sealed value: version(1) | iv(12) | tag(16) | ciphertext.
 */
export class KeyFileSecretBox implements SecretBox {
  readonly kind = 'key-file';
  private readonly key: Buffer;

  constructor(dataDir: string) {
    this.key = loadOrCreateKey(path.join(dataDir, KEY_FILE));
  }

  seal(plaintext: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  deriveKey(label: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `lifeboat ${label}`, 32));
  }

  open(sealed: Buffer): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) throw unreadable();
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw unreadable();
    }
  }
}

function loadOrCreateKey(file: string): Buffer {
  try {
    const key = fs.readFileSync(file);
    if (key.length !== 32) throw new Error(`${file} holds ${key.length} bytes, expected 32`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LifeboatError('SECRET_UNREADABLE', `The key file ${file} cannot be read.`, {
        fix: 'Restore secret.key from a backup of the data folder, or re-enter the vault passphrase and credentials.',
        cause: error,
      });
    }
  }
  const key = randomBytes(32);
  // 'wx' refuses to overwrite a key another process created a moment ago.
  try {
    fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKey(file);
    throw error;
  }
  return key;
}

function unreadable(): LifeboatError {
  return new LifeboatError('SECRET_UNREADABLE', "A stored secret cannot be decrypted with this data folder's key file.", {
    fix: 'The key file was replaced or the data folder copied from another machine: enter the passphrase and credentials again in Settings.',
  });
}
