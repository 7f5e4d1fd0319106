/**
 * Seals small secrets (passphrases, credentials) before they touch disk. The desktop app uses Electron's
 * safeStorage (DPAPI on Windows, Keychain, libsecret); headless modes use a 0600 key file. Core never
 * imports Electron: the shell injects its box through the service config.
 */
export interface SecretBox {
  /** Recorded next to each sealed value, so a secret is only ever opened by the kind that sealed it. */
  readonly kind: string;
  seal(plaintext: string): Buffer;
  open(sealed: Buffer): string;
  /**
   * A key for `label` derived from the box's own key, so it is never stored anywhere (the audit log's MACs).
   * Boxes that cannot derive one (an OS keystore) leave it out: a random key sealed by them is used instead.
   */
  deriveKey?(label: string): Buffer;
}
