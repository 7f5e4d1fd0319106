import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
  type PageBlobClient,
} from '@azure/storage-blob';
import type { Azurite } from '../azurite';
import { ArmError, type Operations, resourceId } from './core';

/** One resource in the simulated resource group. */
export interface Stored {
  id: string;
  name: string;
  type: string;
  tags?: Record<string, string>;
  /** The resource as GET answers it. */
  json(): Record<string, unknown>;
}

export interface VmHooks {
  onStart?: (vm: { id: string; name: string; osDiskBlobUrl: string }) => Promise<void>;
  onRunCommand?: (vmName: string, script: string[]) => Promise<{ stdout: string; stderr: string }>;
  onStop?: (vm: { id: string; name: string }) => Promise<void>;
  onBootDiagnostics?: (vmName: string) => Promise<{ screenshotPng?: Buffer; serialLog?: string } | null>;
}

/** Azurite, where managed disks, snapshots and boot diagnostics live as blobs. */
export class Storage {
  readonly disks: ContainerClient;
  readonly diagnostics: ContainerClient;
  private readonly key: StorageSharedKeyCredential;

  constructor(azurite: Azurite) {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const account = /AccountName=([^;]+)/.exec(azurite.connectionString)?.[1] ?? '';
    const key = /AccountKey=([^;]+)/.exec(azurite.connectionString)?.[1] ?? '';
    this.key = new StorageSharedKeyCredential(account, key);
    this.disks = service.getContainerClient('sim-disks');
    this.diagnostics = service.getContainerClient('sim-bootdiagnostics');
  }

  async init(): Promise<void> {
    await this.disks.createIfNotExists();
    await this.diagnostics.createIfNotExists();
  }

  /** A SAS URL for one blob, signed with the account key as the real service signs its access SAS. */
  sas(container: ContainerClient, blobName: string, permissions: string, seconds: number): string {
    const blob = container.getBlobClient(blobName);
    const query = generateBlobSASQueryParameters(
      {
        containerName: container.containerName,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + seconds * 1000),
      },
      this.key,
    );
    return `${blob.url}?${query.toString()}`;
  }

  /** Copies a page blob's written ranges into a new page blob of the same size (sparse stays sparse). */
  async copyPageBlob(source: PageBlobClient, target: PageBlobClient): Promise<number> {
    const { contentLength } = await source.getProperties();
    const size = contentLength ?? 0;
    await target.create(size);
    for await (const page of source.listPageRanges().byPage({ maxPageSize: 1000 })) {
      for (const range of page.pageRange ?? []) {
        const length = range.end - range.start + 1;
        for (let offset = range.start; offset < range.start + length; offset += 4 * 1024 * 1024) {
          const count = Math.min(4 * 1024 * 1024, range.start + length - offset);
          const data = await source.downloadToBuffer(offset, count);
          await target.uploadPages(data, offset, count);
        }
      }
    }
    return size;
  }
}

export interface Disk extends Stored {
  kind: 'disk';
  blobName: string;
  sizeBytes: number;
  uploadSizeBytes?: number;
  createOption: string;
  sourceResourceId?: string;
  diskState: 'ReadyToUpload' | 'ActiveUpload' | 'Unattached' | 'ActiveSAS' | 'Attached' | 'Reserved' | 'ActiveSASFrozen';
  osType?: string;
  hyperVGeneration?: string;
  managedBy?: string;
  sku: string;
  location: string;
  timeCreated: string;
  uniqueId: string;
  provisioningState: string;
}

export interface Snapshot extends Stored {
  kind: 'snapshot';
  blobName: string;
  sizeBytes: number;
  sourceResourceId: string;
  incremental: boolean;
  location: string;
  osType?: string;
  timeCreated: string;
  uniqueId: string;
  access: 'None' | 'Read';
  provisioningState: string;
}

export interface Vm extends Stored {
  kind: 'vm';
  location: string;
  vmSize: string;
  vcpus: number;
  osDiskId: string;
  osType: string;
  nicIds: string[];
  bootDiagnostics: boolean;
  power: 'running' | 'stopped' | 'deallocated' | 'starting' | 'stopping' | 'deallocating';
  provisioningState: string;
  vmId: string;
  timeCreated: string;
}

export interface Network extends Stored {
  kind: 'virtualNetwork' | 'networkSecurityGroup' | 'networkInterface';
  location: string;
  properties: Record<string, unknown>;
  /** NIC: the VM using it. */
  virtualMachine?: string;
}

export type AnyResource = Disk | Snapshot | Vm | Network;
type ByKind<K> = K extends 'disk' ? Disk : K extends 'snapshot' ? Snapshot : K extends 'vm' ? Vm : Network;

export class SimState {
  /** Keyed by the lowercase resource id (ARM ids are case-insensitive). */
  readonly resources = new Map<string, AnyResource>();
  vcpuQuota: number;
  usedVcpus: number;

  constructor(
    readonly subscriptionId: string,
    readonly resourceGroup: string,
    readonly location: string,
    readonly base: () => string,
    readonly operations: Operations,
    readonly storage: Storage,
    readonly hooks: VmHooks,
    options: { vcpuQuota?: number; usedVcpus?: number },
  ) {
    this.vcpuQuota = options.vcpuQuota ?? 10;
    this.usedVcpus = options.usedVcpus ?? 0;
  }

  id(type: string, name: string): string {
    return resourceId(this.subscriptionId, this.resourceGroup, type, name);
  }

  get<K extends AnyResource['kind']>(kind: K, id: string): ByKind<K> | undefined {
    const found = this.resources.get(id.toLowerCase());
    return found && found.kind === kind ? (found as ByKind<K>) : undefined;
  }

  put(resource: AnyResource): void {
    this.resources.set(resource.id.toLowerCase(), resource);
  }

  remove(id: string): void {
    this.resources.delete(id.toLowerCase());
  }

  /** vCPUs counted against the regional quota: what the options say is used, plus every allocated VM. */
  vcpusInUse(): number {
    let used = this.usedVcpus;
    for (const resource of this.resources.values()) {
      if (resource.kind === 'vm' && resource.power !== 'deallocated') used += resource.vcpus;
    }
    return used;
  }

  /** A resource id in this simulator's subscription and resource group, or a 400 naming the property. */
  ownId(id: string, property: string): string {
    const prefix = `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/`.toLowerCase();
    if (!id.toLowerCase().startsWith(prefix)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value '${id}' of parameter '${property}' is not a resource id in resource group '${this.resourceGroup}'.`,
        property,
      );
    }
    return id;
  }
}
