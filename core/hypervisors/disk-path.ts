import path from 'node:path';

/**
 * A disk file as a .vmx names it (relative to the .vmx's folder, or absolute) as a path to open. Workstation
 * VM ids are their .vmx files, so orchestrators writing a Workstation VM's disks resolve them the same way.
 */
export function resolveDiskPath(vmxFile: string, diskPath: string): string {
  return path.isAbsolute(diskPath) || /^[a-zA-Z]:[\\/]/.test(diskPath) ? diskPath : path.resolve(path.dirname(vmxFile), diskPath);
}
