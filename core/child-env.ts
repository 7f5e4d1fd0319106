/**
 * Variables that can carry a secret, by prefix: Lifeboat's own (LIFEBOAT_PASSPHRASE, LIFEBOAT_HOST_PASSWORD,
 * and every setting beside them), the cloud vault credentials the backends read (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_CONNECTION_STRING, ...) and the Azure emulator's accounts.
 */
const SECRET_PREFIXES = ['LIFEBOAT_', 'AWS_', 'AZURE_', 'AZURITE_'] as const;

/** Whether a child process must not inherit this variable. Windows names are case-insensitive, so the test is too. */
export function isSecretVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

/**
 * The environment for a child process Lifeboat starts (QEMU, qemu-img, vmrun, PowerShell, a plan script, a
 * file manager): `source` (the engine's own environment) without any variable that can carry a secret, plus
 * `extra`, the values this one child needs, given by name. A child sees /proc/self/environ and passes its
 * environment on to its own children: the engine's vault passphrase and storage keys must not be there.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}, source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && !isSecretVariable(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
