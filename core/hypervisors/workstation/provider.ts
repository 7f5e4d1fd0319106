import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from '../../contract/errors';
import type { DiscoveredVm, GuestHeartbeat, PowerState, VmDiskFormat, VmDiskInfo, VmNicInfo } from '../../contract/hosts';
import { fileResolver, openDisk } from '../../disks';
import type { DiskReader } from '../../disks/types';
import { resolveDiskPath } from '../disk-path';
import { checkpointFailed, notLifeboatVm, vmNotFound } from '../errors';
import {
  ISOLATED_VM_MARKER,
  fullRead,
  type ChangedAreas,
  type Checkpoint,
  type CheckpointOptions,
  type HostConnection,
  type HostDescription,
  type Hypervisor,
  type HypervisorProvider,
  type IsolatedVm,
  type IsolatedVmSpec,
} from '../types';
import { findVmrun, vmrunMissing, vmrunRunner, type VmrunRunner } from './vmrun';
import { isTrue, parseVmx, serializeVmx, type VmxEntries } from './vmx';

export interface WorkstationOptions {
  /** Stand-in for vmrun; default: the installed one, if any. */
  vmrun?: VmrunRunner | null;
  /** Workstation's own VM list; default: the per-user inventory.vmls of this OS. */
  inventoryFile?: string | null;
  /** How deep below each folder to look for .vmx files. */
  maxDepth?: number;
}

const DISK_BUSES = /^(scsi|sata|ide|nvme)\d+:\d+$/;
const CDROM_TYPES = /^(cdrom|atapi-cdrom)/i;

export function defaultInventoryFile(env: NodeJS.ProcessEnv = process.env): string {
  return process.platform === 'win32'
    ? path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'VMware', 'inventory.vmls')
    : path.join(os.homedir(), '.vmware', 'inventory.vmls');
}

export const workstationProvider = (options: WorkstationOptions = {}): HypervisorProvider => ({
  kind: 'workstation',
  connect: (host) => new WorkstationHost(host, options),
});

/**
 * VMware Workstation on this computer: VMs are .vmx files in the chosen folders (and in Workstation's own
 * list). Power state comes from the lock folders Workstation keeps next to a running VM; snapshots and
 * power actions need `vmrun`, which ships with Workstation. A powered-off VM needs nothing: its disks are
 * already frozen.
 */
export class WorkstationHost implements Hypervisor {
  readonly kind = 'workstation' as const;
  private readonly vmrun: VmrunRunner | null;
  private readonly inventoryFile: string | null;

  constructor(
    private readonly host: HostConnection,
    private readonly options: WorkstationOptions,
  ) {
    if (options.vmrun !== undefined) this.vmrun = options.vmrun;
    else {
      const executable = findVmrun();
      this.vmrun = executable ? vmrunRunner(executable) : null;
    }
    this.inventoryFile =
      options.inventoryFile !== undefined ? options.inventoryFile : host.settings.useInventory === false ? null : defaultInventoryFile();
  }

  private get folders(): string[] {
    return this.host.settings.folders ?? [];
  }

  async describe(): Promise<HostDescription> {
    for (const folder of this.folders) {
      const stat = await fs.stat(folder).catch(() => null);
      if (!stat?.isDirectory()) {
        throw new LifeboatError('NOT_FOUND', `The folder ${folder} does not exist or is not a folder.`, {
          fix: 'Choose the folder that holds your Workstation VMs (each VM is a folder with a .vmx file).',
        });
      }
    }
    return { product: 'VMware Workstation', version: this.vmrun ? 'vmrun available' : 'vmrun not installed (powered-off VMs only)' };
  }

  async listVms(): Promise<DiscoveredVm[]> {
    // A folder that vanished (a share offline) must fail discovery, not report every VM as removed.
    await this.describe();
    const files = new Set<string>();
    for (const folder of this.folders) for (const file of await findVmxFiles(folder, this.options.maxDepth ?? 4)) files.add(file);
    for (const file of await this.inventoryVmx()) files.add(file);
    const running = await this.runningVmx();
    const vms: DiscoveredVm[] = [];
    for (const file of [...files].sort()) {
      const vm = await readVm(file, running).catch(() => null); // a half-deleted VM folder is not an inventory failure
      if (vm) vms.push(vm);
    }
    return vms;
  }

  private async inventoryVmx(): Promise<string[]> {
    if (!this.inventoryFile) return [];
    const text = await fs.readFile(this.inventoryFile, 'utf8').catch(() => null);
    if (text === null) return [];
    const files: string[] = [];
    for (const [key, value] of parseVmx(text)) {
      if (/^vmlist\d+\.config$/.test(key) && value.toLowerCase().endsWith('.vmx') && (await exists(value))) files.push(path.resolve(value));
    }
    return files;
  }

  /** vmrun's list of running VMs when it is installed; null means "judge by lock folders". */
  private async runningVmx(): Promise<Set<string> | null> {
    if (!this.vmrun) return null;
    const result = await this.vmrun.run(['list']);
    if (result.exitCode !== 0) return null;
    return new Set(
      result.stdout
        .split(/\r?\n/)
        .slice(1)
        .map((line) => line.trim())
        .filter((line) => line.toLowerCase().endsWith('.vmx'))
        .map((line) => path.resolve(line)),
    );
  }

  private async vm(vmId: string): Promise<DiscoveredVm> {
    const vm = await readVm(vmId, await this.runningVmx()).catch(() => null);
    if (!vm) throw vmNotFound(this.host.name, vmId);
    return vm;
  }

  async createCheckpoint(vmId: string, options: CheckpointOptions): Promise<Checkpoint> {
    const vm = await this.vm(vmId);
    const disks = vm.disks.map((disk) => ({
      key: disk.key,
      path: resolveDiskPath(vmId, disk.path),
      capacityBytes: disk.capacityBytes,
      changeId: null,
    }));
    const createdAt = new Date().toISOString();
    if (vm.powerState === 'off') {
      return { id: `powered-off:${createdAt}`, vmId, name: options.name, kind: 'powered-off', createdAt, note: null, disks };
    }
    if (options.consistency === 'require') {
      throw checkpointFailed(
        vm.name,
        'VMware Workstation cannot take an application-consistent snapshot of a running VM',
        'Shut the VM down before the run, or let this policy fall back to crash-consistent copies.',
      );
    }
    if (!this.vmrun) throw vmrunMissing(`snapshot the running VM ${vm.name}`);
    const result = await this.vmrun.run(['snapshot', vmId, options.name]);
    if (result.exitCode !== 0) {
      throw checkpointFailed(
        vm.name,
        `vmrun snapshot said: ${(result.stdout + result.stderr).trim() || `exit code ${result.exitCode}`}`,
        'Check the VM in Workstation (no dialog waiting, enough disk space), then try again.',
      );
    }
    // The disks named before the snapshot are now frozen parents; the VM writes to new delta files.
    return {
      id: options.name,
      vmId,
      name: options.name,
      kind: 'crash-consistent',
      createdAt,
      note: 'VMware Workstation snapshots of a running VM are crash-consistent (no in-guest quiescing).',
      disks,
    };
  }

  async openCheckpointDisk(checkpoint: Checkpoint, diskKey: string): Promise<DiskReader> {
    const disk = checkpoint.disks.find((d) => d.key === diskKey);
    if (!disk)
      throw new LifeboatError('NOT_FOUND', `The checkpoint of ${checkpoint.vmId} has no disk ${diskKey}.`, {
        fix: "Run discovery again; the VM's disks changed.",
      });
    return openDisk(disk.path, fileResolver);
  }

  async changedAreas(): Promise<ChangedAreas> {
    return fullRead('VMware Workstation keeps no change tracking Lifeboat can read.');
  }

  async releaseCheckpoint(checkpoint: Checkpoint): Promise<void> {
    if (checkpoint.kind === 'powered-off') return;
    if (!this.vmrun) throw vmrunMissing('remove the snapshot');
    const result = await this.vmrun.run(['deleteSnapshot', checkpoint.vmId, checkpoint.id]);
    if (result.exitCode !== 0 && !/not exist|not found/i.test(result.stdout + result.stderr)) {
      throw new LifeboatError(
        'CHECKPOINT_FAILED',
        `vmrun could not remove the snapshot ${checkpoint.id}: ${(result.stdout + result.stderr).trim()}.`,
        {
          fix: `Delete the snapshot "${checkpoint.id}" in Workstation's Snapshot Manager.`,
        },
      );
    }
  }

  async createIsolatedVm(spec: IsolatedVmSpec): Promise<IsolatedVm> {
    const baseFolder = spec.location ?? path.join(this.folders[0] ?? os.tmpdir(), 'Lifeboat drills');
    const folder = path.join(baseFolder, safeFileName(spec.name));
    await fs.mkdir(folder, { recursive: true });
    const vmxFile = path.join(folder, `${safeFileName(spec.name)}.vmx`);
    await fs.writeFile(vmxFile, isolatedVmx(spec), { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') {
        throw new LifeboatError('CONFLICT', `A VM already exists at ${vmxFile}.`, {
          fix: 'Choose another name, or remove the old drill VM first.',
        });
      }
      throw error;
    });
    return { vmId: vmxFile, name: spec.name, configPath: vmxFile };
  }

  async powerOn(vmId: string): Promise<void> {
    await this.vm(vmId);
    await this.vmrunAction(['start', vmId, 'nogui'], `start ${vmId}`);
  }

  async powerOff(vmId: string, options: { hard?: boolean } = {}): Promise<void> {
    await this.vm(vmId);
    await this.vmrunAction(['stop', vmId, options.hard ? 'hard' : 'soft'], `stop ${vmId}`);
  }

  async heartbeat(vmId: string): Promise<GuestHeartbeat> {
    const vm = await this.vm(vmId);
    if (!this.vmrun || vm.powerState !== 'running') return vm.powerState === 'running' ? 'unknown' : 'no-contact';
    const result = await this.vmrun.run(['checkToolsState', vmId]);
    const state = result.stdout.trim().toLowerCase();
    return state === 'running' ? 'ok' : state === 'installed' ? 'no-contact' : state === 'unknown' ? 'not-installed' : 'unknown';
  }

  async removeVm(vmId: string): Promise<void> {
    const text = await fs.readFile(vmId, 'utf8').catch(() => null);
    if (text === null) return; // already gone
    const entries = parseVmx(text);
    if (!isTrue(entries.get(`${ISOLATED_VM_MARKER}`.toLowerCase()))) throw notLifeboatVm(this.host.name, vmId);
    if (await isLocked(vmId)) {
      if (!this.vmrun) throw vmrunMissing('stop the drill VM before deleting it');
      await this.vmrun.run(['stop', vmId, 'hard']);
    }
    await fs.rm(path.dirname(vmId), { recursive: true, force: true });
  }

  async close(): Promise<void> {}

  private async vmrunAction(args: string[], what: string): Promise<void> {
    if (!this.vmrun) throw vmrunMissing(what);
    const result = await this.vmrun.run(args);
    if (result.exitCode !== 0) {
      throw new LifeboatError(
        'CONFLICT',
        `vmrun could not ${what}: ${(result.stdout + result.stderr).trim() || `exit code ${result.exitCode}`}.`,
        {
          fix: 'Open the VM in VMware Workstation to see what it is waiting for.',
        },
      );
    }
  }
}

/** A VM described by its .vmx; `running` is vmrun's list when available. */
export async function readVm(vmxFile: string, running: Set<string> | null): Promise<DiscoveredVm> {
  const entries = parseVmx(await fs.readFile(vmxFile, 'utf8'));
  const disks = await readDisks(vmxFile, entries);
  const power = await powerState(vmxFile, entries, running);
  return {
    externalId: path.resolve(vmxFile),
    name: entries.get('displayname') || path.basename(vmxFile, '.vmx'),
    powerState: power,
    cpus: intOrNull(entries.get('numvcpus')) ?? 1,
    memoryMiB: intOrNull(entries.get('memsize')),
    firmware: entries.get('firmware')?.toLowerCase() === 'efi' ? 'uefi' : 'bios',
    generation: null,
    guestOs: entries.get('guestos') ?? null,
    disks,
    nics: readNics(entries),
    // VMware Tools state needs vmrun and a running guest; a VM that is off has no contact.
    heartbeat: power === 'running' ? 'unknown' : 'no-contact',
    replication: null,
    configPath: path.resolve(vmxFile),
  };
}

async function readDisks(vmxFile: string, entries: VmxEntries): Promise<VmDiskInfo[]> {
  const disks: VmDiskInfo[] = [];
  for (const [key, value] of entries) {
    const match = /^(.+)\.filename$/.exec(key);
    const device = match?.[1];
    if (!device || !DISK_BUSES.test(device)) continue;
    if (entries.get(`${device}.present`) !== undefined && !isTrue(entries.get(`${device}.present`))) continue;
    const type = entries.get(`${device}.devicetype`) ?? '';
    if (CDROM_TYPES.test(type) || !value.toLowerCase().endsWith('.vmdk')) continue;
    const { format, capacityBytes } = await diskFacts(resolveDiskPath(vmxFile, value));
    disks.push({ key: device, label: `${device.toUpperCase()} disk`, path: value, format, capacityBytes });
  }
  return disks.sort((a, b) => a.key.localeCompare(b.key));
}

/** Format and virtual size as the disk parsers read them; a disk that cannot be opened is still listed. */
export async function diskFacts(file: string): Promise<{ format: VmDiskFormat; capacityBytes: number | null }> {
  try {
    const reader = await openDisk(file, fileResolver);
    await reader.close();
    return {
      format: reader.format === 'raw' && file.toLowerCase().endsWith('.vmdk') ? 'vmdk' : reader.format,
      capacityBytes: reader.virtualSize,
    };
  } catch {
    return { format: 'unknown', capacityBytes: null };
  }
}

function readNics(entries: VmxEntries): VmNicInfo[] {
  const nics: VmNicInfo[] = [];
  for (let i = 0; i < 10; i++) {
    const prefix = `ethernet${i}`;
    if (!isTrue(entries.get(`${prefix}.present`))) continue;
    const type = entries.get(`${prefix}.connectiontype`) ?? 'bridged';
    const network = type === 'custom' ? (entries.get(`${prefix}.vnet`) ?? 'custom') : type;
    const startConnected = entries.get(`${prefix}.startconnected`);
    nics.push({
      name: `Network adapter ${i + 1}`,
      network,
      mac: entries.get(`${prefix}.address`) ?? entries.get(`${prefix}.generatedaddress`) ?? null,
      ips: [],
      connected: startConnected === undefined || isTrue(startConnected),
    });
  }
  return nics;
}

async function powerState(vmxFile: string, entries: VmxEntries, running: Set<string> | null): Promise<PowerState> {
  if (running?.has(path.resolve(vmxFile))) return 'running';
  const vmss = entries.get('checkpoint.vmstate');
  if (vmss && (await exists(path.resolve(path.dirname(vmxFile), vmss)))) return 'suspended';
  if (running) return 'off';
  return (await isLocked(vmxFile)) ? 'running' : 'off';
}

/** Workstation holds `<name>.vmx.lck` (a folder) while the VM is open. */
async function isLocked(vmxFile: string): Promise<boolean> {
  return exists(`${vmxFile}.lck`);
}

async function findVmxFiles(folder: string, maxDepth: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isFile() && entry.name.toLowerCase().endsWith('.vmx')) found.push(path.resolve(full));
      else if (entry.isDirectory() && depth < maxDepth && !entry.name.toLowerCase().endsWith('.lck')) await walk(full, depth + 1);
    }
  };
  await walk(folder, 0);
  return found;
}

/** The .vmx of a drill VM: no network adapter at all, disks on SCSI (SATA for UEFI guests too), marked as ours. */
export function isolatedVmx(spec: IsolatedVmSpec): string {
  const entries: [string, string][] = [
    ['config.version', '8'],
    ['virtualHW.version', '16'],
    ['displayName', spec.name],
    ['guestOS', spec.guestOs ?? 'other-64'],
    ['memsize', String(spec.memoryMiB)],
    ['numvcpus', String(spec.cpus)],
    ['firmware', spec.firmware === 'uefi' ? 'efi' : 'bios'],
    ['ethernet0.present', 'FALSE'],
    ['scsi0.present', 'TRUE'],
    ['scsi0.virtualDev', 'lsisas1068'],
  ];
  spec.disks.forEach((disk, index) => {
    entries.push([`scsi0:${index}.present`, 'TRUE'], [`scsi0:${index}.fileName`, disk], [`scsi0:${index}.deviceType`, 'scsi-hardDisk']);
  });
  entries.push(['uuid.action', 'create'], ['msg.autoAnswer', 'TRUE'], [ISOLATED_VM_MARKER, 'TRUE']);
  return serializeVmx(entries);
}

function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are not allowed in file names
  return name.replace(/[<>:"/\\|?*\x00-\x1f]/g, '_').trim() || 'vm';
}

function intOrNull(value: string | undefined): number | null {
  const n = value === undefined ? NaN : Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : null;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
