import { KeyFileSecretBox } from '../core/secrets/key-file-box';
import type { SecretBox } from '../core/secrets/secret-box';

/** The part of Electron's safeStorage used here (injected, so core and tests never import Electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plaintext: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which store keeps safeStorage's key ('basic_text' means none: a key built into Chromium). */
  getSelectedStorageBackend?(): string;
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

/** Linux stores that keep safeStorage's key in the user's keyring. */
const LINUX_KEYRINGS: ReadonlySet<string> = new Set(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']);

export type SecretBoxChoice = { box: 'safe-storage' } | { box: 'key-file'; warning: string };

/**
 * Which box the desktop engine seals secrets with. safeStorage only when it really encrypts: on Linux with
 * no keyring, Electron falls back to 'basic_text', a key that is the same in every Chromium (anyone who reads
 * the catalog reads the secrets), so the data folder's 0600 key file is used instead; so it is for a
 * backend Electron does not name ('unknown', or none reported).
 */
export function chooseSecretBox(
  platform: NodeJS.Platform,
  safeStorage: Pick<SafeStorageLike, 'isEncryptionAvailable' | 'getSelectedStorageBackend'>,
): SecretBoxChoice {
  if (!safeStorage.isEncryptionAvailable()) {
    return {
      box: 'key-file',
      warning: 'The OS keystore is not available: secrets are sealed with the key file in the data folder (secret.key).',
    };
  }
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
    if (!LINUX_KEYRINGS.has(backend)) {
      return {
        box: 'key-file',
        warning:
          `No keyring holds Electron's key (safeStorage backend "${backend}": plain text, not encryption): ` +
          'secrets are sealed with the key file in the data folder (secret.key) instead.',
      };
    }
  }
  return { box: 'safe-storage' };
}

/** The box chooseSecretBox picks, built; a fallback to the key file is logged through `warn`. */
export function desktopSecretBox(
  safeStorage: SafeStorageLike,
  dataDir: string,
  platform: NodeJS.Platform,
  warn: (message: string) => void,
): { box: SecretBox; previous: SecretBox | null } {
  const choice = chooseSecretBox(platform, safeStorage);
  if (choice.box === 'safe-storage') return { box: new SafeStorageSecretBox(safeStorage), previous: null };
  warn(choice.warning);
  // What an earlier version sealed through the plain-text backend still opens there: it moves to the key file.
  return {
    box: new KeyFileSecretBox(dataDir),
    previous: safeStorage.isEncryptionAvailable() ? new SafeStorageSecretBox(safeStorage) : null,
  };
}
