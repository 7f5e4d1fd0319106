import type https from 'node:https';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { AnonymousCredential, BlobClient } from '@azure/storage-blob';
import type { AzureSiteSettings } from '../../contract/hosts';
import type { AzureDiskOptions, AzureQuota, AzureSiteOps, AzureUploadedDisk, AzureVmSpec } from '../types';
import { arm } from './arm-errors';
import { uploadNonZeroPages } from './page-upload';

/** The tag every resource Lifeboat makes carries: the set it belongs to (removed as a whole). */
export const SET_TAG = 'lifeboat-set';

export interface AzureSiteOptions {
  settings: AzureSiteSettings;
  credential: TokenCredential;
  /** Trusts another CA (the test simulator). */
  agent?: https.Agent;
  /** Milliseconds between polls of a long-running operation (the SDK's default is 2 s; the simulator answers at once). */
  pollMs?: number;
}

type Kind = 'vm' | 'nic' | 'disk' | 'vnet' | 'nsg' | 'other';
const DELETE_ORDER: Kind[] = ['vm', 'nic', 'disk', 'vnet', 'nsg', 'other'];

function kindOf(type: string | undefined): Kind {
  switch ((type ?? '').toLowerCase()) {
    case 'microsoft.compute/virtualmachines':
      return 'vm';
    case 'microsoft.network/networkinterfaces':
      return 'nic';
    case 'microsoft.compute/disks':
      return 'disk';
    case 'microsoft.network/virtualnetworks':
      return 'vnet';
    case 'microsoft.network/networksecuritygroups':
      return 'nsg';
    default:
      return 'other';
  }
}

/** Resource names from a set id: Azure allows 1–80 characters of letters, digits, `-`, `_` and `.`. */
const resourceName = (setId: string, suffix: string): string => `lb-${setId}`.slice(0, 70) + `-${suffix}`;

/**
 * The resources of one Azure recovery site (a resource group in a region), through the official SDKs:
 * @azure/arm-compute 25.1.1, @azure/arm-network 39.0.0 and @azure/arm-resources 8.0.0 (their own api-versions).
 */
export class AzureSite implements AzureSiteOps {
  readonly location: string;
  readonly resourceGroup: string;
  private readonly compute: ComputeManagementClient;
  private readonly network: NetworkManagementClient;
  private readonly resources: ResourceManagementClient;
  private readonly poll: { updateIntervalInMs?: number };
  private readonly where: { resourceGroup: string; location: string };

  constructor(private readonly options: AzureSiteOptions) {
    const { settings } = options;
    this.location = settings.location;
    this.resourceGroup = settings.resourceGroup;
    this.where = { resourceGroup: settings.resourceGroup, location: settings.location };
    const clientOptions = {
      endpoint: settings.armEndpoint,
      credentials: { scopes: [`${settings.armEndpoint}/.default`] },
      ...(options.agent ? { agent: options.agent } : {}),
      // Throttling (429) waits Retry-After whatever these say; they bound the retries of 5xx answers.
      retryOptions: { maxRetries: 4 },
    };
    this.compute = new ComputeManagementClient(options.credential, settings.subscriptionId, clientOptions);
    this.network = new NetworkManagementClient(options.credential, settings.subscriptionId, clientOptions);
    this.resources = new ResourceManagementClient(options.credential, settings.subscriptionId, clientOptions);
    this.poll = options.pollMs !== undefined ? { updateIntervalInMs: options.pollMs } : {};
  }

  /** The resource group, read: proves the token, the subscription and the role in one call. */
  async resourceGroupLocation(): Promise<string> {
    const group = await arm(`reading resource group ${this.resourceGroup}`, this.where, () =>
      this.resources.resourceGroups.get(this.resourceGroup),
    );
    return group.location;
  }

  async quota(): Promise<AzureQuota> {
    return arm(`reading the vCPU quota of ${this.location}`, this.where, async () => {
      const quota: AzureQuota = { cores: { used: 0, limit: 0 }, families: {} };
      for await (const usage of this.compute.usage.list(this.location)) {
        const entry = { used: usage.currentValue, limit: usage.limit };
        if (usage.name.value === 'cores') quota.cores = entry;
        else if (usage.name.value) quota.families[usage.name.value] = entry;
      }
      return quota;
    });
  }

  async createIsolatedNetwork(setId: string, signal?: AbortSignal): Promise<{ subnetId: string; description: string }> {
    const tags = { [SET_TAG]: setId };
    const nsgName = resourceName(setId, 'nsg');
    const vnetName = resourceName(setId, 'vnet');
    const deny = (name: string, direction: 'Inbound' | 'Outbound', priority: number, destination: string) => ({
      name,
      protocol: '*' as const,
      access: 'Deny' as const,
      direction,
      priority,
      sourceAddressPrefix: '*',
      sourcePortRange: '*',
      destinationAddressPrefix: destination,
      destinationPortRange: '*',
    });
    const nsg = await arm(`creating the isolation rules ${nsgName}`, this.where, () =>
      this.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
        this.resourceGroup,
        nsgName,
        {
          location: this.location,
          tags,
          // Above Azure's defaults (65000+): nothing comes in, nothing goes out to the Internet. Run Command and boot
          // diagnostics use the platform's own channel (168.63.129.16), which NSGs do not filter.
          securityRules: [
            deny('lifeboat-deny-all-inbound', 'Inbound', 100, '*'),
            deny('lifeboat-deny-internet-outbound', 'Outbound', 100, 'Internet'),
          ],
        },
        { ...this.poll, abortSignal: signal },
      ),
    );
    const vnet = await arm(`creating the isolated network ${vnetName}`, this.where, () =>
      this.network.virtualNetworks.beginCreateOrUpdateAndWait(
        this.resourceGroup,
        vnetName,
        {
          location: this.location,
          tags,
          // A network of its own, peered with nothing and with no gateway: it has no route to production.
          addressSpace: { addressPrefixes: ['10.250.0.0/16'] },
          subnets: [{ name: 'drill', addressPrefix: '10.250.1.0/24', networkSecurityGroup: { id: nsg.id } }],
        },
        { ...this.poll, abortSignal: signal },
      ),
    );
    const subnetId = vnet.subnets?.[0]?.id;
    if (!subnetId) throw new Error(`Azure created ${vnetName} without its subnet`);
    return {
      subnetId,
      description: `isolated Azure network ${vnetName} (10.250.0.0/16, not peered, no gateway; NSG ${nsgName} denies all inbound and outbound Internet)`,
    };
  }

  async uploadDisk(setId: string, name: string, vhdFile: string, options: AzureDiskOptions): Promise<AzureUploadedDisk> {
    const fileBytes = (await import('node:fs')).statSync(vhdFile).size;
    const diskName = resourceName(setId, name);
    const poll = { ...this.poll, abortSignal: options.signal };
    const disk = await arm(`creating managed disk ${diskName}`, this.where, () =>
      this.compute.disks.beginCreateOrUpdateAndWait(
        this.resourceGroup,
        diskName,
        {
          location: this.location,
          tags: { [SET_TAG]: setId },
          osType: options.osType,
          hyperVGeneration: options.generation,
          sku: { name: 'StandardSSD_LRS' },
          creationData: { createOption: 'Upload', uploadSizeBytes: fileBytes },
        },
        poll,
      ),
    );
    const access = await arm(`opening managed disk ${diskName} for upload`, this.where, () =>
      this.compute.disks.beginGrantAccessAndWait(this.resourceGroup, diskName, { access: 'Write', durationInSeconds: 86_400 }, poll),
    );
    try {
      const sent = await uploadNonZeroPages(vhdFile, access.accessSAS ?? '', {
        parallel: 8,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      return { id: disk.id ?? '', name: diskName, ranges: sent.ranges, bytesSent: sent.bytesSent, fileBytes };
    } finally {
      // A disk left open for upload cannot be attached (or deleted); close it even when the upload failed.
      await arm(`closing managed disk ${diskName} after upload`, this.where, () =>
        this.compute.disks.beginRevokeAccessAndWait(this.resourceGroup, diskName, this.poll),
      );
    }
  }

  async createVm(setId: string, spec: AzureVmSpec, signal?: AbortSignal): Promise<{ id: string; name: string }> {
    const tags = { [SET_TAG]: setId };
    const nicName = resourceName(setId, 'nic');
    const poll = { ...this.poll, abortSignal: signal };
    const nic = await arm(`creating the network adapter of ${spec.name}`, this.where, () =>
      this.network.networkInterfaces.beginCreateOrUpdateAndWait(
        this.resourceGroup,
        nicName,
        { location: this.location, tags, ipConfigurations: [{ name: 'ipconfig1', subnet: { id: spec.subnetId } }] },
        poll,
      ),
    );
    const vm = await arm(`creating VM ${spec.name} (${spec.size})`, this.where, () =>
      this.compute.virtualMachines.beginCreateOrUpdateAndWait(
        this.resourceGroup,
        spec.name,
        {
          location: this.location,
          tags,
          hardwareProfile: { vmSize: spec.size },
          storageProfile: { osDisk: { createOption: 'Attach', osType: spec.osType, managedDisk: { id: spec.osDiskId } } },
          networkProfile: { networkInterfaces: [{ id: nic.id ?? '', primary: true }] },
          // Managed boot diagnostics: Azure keeps the serial log and screenshot, no storage account needed.
          diagnosticsProfile: { bootDiagnostics: { enabled: true } },
        },
        poll,
      ),
    );
    return { id: vm.id ?? '', name: spec.name };
  }

  async powerState(vmName: string): Promise<string> {
    const view = await arm(`reading the state of ${vmName}`, this.where, () =>
      this.compute.virtualMachines.instanceView(this.resourceGroup, vmName),
    );
    const code = view.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
    return code ? code.slice('PowerState/'.length) : 'unknown';
  }

  async bootDiagnostics(vmName: string): Promise<{ serialLog: string | null; screenshotPng: Buffer | null }> {
    const data = await arm(`reading the boot diagnostics of ${vmName}`, this.where, () =>
      this.compute.virtualMachines.retrieveBootDiagnosticsData(this.resourceGroup, vmName, { sasUriExpirationTimeInMinutes: 10 }),
    );
    const read = async (url: string | undefined): Promise<Buffer | null> => {
      if (!url) return null;
      try {
        return await new BlobClient(url, new AnonymousCredential()).downloadToBuffer();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return null; // not written yet
        throw error;
      }
    };
    const [serial, screenshot] = await Promise.all([read(data.serialConsoleLogBlobUri), read(data.consoleScreenshotBlobUri)]);
    return { serialLog: serial ? serial.toString('utf8') : null, screenshotPng: screenshot };
  }

  async runCommand(
    vmName: string,
    os: 'Linux' | 'Windows',
    script: string[],
    signal?: AbortSignal,
  ): Promise<{ stdout: string; stderr: string }> {
    const result = await arm(`running a check in ${vmName}`, this.where, () =>
      this.compute.virtualMachines.beginRunCommandAndWait(
        this.resourceGroup,
        vmName,
        { commandId: os === 'Windows' ? 'RunPowerShellScript' : 'RunShellScript', script },
        { ...this.poll, abortSignal: signal },
      ),
    );
    return parseRunCommand(result.value?.map((s) => s.message ?? '').join('\n') ?? '');
  }

  async powerOff(vmName: string): Promise<void> {
    await arm(`turning off ${vmName}`, this.where, () =>
      this.compute.virtualMachines.beginPowerOffAndWait(this.resourceGroup, vmName, { ...this.poll, skipShutdown: true }),
    );
  }

  async listSet(setId: string): Promise<string[]> {
    return (await this.setMembers(setId)).map((r) => r.id);
  }

  async removeSet(setId: string): Promise<string[]> {
    const members = await this.setMembers(setId);
    for (const kind of DELETE_ORDER) {
      // Within a kind the deletes are independent; across kinds the order matters (a NIC in use by a VM cannot go).
      await Promise.all(members.filter((m) => m.kind === kind).map((m) => this.deleteOne(m)));
    }
    return this.listSet(setId);
  }

  private async setMembers(setId: string): Promise<{ id: string; name: string; kind: Kind }[]> {
    return arm(`listing resource group ${this.resourceGroup}`, this.where, async () => {
      const found: { id: string; name: string; kind: Kind }[] = [];
      for await (const resource of this.resources.resources.listByResourceGroup(this.resourceGroup)) {
        if (resource.tags?.[SET_TAG] === setId && resource.id && resource.name)
          found.push({ id: resource.id, name: resource.name, kind: kindOf(resource.type) });
      }
      return found;
    });
  }

  private async deleteOne(member: { id: string; name: string; kind: Kind }): Promise<void> {
    const rg = this.resourceGroup;
    const poll = this.poll;
    await arm(`deleting ${member.name}`, this.where, async () => {
      switch (member.kind) {
        case 'vm':
          return void (await this.compute.virtualMachines.beginDeleteAndWait(rg, member.name, { ...poll, forceDeletion: true }));
        case 'nic':
          return void (await this.network.networkInterfaces.beginDeleteAndWait(rg, member.name, poll));
        case 'disk':
          return void (await this.compute.disks.beginDeleteAndWait(rg, member.name, poll));
        case 'vnet':
          return void (await this.network.virtualNetworks.beginDeleteAndWait(rg, member.name, poll));
        case 'nsg':
          return void (await this.network.networkSecurityGroups.beginDeleteAndWait(rg, member.name, poll));
        default:
          // A tagged resource of a kind Lifeboat does not make: someone else's; left, and reported by listSet.
          return;
      }
    });
  }
}

/** Run Command's message: "Enable succeeded: \n[stdout]\n…\n[stderr]\n…\n" (the Linux and Windows agents both). */
export function parseRunCommand(message: string): { stdout: string; stderr: string } {
  const out = /\[stdout\]\n([\s\S]*?)(?:\n\[stderr\]\n|$)/.exec(message);
  const err = /\[stderr\]\n([\s\S]*)$/.exec(message);
  return { stdout: (out?.[1] ?? '').trim(), stderr: (err?.[1] ?? '').trim() };
}
