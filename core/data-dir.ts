import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from './contract/errors';
import { formatBytes } from './contract/units';

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

export interface EnsureDataDirOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** Tests stand in for statfs(2) (a network mount cannot be made here). */
  statfs?: (dir: string) => { type: number };
}

/**
 * Makes sure the data folder exists and this account may write to it. A folder Lifeboat creates is private:
 * it holds the catalog (hosts, audit log), the key file that seals stored secrets, and the engine lock with
 * the console token. On POSIX that is mode 0700 (set explicitly, whatever the umask); on Windows the folder
 * gets an explicit ACL — inheritance removed, full control for the current user and SYSTEM only — through
 * `icacls`. A folder that already exists is left as it is: it may be one the user chose and shares on
 * purpose. Returns a warning when the Windows ACL could not be set (the folder is still usable).
 */
export function ensureDataDir(dataDir: string, options: EnsureDataDirOptions = {}): { created: boolean; warning: string | null } {
  const platform = options.platform ?? process.platform;
  let created: boolean;
  let warning: string | null = null;
  try {
    const share = networkShareOf(dataDir, { platform, ...(options.statfs ? { statfs: options.statfs } : {}) });
    if (share) throw onNetworkShare(dataDir, share);
    created = fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 }) !== undefined;
    if (created) {
      if (platform === 'win32') warning = restrictWindowsAcl(dataDir, options.env ?? process.env);
      else fs.chmodSync(dataDir, 0o700);
    }
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch (error) {
    if (error instanceof LifeboatError) throw error;
    const trouble = dataFolderTrouble(dataDir, error);
    throw trouble?.code === 'DATA_FOLDER_FULL'
      ? trouble
      : new LifeboatError('DATA_FOLDER_UNUSABLE', `Lifeboat cannot write to its data folder ${dataDir}.`, {
          fix: 'Check the folder exists and this account may write to it, or choose another with --data DIR or LIFEBOAT_DATA.',
          cause: error,
        });
  }
  return { created, warning };
}

/** Linux statfs magic numbers of network file systems (linux/magic.h and the file systems' own headers). */
const NETWORK_FS: ReadonlyMap<number, string> = new Map([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x00c36400, 'Ceph'],
  [0x5346414f, 'AFS'],
  [0x01161970, 'GFS2'],
  [0x7461636f, 'OCFS2'],
]);

/**
 * The network file system a data folder would live on, or null for a local disk: a UNC path on Windows
 * (\\server\share; a drive letter mapped to a share is not told apart here), the file system type of the
 * nearest existing folder on Linux. SQLite's WAL needs shared memory that network file systems do not give.
 */
export function networkShareOf(
  dataDir: string,
  options: { platform?: NodeJS.Platform; statfs?: (dir: string) => { type: number } } = {},
): string | null {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    // \\server\share or //server/share, and \\?\UNC\server\share; not \\?\C:\ (a local path, long form).
    const unc = /^(\\\\|\/\/)(?![?.][\\/])[^\\/]/.test(dataDir) || /^\\\\\?\\UNC\\/i.test(dataDir);
    return unc ? 'a Windows share (UNC path)' : null;
  }
  if (platform !== 'linux') return null;
  const statfs = options.statfs ?? ((dir: string) => fs.statfsSync(dir));
  let dir = path.resolve(dataDir);
  for (;;) {
    try {
      return NETWORK_FS.get(statfs(dir).type) ?? null;
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
  }
}

function onNetworkShare(dataDir: string, share: string): LifeboatError {
  return new LifeboatError(
    'DATA_FOLDER_UNUSABLE',
    `The data folder ${dataDir} is on a network share (${share}): its catalog, a SQLite database with a write-ahead log, can be damaged there.`,
    {
      fix: 'Choose a folder on a local disk with --data DIR or LIFEBOAT_DATA. Vaults on network shares are fine: only the data folder must be local.',
    },
  );
}

/** icacls with arguments as an array (no shell): only this user and SYSTEM, inherited by everything inside. */
function restrictWindowsAcl(dataDir: string, env: NodeJS.ProcessEnv): string | null {
  const user = env.USERNAME ? (env.USERDOMAIN ? `${env.USERDOMAIN}\\${env.USERNAME}` : env.USERNAME) : os.userInfo().username;
  try {
    execFileSync('icacls', [dataDir, '/inheritance:r', '/grant:r', `${user}:(OI)(CI)F`, '*S-1-5-18:(OI)(CI)F'], {
      stdio: 'pipe',
      windowsHide: true,
      timeout: 30_000,
    });
    return null;
  } catch (error) {
    return `The data folder ${dataDir} keeps the permissions it inherited: icacls failed (${(error as Error).message.split('\n')[0]}).`;
  }
}

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const IO_CODES = new Set(['EIO', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'SQLITE_CANTOPEN', 'SQLITE_PERM']);
/** Below this much free space (or with no free inodes) a failed write is put down to the full disk. */
const NEARLY_FULL_BYTES = 256 * 1024;

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * A failure of the disk under the data folder, in words that do not send anyone to delete the catalog: a full
 * disk (SQLITE_FULL, ENOSPC, or an I/O error while the disk has no room left — SQLite reports a shared-memory
 * file it cannot grow as SQLITE_IOERR_SHMSIZE) or a disk that cannot be read or written (SQLITE_IOERR*,
 * EIO, read-only, no permission). Nothing already saved is lost in either case. null for anything else.
 */
export function dataFolderTrouble(dataDir: string, error: unknown): LifeboatError | null {
  if (error instanceof LifeboatError) return null;
  const code = errorCode(error);
  const full = FULL_CODES.has(code);
  const io = code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || IO_CODES.has(code);
  if (!full && !io) return null;
  const room = freeSpace(dataDir);
  const reason = describe(error);
  if (full || (room !== null && room.nearlyFull)) {
    return new LifeboatError(
      'DATA_FOLDER_FULL',
      `The disk holding the data folder ${dataDir} is full${room ? ` (${formatBytes(room.bytes)} free)` : ''}: ${reason}.`,
      {
        fix: 'Free space on that disk, then try again: nothing was lost. Do not move or rebuild the catalog — it holds the audit log, policies and hosts.',
        cause: error,
      },
    );
  }
  return new LifeboatError('DATA_FOLDER_UNUSABLE', `The disk holding the data folder ${dataDir} cannot be read or written: ${reason}.`, {
    fix: 'Check that disk and that this account may read and write the folder, then try again: nothing was lost. Do not move or rebuild the catalog — it holds the audit log, policies and hosts.',
    cause: error,
  });
}

function describe(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  const code = errorCode(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** Free space where the folder is, or on the nearest parent that still exists (the folder may be gone). */
function freeSpace(dataDir: string): { bytes: number; nearlyFull: boolean } | null {
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    try {
      const stats = fs.statfsSync(dir);
      const bytes = stats.bavail * stats.bsize;
      return { bytes, nearlyFull: bytes < NEARLY_FULL_BYTES || (stats.files > 0 && stats.ffree === 0) };
    } catch {
      if (path.dirname(dir) === dir) return null;
    }
  }
}
