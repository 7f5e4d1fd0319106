import os from 'node:os';
import path from 'node:path';

/**
 * Where the catalog, key file and logs live: --data, then LIFEBOAT_DATA, then the platform's per-user app
 * folder — the same folder Electron's app.getPath('userData') gives for "Lifeboat", so the desktop app, the
 * CLI and browser mode share one catalog by default.
 */
export function resolveDataDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (flag) return path.resolve(flag);
  if (env.LIFEBOAT_DATA) return path.resolve(env.LIFEBOAT_DATA);
  const home = os.homedir();
  switch (platform) {
    case 'win32':
      return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'Lifeboat');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Lifeboat');
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Lifeboat');
  }
}

/** A vault on the machine being protected is a start, not DR: the wizard says so and suggests moving it. */
export function suggestedVaultPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return 'D:\\LifeboatVault';
  return path.join(env.HOME ?? os.homedir(), 'LifeboatVault');
}
