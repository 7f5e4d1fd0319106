import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../contract/errors';
import type { DiscoveredVm, GuestHeartbeat } from '../../contract/hosts';
import { openDisk } from '../../disks';
import type { DiskReader } from '../../disks/types';
import { checkpointFailed, notLifeboatVm, vmNotFound } from '../errors';
import {
  ISOLATED_VM_MARKER,
  fullRead,
  type ChangedAreas,
  type Checkpoint,
  type CheckpointKind,
  type DatastoreOps,
  type CheckpointOptions,
  type HeartbeatReading,
  type HostConnection,
  type HostDescription,
  type Hypervisor,
  type HypervisorProvider,
  type IsolatedVm,
  type IsolatedVmSpec,
} from '../types';
import { queryChangedAreas } from './cbt';
import { VimClient, VimFault } from './client';
import { datastoreResolver, folderUrl, type DatastoreLocation } from './datastore';
import { PinnedHttp } from './http';
import {
  heartbeatOf,
  nicDevices,
  parseDatastorePath,
  parseDisks,
  PORTGROUP_PROPERTIES,
  portgroupNames,
  toDiscoveredVm,
  VM_PROPERTIES,
} from './inventory';
import { asMoRef, type first, Many, moRef, text, toXmlValue, Typed, type Fields, type MoRef } from './xml';

export interface VsphereOptions {
  /** How often task state is polled (ms). */
  taskPollMs?: number;
  relogin?: boolean;
}

export const vsphereProvider = (options: VsphereOptions = {}): HypervisorProvider => ({
  kind: 'vsphere',
  connect: (host) => new VsphereHost(host, options),
});

/** ESXi or vCenter through the vSphere Web Services API; disks are read from the datastore over HTTPS. */
export class VsphereHost implements Hypervisor {
  readonly kind = 'vsphere' as const;
  /** Drills, failover and restore stage ESXi disks through this facet, never through the class. */
  readonly datastores: DatastoreOps = {
    uploadFile: (localFile, datastorePath) => this.uploadFile(localFile, datastorePath),
    deletePath: (datastorePath) => this.deleteDatastorePath(datastorePath),
  };
  readonly client: VimClient;
  readonly http: PinnedHttp;
  private locations: Map<string, DatastoreLocation> | null = null;

  constructor(
    private readonly host: HostConnection,
    options: VsphereOptions = {},
  ) {
    if (!host.address)
      throw new LifeboatError('INVALID_INPUT', 'A vSphere host needs an address.', {
        field: 'address',
        fix: 'Enter the ESXi host or vCenter name.',
      });
    if (!host.credentials)
      throw new LifeboatError('ACCESS_DENIED', `No credentials are stored for ${host.name}.`, {
        fix: 'Edit the host and enter the user name and password again.',
      });
    const scheme = host.settings.scheme ?? 'https';
    this.http = new PinnedHttp({
      scheme,
      host: host.address,
      port: host.settings.port ?? (scheme === 'http' ? 80 : 443),
      thumbprint: host.settings.thumbprint,
    });
    const clientOptions: { relogin?: boolean; taskPollMs?: number } = {};
    if (options.relogin !== undefined) clientOptions.relogin = options.relogin;
    if (options.taskPollMs !== undefined) clientOptions.taskPollMs = options.taskPollMs;
    this.client = new VimClient(this.http, host.credentials, clientOptions);
  }

  async describe(): Promise<HostDescription> {
    const content = await this.client.connect();
    const description: HostDescription = { product: content.about.fullName, version: content.about.version };
    if (this.http.acceptedThumbprint) description.thumbprint = this.http.acceptedThumbprint;
    return description;
  }

  async listVms(): Promise<DiscoveredVm[]> {
    const objects = await this.client.inventory([VM_PROPERTIES, PORTGROUP_PROPERTIES]);
    const portgroups = portgroupNames(objects);
    return objects
      .filter((o) => o.obj.type === 'VirtualMachine')
      .map((o) => toDiscoveredVm(o, portgroups))
      .filter((vm): vm is DiscoveredVm => vm !== null);
  }

  /** The VM's managed object: external ids are instance UUIDs (stable across re-registration) or morefs. */
  async vmRef(vmId: string): Promise<MoRef> {
    if (/^vm-\d+$/.test(vmId)) return moRef('VirtualMachine', vmId);
    const content = await this.client.connect();
    if (!content.searchIndex) throw vmNotFound(this.host.name, vmId);
    const found = asMoRef(
      await this.client.call('FindByUuid', content.searchIndex, [
        ['uuid', vmId],
        ['vmSearch', true],
        ['instanceUuid', true],
      ]),
    );
    if (!found) throw vmNotFound(this.host.name, vmId);
    return found;
  }

  async createCheckpoint(vmId: string, options: CheckpointOptions): Promise<Checkpoint> {
    const vm = await this.vmRef(vmId);
    const props = await this.client.properties(vm, ['name', 'runtime.powerState']);
    const name = text(props.get('name')) ?? vmId;
    const poweredOff = text(props.get('runtime.powerState')) !== 'poweredOn';
    let kind: CheckpointKind = poweredOff ? 'powered-off' : 'app-consistent';
    let note: string | null = null;
    const description = 'Lifeboat recovery checkpoint; Lifeboat removes it when the copy is done.';
    const snapshot = async (quiesce: boolean): Promise<MoRef> => {
      const task = asMoRef(
        await this.client.call('CreateSnapshot_Task', vm, [
          ['name', options.name],
          ['description', description],
          ['memory', false],
          ['quiesce', quiesce],
        ]),
      );
      if (!task)
        throw checkpointFailed(
          name,
          'vSphere did not start a snapshot task',
          "Try again; if it repeats, look at the VM's tasks in the vSphere Client.",
        );
      return asMoRef(await this.client.waitForTask(task)) ?? moRef('VirtualMachineSnapshot', '');
    };

    let ref: MoRef;
    try {
      ref = await snapshot(!poweredOff && options.consistency !== 'crash');
      if (options.consistency === 'crash' && !poweredOff) {
        kind = 'crash-consistent';
        note = 'The policy asks for crash-consistent copies: the snapshot was not quiesced.';
      }
    } catch (error) {
      const reason = error instanceof LifeboatError ? error.message : String(error);
      if (poweredOff || options.consistency !== 'prefer') {
        throw checkpointFailed(
          name,
          `the quiesced snapshot failed (${reason})`,
          'Check that VMware Tools runs in the guest and that VSS writers are healthy, or let the policy fall back to crash-consistent copies.',
        );
      }
      try {
        ref = await snapshot(false);
      } catch (second) {
        throw checkpointFailed(
          name,
          `even a plain snapshot failed (${second instanceof Error ? second.message : String(second)})`,
          "Look at the VM's tasks in the vSphere Client (datastore space, snapshot chain too long).",
        );
      }
      kind = 'crash-consistent';
      note = `The quiesced snapshot failed (${reason}); Lifeboat took a crash-consistent one instead, as the policy allows.`;
    }
    if (!ref.value) throw checkpointFailed(name, 'the snapshot task returned no snapshot', "Look at the VM's tasks in the vSphere Client.");

    // The snapshot's own configuration names the frozen disk files (the VM now writes to new deltas).
    const snapConfig = await this.client.properties(ref, ['config.hardware.device']);
    const disks = parseDisks(snapConfig.get('config.hardware.device')).map((disk) => ({
      key: disk.key,
      path: disk.fileName,
      capacityBytes: disk.capacityBytes,
      changeId: disk.changeId,
    }));
    return { id: ref.value, vmId, name: options.name, kind, createdAt: new Date().toISOString(), note, disks };
  }

  async openCheckpointDisk(checkpoint: Checkpoint, diskKey: string): Promise<DiskReader> {
    const disk = checkpoint.disks.find((d) => d.key === diskKey);
    if (!disk)
      throw new LifeboatError('NOT_FOUND', `The checkpoint of ${checkpoint.vmId} has no disk ${diskKey}.`, {
        fix: "Run discovery again; the VM's disks changed.",
      });
    await this.client.connect();
    return openDisk(disk.path, this.resolver());
  }

  resolver() {
    return datastoreResolver(
      this.http,
      () => this.client.sessionCookie,
      (dsName) => this.locate(dsName),
    );
  }

  /** Which datacenter holds a datastore: /folder needs the datacenter's inventory path. */
  async locate(dsName: string): Promise<DatastoreLocation> {
    if (!this.locations) {
      const objects = await this.client.inventory([
        { type: 'Datacenter', paths: ['name', 'parent', 'datastore'] },
        { type: 'Folder', paths: ['name', 'parent'] },
        { type: 'Datastore', paths: ['name'] },
      ]);
      const byRef = new Map(objects.map((o) => [`${o.obj.type}:${o.obj.value}`, o]));
      const root = this.client.serviceContent.rootFolder.value;
      const locations = new Map<string, DatastoreLocation>();
      for (const dc of objects.filter((o) => o.obj.type === 'Datacenter')) {
        const names = [text(dc.props.get('name')) ?? dc.obj.value];
        let parent = asMoRef(dc.props.get('parent'));
        while (parent && parent.value !== root) {
          const folder = byRef.get(`${parent.type}:${parent.value}`);
          if (!folder) break;
          names.unshift(text(folder.props.get('name')) ?? parent.value);
          parent = asMoRef(folder.props.get('parent'));
        }
        const dcPath = names.join('/');
        for (const ds of childrenRefs(dc.props.get('datastore'))) {
          const dsObject = byRef.get(`Datastore:${ds.value}`);
          const name = text(dsObject?.props.get('name'));
          if (name && !locations.has(name)) locations.set(name, { dcPath, dsName: name });
        }
      }
      this.locations = locations;
    }
    const location = this.locations.get(dsName);
    if (!location)
      throw new LifeboatError('NOT_FOUND', `No datacenter on ${this.host.name} has a datastore called ${dsName}.`, {
        fix: 'Run discovery again; the datastore may have been renamed or unmounted.',
      });
    return location;
  }

  async changedAreas(checkpoint: Checkpoint, diskKey: string, sinceChangeId: string): Promise<ChangedAreas> {
    const disk = checkpoint.disks.find((d) => d.key === diskKey);
    if (!disk || disk.capacityBytes === null || !disk.changeId)
      return fullRead('Changed Block Tracking is off for this disk (turn on ctkEnabled in the VM options).');
    const vm = await this.vmRef(checkpoint.vmId);
    const extents = await queryChangedAreas(
      this.client,
      vm,
      moRef('VirtualMachineSnapshot', checkpoint.id),
      Number(diskKey),
      disk.capacityBytes,
      sinceChangeId,
    );
    return extents
      ? { kind: 'changes', extents }
      : fullRead('vSphere no longer knows the change id of the last copy (Changed Block Tracking was reset).');
  }

  async releaseCheckpoint(checkpoint: Checkpoint): Promise<void> {
    try {
      const task = asMoRef(
        await this.client.call('RemoveSnapshot_Task', moRef('VirtualMachineSnapshot', checkpoint.id), [
          ['removeChildren', false],
          ['consolidate', true],
        ]),
      );
      if (task) await this.client.waitForTask(task);
    } catch (error) {
      if (error instanceof VimFault && error.faultType === 'ManagedObjectNotFound') return; // already gone
      throw error;
    }
  }

  /**
   * Creates a powered-off VM on restored disks that are already on a datastore, with no network adapter at
   * all. `location` is the datastore folder for its files ("[ds] folder"); default: the first disk's folder.
   */
  async createIsolatedVm(spec: IsolatedVmSpec): Promise<IsolatedVm> {
    const firstDisk = spec.disks[0] ? parseDatastorePath(spec.disks[0]) : null;
    if (!firstDisk)
      throw new LifeboatError('INVALID_INPUT', 'A vSphere drill VM needs its disks on a datastore ("[datastore] folder/disk.vmdk").', {
        field: 'disks',
        fix: 'Upload the restored disks to a datastore first.',
      });
    const placement = await this.placementFor(firstDisk.datastore);
    const devices: Fields[] = [
      [
        ['operation', 'add'],
        [
          'device',
          new Typed('VirtualLsiLogicSASController', [
            ['key', -100],
            ['busNumber', 0],
            ['sharedBus', 'noSharing'],
          ]),
        ],
      ],
      ...spec.disks.map((file, index): Fields => [
        ['operation', 'add'],
        [
          'device',
          new Typed('VirtualDisk', [
            ['key', -101 - index],
            [
              'backing',
              new Typed('VirtualDiskFlatVer2BackingInfo', [
                ['fileName', file],
                ['diskMode', 'persistent'],
              ]),
            ],
            ['controllerKey', -100],
            ['unitNumber', index],
            ['capacityInKB', 0],
          ]),
        ],
      ]),
      ...(spec.networks ?? []).map((network, index): Fields => [
        ['operation', 'add'],
        [
          'device',
          new Typed('VirtualE1000', [
            ['key', -200 - index],
            ['backing', new Typed('VirtualEthernetCardNetworkBackingInfo', [['deviceName', network]])],
            [
              'connectable',
              [
                ['startConnected', true],
                ['allowGuestControl', true],
                ['connected', true],
              ],
            ],
            ['addressType', 'generated'],
          ]),
        ],
      ]),
    ];
    const config: Fields = [
      ['name', spec.name],
      ['guestId', spec.guestOs ?? 'otherGuest64'],
      [
        'annotation',
        spec.networks
          ? `${ISOLATED_VM_MARKER}: started by a Lifeboat failover; failback removes it.`
          : `${ISOLATED_VM_MARKER}: created by Lifeboat for a drill; Lifeboat deletes it afterwards.`,
      ],
      ['files', [['vmPathName', spec.location ?? `[${firstDisk.datastore}]`]]],
      ['numCPUs', spec.cpus],
      ['memoryMB', spec.memoryMiB],
      ['deviceChange', new Many(devices)],
      ['firmware', spec.firmware === 'uefi' ? 'efi' : 'bios'],
    ];
    const task = asMoRef(
      await this.client.call('CreateVM_Task', placement.vmFolder, [
        ['config', config],
        ['pool', placement.pool],
      ]),
    );
    if (!task)
      throw new LifeboatError('PROVIDER_OUTPUT_INVALID', 'CreateVM_Task started no task.', {
        fix: 'Look at the tasks in the vSphere Client.',
      });
    const vm = asMoRef(await this.client.waitForTask(task));
    if (!vm)
      throw new LifeboatError('PROVIDER_OUTPUT_INVALID', 'CreateVM_Task returned no VM.', {
        fix: 'Look at the tasks in the vSphere Client.',
      });
    const props = await this.client.properties(vm, ['config.instanceUuid', 'summary.config.vmPathName']);
    return {
      vmId: text(props.get('config.instanceUuid')) || vm.value,
      name: spec.name,
      configPath: text(props.get('summary.config.vmPathName')) ?? null,
    };
  }

  /** Registers an existing .vmx (e.g. restored with its disks) and disconnects every network adapter. */
  async registerIsolatedVm(vmxPath: string, name: string): Promise<IsolatedVm> {
    const ds = parseDatastorePath(vmxPath);
    if (!ds) throw new LifeboatError('INVALID_INPUT', `${vmxPath} is not a datastore path.`, { fix: 'Use "[datastore] folder/vm.vmx".' });
    const placement = await this.placementFor(ds.datastore);
    const task = asMoRef(
      await this.client.call('RegisterVM_Task', placement.vmFolder, [
        ['path', vmxPath],
        ['name', name],
        ['asTemplate', false],
        ['pool', placement.pool],
      ]),
    );
    const vm = task ? asMoRef(await this.client.waitForTask(task)) : undefined;
    if (!vm)
      throw new LifeboatError('PROVIDER_OUTPUT_INVALID', 'RegisterVM_Task returned no VM.', {
        fix: 'Look at the tasks in the vSphere Client.',
      });
    await this.client
      .call('ReconfigVM_Task', vm, [['spec', [['annotation', `${ISOLATED_VM_MARKER}: registered by Lifeboat for a drill.`]]]])
      .then((t) => (asMoRef(t) ? this.client.waitForTask(asMoRef(t)!) : undefined));
    await this.disconnectNics(vm.value);
    return { vmId: vm.value, name, configPath: vmxPath };
  }

  /** Every network adapter of the VM: not connected, and not connecting at power-on. */
  async disconnectNics(vmId: string): Promise<number> {
    const vm = await this.vmRef(vmId);
    const props = await this.client.properties(vm, ['config.hardware.device']);
    const nics = nicDevices(props.get('config.hardware.device'));
    if (nics.length === 0) return 0;
    // Send each adapter as vSphere described it, with only its connection state replaced.
    const changes = nics.map((nic): Fields => [
      ['operation', 'edit'],
      [
        'device',
        toXmlValue(nic.node, {
          connectable: [
            ['startConnected', false],
            ['allowGuestControl', false],
            ['connected', false],
          ],
        }),
      ],
    ]);
    const task = asMoRef(await this.client.call('ReconfigVM_Task', vm, [['spec', [['deviceChange', new Many(changes)]]]]));
    if (task) await this.client.waitForTask(task);
    return nics.length;
  }

  private async placementFor(dsName: string): Promise<{ vmFolder: MoRef; pool: MoRef }> {
    const objects = await this.client.inventory([
      { type: 'Datacenter', paths: ['vmFolder', 'datastore'] },
      { type: 'ComputeResource', paths: ['resourcePool', 'datastore'] },
      { type: 'Datastore', paths: ['name'] },
    ]);
    const ds = objects.find((o) => o.obj.type === 'Datastore' && text(o.props.get('name')) === dsName);
    if (!ds)
      throw new LifeboatError('NOT_FOUND', `There is no datastore ${dsName} on ${this.host.name}.`, {
        fix: 'Choose a datastore that exists.',
      });
    const has = (node: ReturnType<typeof first>): boolean => childrenRefs(node).some((ref) => ref.value === ds.obj.value);
    const dc = objects.find((o) => o.obj.type === 'Datacenter' && has(o.props.get('datastore')));
    const compute = objects.find((o) => o.obj.type !== 'Datacenter' && o.obj.type !== 'Datastore' && has(o.props.get('datastore')));
    const vmFolder = asMoRef(dc?.props.get('vmFolder'));
    const pool = asMoRef(compute?.props.get('resourcePool'));
    if (!vmFolder || !pool)
      throw new LifeboatError('NOT_FOUND', `No host on ${this.host.name} can run a VM from datastore ${dsName}.`, {
        fix: 'Mount the datastore on a host, or choose another datastore.',
      });
    return { vmFolder, pool };
  }

  async powerOn(vmId: string): Promise<void> {
    const vm = await this.vmRef(vmId);
    const task = asMoRef(await this.client.call('PowerOnVM_Task', vm));
    if (task) await this.client.waitForTask(task);
  }

  async powerOff(vmId: string, options: { hard?: boolean } = {}): Promise<void> {
    const vm = await this.vmRef(vmId);
    if (!options.hard) {
      try {
        await this.client.call('ShutdownGuest', vm);
        return;
      } catch (error) {
        if (!(error instanceof VimFault) || !/ToolsUnavailable|InvalidState/.test(error.faultType)) throw error;
        throw new LifeboatError('CONFLICT', `The guest of ${vmId} cannot shut itself down: VMware Tools is not running.`, {
          fix: 'Turn it off instead (hard power-off).',
        });
      }
    }
    const task = asMoRef(await this.client.call('PowerOffVM_Task', vm));
    if (task) await this.client.waitForTask(task);
  }

  async heartbeat(vmId: string): Promise<GuestHeartbeat> {
    const vm = await this.vmRef(vmId);
    const props = await this.client.properties(vm, ['guestHeartbeatStatus', 'guest.toolsStatus', 'runtime.powerState']);
    const power = text(props.get('runtime.powerState')) === 'poweredOn' ? 'running' : 'off';
    return heartbeatOf(text(props.get('guestHeartbeatStatus')), text(props.get('guest.toolsStatus')), power);
  }

  /** VMware Tools as evidence: the heartbeat status vCenter/ESXi computes from Tools, and whether Tools runs. */
  async heartbeatEvidence(vmId: string): Promise<HeartbeatReading> {
    const vm = await this.vmRef(vmId);
    const props = await this.client.properties(vm, [
      'guestHeartbeatStatus',
      'guest.toolsStatus',
      'guest.toolsRunningStatus',
      'runtime.powerState',
    ]);
    const powerState = text(props.get('runtime.powerState')) ?? 'unknown';
    const heartbeat = text(props.get('guestHeartbeatStatus')) ?? 'none';
    const tools = text(props.get('guest.toolsStatus')) ?? 'unknown';
    const running = text(props.get('guest.toolsRunningStatus')) ?? 'unknown';
    return {
      state: heartbeatOf(heartbeat, tools, powerState === 'poweredOn' ? 'running' : 'off'),
      hostSaid: `${this.host.name}: ${powerState}, guestHeartbeatStatus ${heartbeat}, VMware Tools ${tools} (${running})`,
    };
  }

  /**
   * Copies a local file (a restored disk) to `[datastore] path` over /folder, streaming it. Drills stage their
   * restored disks this way before registering the isolated VM.
   */
  async uploadFile(localFile: string, datastorePath: string): Promise<void> {
    const target = parseDatastorePath(datastorePath);
    if (!target)
      throw new LifeboatError('INVALID_INPUT', `"${datastorePath}" is not a datastore path like "[datastore1] folder/disk.vmdk".`);
    await this.client.connect();
    const location = await this.locate(target.datastore);
    const size = (await fs.promises.stat(localFile)).size;
    const response = await this.http.upload(
      'PUT',
      folderUrl(location, target.path),
      { cookie: this.client.sessionCookie ?? '', 'content-type': 'application/octet-stream' },
      fs.createReadStream(localFile),
      size,
    );
    if (response.status !== 200 && response.status !== 201) {
      throw new LifeboatError(
        'HOST_UNREACHABLE',
        `${this.host.name} refused the upload of ${path.basename(localFile)} to ${datastorePath} (HTTP ${response.status}).`,
        {
          fix: 'Check that the account may write to the datastore (Datastore.FileManagement) and that it has free space.',
        },
      );
    }
  }

  /** Deletes a file or folder on a datastore (FileManager.DeleteDatastoreFile_Task); a missing one is fine. */
  async deleteDatastorePath(datastorePath: string): Promise<void> {
    await this.client.connect(); // a fresh connection (failback in a later process) has no session yet
    const fileManager = this.client.serviceContent.fileManager;
    if (!fileManager) return;
    const target = parseDatastorePath(datastorePath);
    const datacenter = target ? await this.datacenterOf(target.datastore) : null;
    try {
      const task = asMoRef(
        await this.client.call('DeleteDatastoreFile_Task', fileManager, [
          ['name', datastorePath],
          ...(datacenter ? ([['datacenter', datacenter]] as Fields) : []),
        ]),
      );
      if (task) await this.client.waitForTask(task);
    } catch (error) {
      if (error instanceof LifeboatError && /not found|FileNotFound/i.test(error.message)) return;
      throw error;
    }
  }

  private async datacenterOf(dsName: string): Promise<MoRef | null> {
    const objects = await this.client.inventory([
      { type: 'Datacenter', paths: ['datastore'] },
      { type: 'Datastore', paths: ['name'] },
    ]);
    const datastore = objects.find((o) => o.obj.type === 'Datastore' && text(o.props.get('name')) === dsName);
    if (!datastore) return null;
    return (
      objects.find(
        (o) => o.obj.type === 'Datacenter' && childrenRefs(o.props.get('datastore')).some((ref) => ref.value === datastore.obj.value),
      )?.obj ?? null
    );
  }

  async removeVm(vmId: string): Promise<void> {
    let vm: MoRef;
    try {
      vm = await this.vmRef(vmId);
    } catch (error) {
      if (error instanceof LifeboatError && error.code === 'VM_NOT_FOUND') return;
      throw error;
    }
    const props = await this.client.properties(vm, ['config.annotation', 'runtime.powerState', 'name']);
    if (!(text(props.get('config.annotation')) ?? '').includes(ISOLATED_VM_MARKER))
      throw notLifeboatVm(this.host.name, text(props.get('name')) ?? vmId);
    if (text(props.get('runtime.powerState')) === 'poweredOn') {
      const off = asMoRef(await this.client.call('PowerOffVM_Task', vm));
      if (off) await this.client.waitForTask(off);
    }
    const task = asMoRef(await this.client.call('Destroy_Task', vm));
    if (task) await this.client.waitForTask(task);
  }

  async close(): Promise<void> {
    await this.client.logout();
    this.http.close();
  }
}

function childrenRefs(node: ReturnType<typeof first>): MoRef[] {
  if (node === undefined || typeof node === 'string') return [];
  const refs = node.ManagedObjectReference;
  const list = refs === undefined ? [] : Array.isArray(refs) ? refs : [refs];
  return list.map((r) => asMoRef(r as never)).filter((r): r is MoRef => r !== undefined);
}
