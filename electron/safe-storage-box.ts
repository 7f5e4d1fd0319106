import type { SecretBox } from '../core/secrets/secret-box';

/** The part of Electron's safeStorage used here (injected, so core and tests never import Electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plaintext: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** Secrets sealed by the OS keystore: DPAPI on Windows, Keychain on macOS, libsecret/kwallet on Linux. */
export class SafeStorageSecretBox implements SecretBox {
  readonly kind = 'electron-safe-storage';

  constructor(private readonly safeStorage: SafeStorageLike) {}

  seal(plaintext: string): Buffer {
    return this.safeStorage.encryptString(plaintext);
  }

  open(sealed: Buffer): string {
    return this.safeStorage.decryptString(sealed);
  }
}
