import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { serializeVmx } from '../../core/hypervisors/workstation/vmx';
import { qemuImg } from './qemu-images';

/**
 * The drill guest: a real Linux (Debian kernel + busybox) on a 64 MiB BIOS disk, built by
 * scripts/drill-guest/build.sh and cached in .cache/drill-guest/<key>/. Booted, it prints
 * `DRILL-GUEST-READY host=drillguest ip=10.0.2.15 httpd=:80 uptime=...` on COM1 and the VGA console once
 * busybox httpd answers on port 80 (/index.html, /cgi-bin/status, /cgi-bin/reach?IP:PORT).
 */
export const DRILL_GUEST_READY = 'DRILL-GUEST-READY';

/** The guest's hostname, in its READY line, /cgi-bin/status and its VGA login prompt. */
export const DRILL_GUEST_HOST = 'drillguest';

// Found by walking up, because benchmarks run this file bundled into dist/bench/.
function findRepoRoot(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'scripts', 'drill-guest', 'build.sh'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`scripts/drill-guest/build.sh not found above ${import.meta.dirname}`);
  }
}

const repoRoot = findRepoRoot();
const buildScript = path.join(repoRoot, 'scripts', 'drill-guest', 'build.sh');
export const drillGuestCacheRoot = path.join(repoRoot, '.cache', 'drill-guest');

function runBuild(args: string[]): string {
  try {
    return execFileSync('bash', [buildScript, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `The drill guest could not be built (bash scripts/drill-guest/build.sh ${args.join(' ')}): ${(e.stderr || e.message).trim()}\n` +
        'Its Debian packages are installed by: bash scripts/setup.sh',
      { cause: error },
    );
  }
}

let cachedRaw: string | null = null;

/** The cached disk.raw, built first (synchronously, ~5 s) when this machine has none for the current key. */
export function drillGuestRaw(): string {
  if (cachedRaw && fs.existsSync(cachedRaw)) return cachedRaw;
  const key = runBuild(['--key']).trim();
  const dir = path.join(drillGuestCacheRoot, key);
  const disk = path.join(dir, 'disk.raw');
  if (!fs.existsSync(disk)) runBuild([dir]);
  cachedRaw = disk;
  return disk;
}

/** The cache key of the guest in use: part of its /etc/drill-id (`drillguest-<key>`). */
export function drillGuestKey(): string {
  return path.basename(path.dirname(drillGuestRaw()));
}

const CONVERT_OPTIONS: Record<'raw' | 'vhdx' | 'vmdk', string[]> = {
  raw: ['-O', 'raw'],
  vhdx: ['-O', 'vhdx', '-o', 'subformat=dynamic'],
  vmdk: ['-O', 'vmdk', '-o', 'subformat=monolithicSparse'],
};

/** A fresh copy of the guest in `dir` as `<name>.<format>`, written by qemu-img (sparse, safe to boot read-write). */
export function drillGuestDisk(format: 'raw' | 'vhdx' | 'vmdk', dir: string, name = 'drill-guest'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.${format}`);
  fs.rmSync(file, { force: true });
  qemuImg('convert', '-f', 'raw', ...CONVERT_OPTIONS[format], drillGuestRaw(), file);
  return file;
}

/**
 * A VMware Workstation VM in `folder` (created): `<name>.vmx` with the guest as `<name>.vmdk` on ide0:0, in
 * the shape the sample lab writes, so the Workstation provider discovers it in `folder` or any parent.
 * Identifiers derive from `name`, so the same name gives the same VM.
 */
export function drillGuestWorkstationVm(folder: string, name: string, options: { format?: 'vmdk' } = {}): { vmx: string; disk: string } {
  const format = options.format ?? 'vmdk';
  const disk = drillGuestDisk(format, folder, name);
  const id = createHash('sha256').update(`drill-guest:${name}`).digest();
  const hex = (from: number, to: number) => [...id.subarray(from, to)].map((b) => b.toString(16).padStart(2, '0'));
  const entries: [string, string][] = [
    ['config.version', '8'],
    ['virtualHW.version', '19'],
    ['displayName', name],
    ['guestOS', 'other5xlinux-64'],
    ['memsize', '256'],
    ['numvcpus', '1'],
    ['firmware', 'bios'],
    ['uuid.bios', `${hex(0, 8).join(' ')}-${hex(8, 16).join(' ')}`],
    ['ide0:0.present', 'TRUE'],
    ['ide0:0.fileName', path.basename(disk)],
    ['ethernet0.present', 'TRUE'],
    ['ethernet0.connectionType', 'nat'],
    ['ethernet0.virtualDev', 'e1000'],
    ['ethernet0.addressType', 'static'],
    // VMware's range for static addresses is 00:50:56:00:00:00-3f:ff:ff; the sample lab uses 3f.
    ['ethernet0.address', `00:50:56:3e:${hex(16, 18).join(':')}`],
    ['ethernet0.startConnected', 'TRUE'],
    // Where a real Workstation would show the READY line.
    ['serial0.present', 'TRUE'],
    ['serial0.fileType', 'file'],
    ['serial0.fileName', `${name}-serial.log`],
    ['annotation', `Lifeboat drill guest: Linux that prints ${DRILL_GUEST_READY} on COM1 and serves HTTP on port 80.`],
  ];
  const vmx = path.join(folder, `${name}.vmx`);
  fs.writeFileSync(vmx, serializeVmx(entries));
  return { vmx, disk };
}
