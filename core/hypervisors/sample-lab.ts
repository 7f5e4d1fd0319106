import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createDiskWriter, markerBootSector } from '../disks';
import { serializeVmx } from './workstation/vmx';

const MiB = 1024 * 1024;

interface LabVm {
  name: string;
  guestOS: string;
  memsize: number;
  numvcpus: number;
  firmware: 'bios' | 'efi';
  /** Virtual size of each disk in MiB; the first boots. */
  disks: number[];
  mac: string;
}

/** Three small VMs that look like a small office: a domain controller, a file server with a data disk, a web server. */
export const LAB_VMS: readonly LabVm[] = [
  {
    name: 'lab-dc01',
    guestOS: 'windows2019srvnext-64',
    memsize: 2048,
    numvcpus: 2,
    firmware: 'bios',
    disks: [64],
    mac: '00:50:56:3f:00:01',
  },
  {
    name: 'lab-files01',
    guestOS: 'windows2019srvnext-64',
    memsize: 4096,
    numvcpus: 2,
    firmware: 'bios',
    disks: [64, 32],
    mac: '00:50:56:3f:00:02',
  },
  { name: 'lab-web01', guestOS: 'ubuntu-64', memsize: 1024, numvcpus: 1, firmware: 'bios', disks: [48], mac: '00:50:56:3f:00:03' },
];

export function defaultLabFolder(dataDir: string): string {
  return path.join(dataDir, 'sample-lab');
}

/**
 * Writes the sample lab: each VM is a folder with a .vmx and real sparse VMDKs (written by Lifeboat's own
 * VMDK writer). Every boot disk starts with a boot sector that prints "LIFEBOAT-BOOT-OK <vm>" on the serial
 * port, so a drill can prove the restored VM boots; the rest holds recognisable data at a few offsets, with
 * unallocated space between. VMs that already exist are left as they are.
 */
export async function createSampleLab(folder: string): Promise<{ folder: string; vms: string[] }> {
  await fs.mkdir(folder, { recursive: true });
  for (const vm of LAB_VMS) {
    const vmFolder = path.join(folder, vm.name);
    const vmxFile = path.join(vmFolder, `${vm.name}.vmx`);
    if (await exists(vmxFile)) continue;
    await fs.mkdir(vmFolder, { recursive: true });
    const diskNames: string[] = [];
    for (const [index, sizeMiB] of vm.disks.entries()) {
      const diskName = index === 0 ? `${vm.name}.vmdk` : `${vm.name}-${index}.vmdk`;
      await writeLabDisk(path.join(vmFolder, diskName), sizeMiB * MiB, vm.name, index);
      diskNames.push(diskName);
    }
    await fs.writeFile(vmxFile, labVmx(vm, diskNames));
  }
  return { folder, vms: LAB_VMS.map((vm) => vm.name) };
}

/** The data a lab disk holds, so tests can check a copy byte for byte. */
export function labDiskContent(vmName: string, diskIndex: number, virtualSize: number): { offset: number; data: Buffer }[] {
  const pieces: { offset: number; data: Buffer }[] = [];
  if (diskIndex === 0) pieces.push({ offset: 0, data: markerBootSector(`LIFEBOAT-BOOT-OK ${vmName}`) });
  const note = Buffer.from(`Lifeboat sample lab: ${vmName}, disk ${diskIndex}. This data is restored and compared in drills.\n`.repeat(64));
  pieces.push({ offset: 1 * MiB, data: note });
  pieces.push({ offset: 4 * MiB, data: pattern(`${vmName}/${diskIndex}/a`, 512 * 1024) });
  if (virtualSize > 24 * MiB) pieces.push({ offset: 20 * MiB, data: pattern(`${vmName}/${diskIndex}/b`, 256 * 1024) });
  pieces.push({ offset: virtualSize - 64 * 1024, data: pattern(`${vmName}/${diskIndex}/end`, 64 * 1024) });
  return pieces;
}

async function writeLabDisk(file: string, virtualSize: number, vmName: string, diskIndex: number): Promise<void> {
  const writer = await createDiskWriter('vmdk', file, virtualSize);
  try {
    for (const piece of labDiskContent(vmName, diskIndex, virtualSize)) await writer.write(piece.offset, piece.data);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** Deterministic bytes that never repeat within a piece (SHA-256 in counter mode), so a wrong offset shows. */
function pattern(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let block = 0; block * 32 < length; block++) {
    createHash('sha256')
      .update(`${seed}:${block}`)
      .digest()
      .copy(out, block * 32);
  }
  return out;
}

function labVmx(vm: LabVm, disks: string[]): string {
  const entries: [string, string][] = [
    ['config.version', '8'],
    ['virtualHW.version', '19'],
    ['displayName', vm.name],
    ['guestOS', vm.guestOS],
    ['memsize', String(vm.memsize)],
    ['numvcpus', String(vm.numvcpus)],
    ['firmware', vm.firmware],
    ['scsi0.present', 'TRUE'],
    ['scsi0.virtualDev', 'lsisas1068'],
  ];
  disks.forEach((disk, index) => entries.push([`scsi0:${index}.present`, 'TRUE'], [`scsi0:${index}.fileName`, disk]));
  entries.push(
    ['ethernet0.present', 'TRUE'],
    ['ethernet0.connectionType', 'nat'],
    ['ethernet0.virtualDev', 'e1000e'],
    ['ethernet0.addressType', 'static'],
    ['ethernet0.address', vm.mac],
    ['ethernet0.startConnected', 'TRUE'],
    ['annotation', 'Lifeboat sample lab VM: safe to protect, restore and drill.'],
  );
  return serializeVmx(entries);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
