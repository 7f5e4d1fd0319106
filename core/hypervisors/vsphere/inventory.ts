import type { DiscoveredVm, GuestHeartbeat, PowerState, VmDiskInfo, VmNicInfo } from '../../contract/hosts';
import type { ObjectContent, PropertyRequest } from './client';
import { asMoRef, children, first, text, xsiType, type MoRef, type XmlNode } from './xml';

/** What discovery reads of each VM: one PropertyCollector pass, no per-VM round trips. */
export const VM_PROPERTIES: PropertyRequest = {
  type: 'VirtualMachine',
  paths: [
    'name',
    'config.instanceUuid',
    'config.template',
    'config.hardware.numCPU',
    'config.hardware.memoryMB',
    'config.firmware',
    'config.guestFullName',
    'config.hardware.device',
    'runtime.powerState',
    'guest.toolsStatus',
    'guest.toolsRunningStatus',
    'guest.net',
    'guestHeartbeatStatus',
    'summary.config.vmPathName',
  ],
};

export const PORTGROUP_PROPERTIES: PropertyRequest = { type: 'DistributedVirtualPortgroup', paths: ['key', 'name'] };

/** A virtual disk as the VM's device list describes it. */
export interface VsphereDisk {
  key: string;
  label: string;
  fileName: string;
  datastore: MoRef | undefined;
  capacityBytes: number | null;
  changeId: string | null;
}

export function parseDisks(devices: XmlNode | undefined): VsphereDisk[] {
  return children(devices, 'VirtualDevice')
    .filter((device) => xsiType(device) === 'VirtualDisk')
    .map((device) => {
      const backing = first(device, 'backing');
      const bytes = num(text(device, 'capacityInBytes'));
      const kb = num(text(device, 'capacityInKB'));
      return {
        key: text(device, 'key') ?? '',
        label: text(first(device, 'deviceInfo'), 'label') ?? 'Hard disk',
        fileName: text(backing, 'fileName') ?? '',
        datastore: asMoRef(first(backing, 'datastore')),
        capacityBytes: bytes ?? (kb === null ? null : kb * 1024),
        changeId: text(backing, 'changeId') ?? null,
      };
    });
}

interface VsphereNic {
  key: string;
  label: string;
  type: string;
  mac: string | null;
  network: string | null;
  connected: boolean;
}

function parseNics(devices: XmlNode | undefined, portgroups: Map<string, string>): VsphereNic[] {
  return children(devices, 'VirtualDevice')
    .filter(isNic)
    .map((device) => {
      const backing = first(device, 'backing');
      const portgroupKey = text(first(backing, 'port'), 'portgroupKey');
      return {
        key: text(device, 'key') ?? '',
        label: text(first(device, 'deviceInfo'), 'label') ?? 'Network adapter',
        type: xsiType(device) ?? 'VirtualEthernetCard',
        mac: text(device, 'macAddress') ?? null,
        network: text(backing, 'deviceName') ?? (portgroupKey ? (portgroups.get(portgroupKey) ?? portgroupKey) : null),
        connected: text(first(device, 'connectable'), 'connected') === 'true',
      };
    });
}

/** The network adapters of a device list, with the raw node for an edit that changes only a few fields. */
export function nicDevices(devices: XmlNode | undefined): { key: string; node: XmlNode }[] {
  return children(devices, 'VirtualDevice')
    .filter(isNic)
    .map((node) => ({ key: text(node, 'key') ?? '', node }));
}

function isNic(device: XmlNode): boolean {
  return first(device, 'macAddress') !== undefined || /^Virtual(E1000e?|Vmxnet\d?|PCNet32|Sriov|EthernetCard)/.test(xsiType(device) ?? '');
}

const POWER: Record<string, PowerState> = { poweredOn: 'running', poweredOff: 'off', suspended: 'suspended' };

export function heartbeatOf(status: string | undefined, toolsStatus: string | undefined, power: PowerState): GuestHeartbeat {
  if (toolsStatus === 'toolsNotInstalled') return 'not-installed';
  switch (status) {
    case 'green':
      return 'ok';
    case 'yellow':
      return 'degraded';
    case 'red':
      return 'lost';
    default:
      return power === 'running' ? 'no-contact' : 'no-contact';
  }
}

/** ObjectContent of one VM → the catalog's shape. Templates are not VMs to protect: null. */
export function toDiscoveredVm(object: ObjectContent, portgroups: Map<string, string>): DiscoveredVm | null {
  const p = (name: string): XmlNode | undefined => object.props.get(name);
  if (text(p('config.template')) === 'true') return null;
  const devices = p('config.hardware.device');
  const guestIps = new Map<string, string[]>();
  for (const nic of children(p('guest.net'), 'GuestNicInfo')) {
    const deviceKey = text(nic, 'deviceConfigId');
    if (deviceKey)
      guestIps.set(
        deviceKey,
        children(nic, 'ipAddress')
          .map((ip) => text(ip) ?? '')
          .filter(Boolean),
      );
  }
  const powerState = POWER[text(p('runtime.powerState')) ?? ''] ?? 'unknown';
  const firmware = text(p('config.firmware'));
  const disks: VmDiskInfo[] = parseDisks(devices).map((disk) => ({
    key: disk.key,
    label: disk.label,
    path: disk.fileName,
    format: 'vmdk',
    capacityBytes: disk.capacityBytes,
  }));
  const nics: VmNicInfo[] = parseNics(devices, portgroups).map((nic) => ({
    name: nic.label,
    network: nic.network,
    mac: nic.mac,
    ips: guestIps.get(nic.key) ?? [],
    connected: nic.connected,
  }));
  return {
    externalId: text(p('config.instanceUuid')) || object.obj.value,
    name: text(p('name')) ?? object.obj.value,
    powerState,
    cpus: num(text(p('config.hardware.numCPU'))),
    memoryMiB: num(text(p('config.hardware.memoryMB'))),
    firmware: firmware === 'efi' ? 'uefi' : firmware === 'bios' ? 'bios' : 'unknown',
    generation: null,
    guestOs: text(p('config.guestFullName')) || null,
    disks,
    nics,
    heartbeat: heartbeatOf(text(p('guestHeartbeatStatus')), text(p('guest.toolsStatus')), powerState),
    replication: null,
    configPath: text(p('summary.config.vmPathName')) ?? null,
  };
}

export function portgroupNames(objects: ObjectContent[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const object of objects) {
    if (object.obj.type !== 'DistributedVirtualPortgroup') continue;
    const key = text(object.props.get('key'));
    const name = text(object.props.get('name'));
    if (key && name) names.set(key, name);
  }
  return names;
}

/** "[LocalDS_0] vm1/disk1.vmdk" → { datastore: "LocalDS_0", path: "vm1/disk1.vmdk" }. */
export function parseDatastorePath(value: string): { datastore: string; path: string } | null {
  const match = /^\[([^\]]+)\]\s*(.*)$/.exec(value.trim());
  return match ? { datastore: match[1]!, path: match[2]! } : null;
}

function num(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
