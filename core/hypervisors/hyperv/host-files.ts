import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LifeboatError } from '../../contract/errors';
import { ISOLATED_VM_MARKER, type HostFileOps } from '../types';

/** Where Lifeboat leaves its marker in a folder it made on a host; the scripts use the same name. */
export const OWNED_FOLDER_MARKER = 'lifeboat-owned.txt';

/** D:\VMs\a.vhdx on HV02 → \\HV02\D$\VMs\a.vhdx; UNC paths (SMB3 storage) stay as they are. */
export function adminSharePath(host: string, file: string): string {
  const drive = /^([a-zA-Z]):[\\/](.*)$/.exec(file);
  if (!drive) return file;
  return `\\\\${host}\\${drive[1]!.toUpperCase()}$\\${drive[2]!.replace(/\//g, '\\')}`;
}

/** How this machine reaches a host's file: the administrative share by default; tests map it to a folder. */
export type HostPathResolver = (host: string, hostPath: string) => string;

/**
 * A remote Hyper-V host's files through its administrative share, with the account Lifeboat runs as (Windows
 * passes it to SMB). Copies land under a temporary name first, so a copy cut short never looks complete.
 */
export function adminShareFiles(address: string, resolve: HostPathResolver, diskFolder: () => Promise<string>): HostFileOps {
  const local = (hostPath: string) => resolve(address, hostPath);
  return {
    diskFolder,
    async uploadFile(localFile, hostPath, signal) {
      const target = local(hostPath);
      const partial = `${target}.lifeboat-partial`;
      try {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        await pipeline(fs.createReadStream(localFile), fs.createWriteStream(partial), ...(signal ? [{ signal }] : []));
        fs.renameSync(partial, target);
      } catch (error) {
        fs.rmSync(partial, { force: true });
        throw shareError(error, address, hostPath);
      }
    },
    async deleteOwnedFolder(hostPath) {
      const folder = local(hostPath);
      try {
        if (!fs.existsSync(folder)) return 'missing';
        const marker = path.join(folder, OWNED_FOLDER_MARKER);
        if (
          !fs.existsSync(marker) ||
          !fs
            .readFileSync(marker, 'utf8')
            .replace(/^\uFEFF/, '')
            .startsWith(ISOLATED_VM_MARKER)
        )
          return 'not-lifeboat';
        fs.rmSync(folder, { recursive: true });
        return 'removed';
      } catch (error) {
        throw shareError(error, address, hostPath);
      }
    },
  };
}

function shareError(error: unknown, address: string, hostPath: string): unknown {
  if (error instanceof LifeboatError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const share = adminSharePath(address, hostPath);
  if (code === 'EACCES' || code === 'EPERM')
    return new LifeboatError('ACCESS_DENIED', `${address} refused Lifeboat's account access to ${share}.`, {
      fix: `Lifeboat copies disks through the host's administrative share: run Lifeboat as an account that is an administrator on ${address}, with File and Printer Sharing allowed in its firewall.`,
    });
  if (code === 'ENOSPC')
    return new LifeboatError('STORAGE_FULL', `The disk of ${share} on ${address} is full.`, {
      fix: `Free space on ${address}, or change its default virtual hard disk folder (Hyper-V Settings) to a volume with room.`,
    });
  if (code === 'ENOENT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new LifeboatError('HOST_UNREACHABLE', `Lifeboat cannot reach ${share} on ${address}: ${(error as Error).message}`, {
      fix: `Check that ${address} is on, that its administrative share (${share.split('\\').slice(0, 4).join('\\')}) is enabled, and that File and Printer Sharing is allowed in its firewall.`,
    });
  return error;
}
