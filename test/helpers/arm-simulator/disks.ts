import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ArmError, notFound, parseBody, type Request, send } from './core';
import type { Disk, SimState, Snapshot } from './state';

/**
 * Managed disks and snapshots (Microsoft.Compute/disks, Microsoft.Compute/snapshots).
 *
 * api-version 2026-03-02, what @azure/arm-compute 25.1.1 sends for DiskRP (dist/commonjs/api/disks/operations.js).
 * Shapes from the published DiskRP spec: specification/compute/resource-manager/Microsoft.Compute/DiskRP/stable/
 * 2025-01-02/disk.json and snapshot in DiskRP.json, with the examples Disk_Create_UploadDisk.json (202, then 200;
 * uploadSizeBytes 10737418752 = 10 GiB + the 512-byte VHD footer), Disk_BeginGetAccess.json (202 + Location
 * "...operations/{id}?monitor=true", result { accessSAS }), Disk_EndGetAccess.json, Disk_Delete.json
 * (202/204). The 2026-03-02 spec folder was not in the index searched; the routes use only properties present
 * in 2025-01-02 as well.
 */
export const DISK_API_VERSION = '2026-03-02';
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Upload disks: at least 20 MiB of data plus the footer, at most 32 TiB plus the footer (DiskRP docs). */
const MIN_UPLOAD = 20 * MIB + 512;
const MAX_UPLOAD = 32 * 1024 * GIB + 512;

const skuName = z.enum([
  'Standard_LRS',
  'Premium_LRS',
  'StandardSSD_LRS',
  'UltraSSD_LRS',
  'Premium_ZRS',
  'StandardSSD_ZRS',
  'PremiumV2_LRS',
]);

const diskPut = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  sku: z.object({ name: skuName }).optional(),
  properties: z.object({
    osType: z.enum(['Windows', 'Linux']).optional(),
    hyperVGeneration: z.enum(['V1', 'V2']).optional(),
    diskSizeGB: z.number().int().positive().optional(),
    creationData: z.object({
      // Only the options Lifeboat uses are simulated; others (FromImage, Import, Restore, ...) are refused.
      createOption: z.enum(['Empty', 'Upload', 'Copy']),
      uploadSizeBytes: z.number().int().optional(),
      sourceResourceId: z.string().optional(),
    }),
  }),
});

const snapshotPut = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  sku: z.object({ name: z.enum(['Standard_LRS', 'Premium_LRS', 'Standard_ZRS']) }).optional(),
  properties: z.object({
    incremental: z.boolean().optional(),
    creationData: z.object({ createOption: z.enum(['Copy', 'CopyStart']), sourceResourceId: z.string().min(1) }),
  }),
});

const grantAccess = z.object({
  access: z.enum(['None', 'Read', 'Write']),
  durationInSeconds: z.number().int().positive(),
  fileFormat: z.enum(['VHD', 'VHDX']).optional(),
  getSecureVMGuestStateSAS: z.boolean().optional(),
});

function checkLocation(state: SimState, location: string, type: string): void {
  const normalized = location.toLowerCase().replace(/\s+/g, '');
  if (normalized !== state.location) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${location}' is not available for resource type '${type}'. List of available regions for the resource type is '${state.location}'.`,
      'location',
    );
  }
}

function diskJson(disk: Disk): Record<string, unknown> {
  return {
    id: disk.id,
    name: disk.name,
    type: 'Microsoft.Compute/disks',
    location: disk.location,
    ...(disk.tags ? { tags: disk.tags } : {}),
    ...(disk.managedBy ? { managedBy: disk.managedBy } : {}),
    sku: { name: disk.sku, tier: disk.sku.startsWith('Premium') ? 'Premium' : 'Standard' },
    properties: {
      creationData: {
        createOption: disk.createOption,
        ...(disk.uploadSizeBytes !== undefined ? { uploadSizeBytes: disk.uploadSizeBytes } : {}),
        ...(disk.sourceResourceId ? { sourceResourceId: disk.sourceResourceId } : {}),
      },
      ...(disk.osType ? { osType: disk.osType } : {}),
      ...(disk.hyperVGeneration ? { hyperVGeneration: disk.hyperVGeneration } : {}),
      diskSizeGB: Math.ceil(disk.sizeBytes / GIB),
      diskSizeBytes: disk.sizeBytes,
      diskState: disk.diskState,
      provisioningState: disk.provisioningState,
      timeCreated: disk.timeCreated,
      uniqueId: disk.uniqueId,
      encryption: { type: 'EncryptionAtRestWithPlatformKey' },
      networkAccessPolicy: 'AllowAll',
      publicNetworkAccess: 'Enabled',
    },
  };
}

function snapshotJson(snapshot: Snapshot): Record<string, unknown> {
  return {
    id: snapshot.id,
    name: snapshot.name,
    type: 'Microsoft.Compute/snapshots',
    location: snapshot.location,
    ...(snapshot.tags ? { tags: snapshot.tags } : {}),
    sku: { name: 'Standard_LRS', tier: 'Standard' },
    properties: {
      creationData: { createOption: 'Copy', sourceResourceId: snapshot.sourceResourceId },
      ...(snapshot.osType ? { osType: snapshot.osType } : {}),
      diskSizeGB: Math.ceil(snapshot.sizeBytes / GIB),
      diskSizeBytes: snapshot.sizeBytes,
      diskState: snapshot.access === 'Read' ? 'ActiveSAS' : 'Unattached',
      incremental: snapshot.incremental,
      provisioningState: snapshot.provisioningState,
      timeCreated: snapshot.timeCreated,
      uniqueId: snapshot.uniqueId,
    },
  };
}

/** The page blob behind a disk or snapshot, as a read SAS (what a Copy reads from). */
function sourceBlob(state: SimState, id: string, property: string): { blobName: string; osType?: string } {
  const source = state.get('snapshot', id) ?? state.get('disk', id);
  if (!source) {
    throw new ArmError(404, 'NotFound', `Resource ${id} referenced by '${property}' was not found.`, property);
  }
  if (source.kind === 'disk' && (source.diskState === 'ReadyToUpload' || source.diskState === 'ActiveUpload')) {
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Disk ${source.name} is in state '${source.diskState}' and cannot be copied until the upload has ended.`,
    );
  }
  return { blobName: source.blobName, osType: source.osType };
}

// PUT/GET/DELETE .../providers/Microsoft.Compute/disks/{diskName}   (disk.json: Disks_CreateOrUpdate, Disks_Get, Disks_Delete)
export async function diskRoute(req: Request, state: SimState, name: string): Promise<void> {
  const id = state.id('Microsoft.Compute/disks', name);
  const existing = state.get('disk', id);
  if (req.method === 'GET') {
    if (!existing) throw notFound('Microsoft.Compute/disks', name, state.resourceGroup);
    send(req.res, 200, diskJson(existing));
    return;
  }
  if (req.method === 'DELETE') {
    if (!existing) return send(req.res, 204);
    if (existing.managedBy) {
      throw new ArmError(409, 'OperationNotAllowed', `Disk ${name} is attached to VM ${existing.managedBy}.`);
    }
    if (existing.diskState === 'ActiveUpload' || existing.diskState === 'ActiveSAS') {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Disk ${name} has an active SAS (${existing.diskState}); revoke access (endGetAccess) before deleting it.`,
      );
    }
    state.remove(id);
    state.operations.start(req.res, {
      status: 202,
      namespace: 'Microsoft.Compute',
      apiVersion: DISK_API_VERSION,
      work: async () => {
        await state.storage.disks.getPageBlobClient(existing.blobName).deleteIfExists();
      },
    });
    return;
  }
  if (req.method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed for disks.`);
  const body = parseBody(diskPut, req.body, 'disk');
  checkLocation(state, body.location, 'Microsoft.Compute/disks');
  const creation = body.properties.creationData;
  if (existing) {
    if (creation.createOption !== existing.createOption) {
      throw new ArmError(
        409,
        'PropertyChangeNotAllowed',
        "Changing property 'creationData.createOption' is not allowed.",
        'creationData.createOption',
      );
    }
    existing.tags = body.tags;
    send(req.res, 200, diskJson(existing));
    return;
  }
  let sizeBytes: number;
  let source: { blobName: string; osType?: string } | undefined;
  if (creation.createOption === 'Upload') {
    const size = creation.uploadSizeBytes;
    const property = 'disk.properties.creationData.uploadSizeBytes';
    if (size === undefined) throw new ArmError(400, 'InvalidParameter', `Required parameter '${property}' is missing (null).`, property);
    if ((size - 512) % MIB !== 0 || size < MIN_UPLOAD || size > MAX_UPLOAD) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value ${size} of parameter '${property}' is invalid: a fixed VHD is a whole number of MiB plus its 512-byte footer ((uploadSizeBytes - 512) % 1048576 must be 0), between ${MIN_UPLOAD} and ${MAX_UPLOAD} bytes.`,
        property,
      );
    }
    sizeBytes = size;
  } else if (creation.createOption === 'Copy') {
    const property = 'disk.properties.creationData.sourceResourceId';
    if (!creation.sourceResourceId)
      throw new ArmError(400, 'InvalidParameter', `Required parameter '${property}' is missing (null).`, property);
    source = sourceBlob(state, creation.sourceResourceId, property);
    sizeBytes = 0;
  } else {
    const property = 'disk.properties.diskSizeGB';
    if (!body.properties.diskSizeGB)
      throw new ArmError(400, 'InvalidParameter', `Required parameter '${property}' is missing (null).`, property);
    sizeBytes = body.properties.diskSizeGB * GIB;
  }
  const disk: Disk = {
    kind: 'disk',
    id,
    name,
    type: 'Microsoft.Compute/disks',
    tags: body.tags,
    location: state.location,
    blobName: `${name}-${randomUUID()}.vhd`,
    sizeBytes,
    uploadSizeBytes: creation.uploadSizeBytes,
    createOption: creation.createOption,
    sourceResourceId: creation.sourceResourceId,
    diskState: creation.createOption === 'Upload' ? 'ReadyToUpload' : 'Unattached',
    osType: body.properties.osType ?? source?.osType,
    hyperVGeneration: body.properties.hyperVGeneration,
    sku: body.sku?.name ?? 'Standard_LRS',
    timeCreated: new Date().toISOString(),
    uniqueId: randomUUID(),
    provisioningState: 'Updating',
    json: () => diskJson(disk),
  };
  state.put(disk);
  state.operations.start(req.res, {
    status: 202,
    body: diskJson(disk),
    namespace: 'Microsoft.Compute',
    apiVersion: DISK_API_VERSION,
    work: async () => {
      const blob = state.storage.disks.getPageBlobClient(disk.blobName);
      if (source) disk.sizeBytes = await state.storage.copyPageBlob(state.storage.disks.getPageBlobClient(source.blobName), blob);
      else await blob.create(sizeBytes);
      disk.provisioningState = 'Succeeded';
      return { status: 200, body: diskJson(disk) };
    },
  });
}

// POST .../disks/{diskName}/beginGetAccess and /endGetAccess   (disk.json: Disks_GrantAccess, Disks_RevokeAccess)
export async function diskAccessRoute(req: Request, state: SimState, name: string, action: 'begin' | 'end'): Promise<void> {
  const disk = state.get('disk', state.id('Microsoft.Compute/disks', name));
  if (!disk) throw notFound('Microsoft.Compute/disks', name, state.resourceGroup);
  if (action === 'end') {
    state.operations.start(req.res, {
      status: 202,
      namespace: 'Microsoft.Compute',
      apiVersion: DISK_API_VERSION,
      work: async () => {
        if (disk.diskState === 'ActiveUpload' || disk.diskState === 'ActiveSAS') disk.diskState = 'Unattached';
        else if (disk.diskState === 'ActiveSASFrozen') disk.diskState = 'Reserved';
      },
    });
    return;
  }
  const body = parseBody(grantAccess, req.body, 'grantAccessData');
  let permissions: string;
  if (body.access === 'Write') {
    if (disk.diskState !== 'ReadyToUpload' && disk.diskState !== 'ActiveUpload') {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Write access can only be granted to a disk created for upload and not yet uploaded; disk ${name} is '${disk.diskState}'.`,
      );
    }
    permissions = 'rcw';
    disk.diskState = 'ActiveUpload';
  } else if (body.access === 'Read') {
    if (disk.diskState === 'Attached') {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Disk ${name} is attached to the running VM ${disk.managedBy}; stop (deallocate) the VM to read it.`,
      );
    }
    if (disk.diskState === 'ReadyToUpload' || disk.diskState === 'ActiveUpload') {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Disk ${name} is '${disk.diskState}': read access is granted after the upload has ended.`,
      );
    }
    permissions = 'r';
    disk.diskState = disk.diskState === 'Reserved' ? 'ActiveSASFrozen' : 'ActiveSAS';
  } else {
    throw new ArmError(
      400,
      'InvalidParameter',
      "The value 'None' of parameter 'grantAccessData.access' is invalid: use endGetAccess.",
      'grantAccessData.access',
    );
  }
  const accessSAS = state.storage.sas(state.storage.disks, disk.blobName, permissions, body.durationInSeconds);
  state.operations.start(req.res, {
    status: 202,
    namespace: 'Microsoft.Compute',
    apiVersion: DISK_API_VERSION,
    work: async () => ({ status: 200, body: { accessSAS }, output: { accessSAS } }),
  });
}

// PUT/GET/DELETE .../providers/Microsoft.Compute/snapshots/{snapshotName}   (DiskRP.json: Snapshots_CreateOrUpdate, _Get, _Delete)
export async function snapshotRoute(req: Request, state: SimState, name: string): Promise<void> {
  const id = state.id('Microsoft.Compute/snapshots', name);
  const existing = state.get('snapshot', id);
  if (req.method === 'GET') {
    if (!existing) throw notFound('Microsoft.Compute/snapshots', name, state.resourceGroup);
    send(req.res, 200, snapshotJson(existing));
    return;
  }
  if (req.method === 'DELETE') {
    if (!existing) return send(req.res, 204);
    state.remove(id);
    state.operations.start(req.res, {
      status: 202,
      namespace: 'Microsoft.Compute',
      apiVersion: DISK_API_VERSION,
      work: async () => {
        await state.storage.disks.getPageBlobClient(existing.blobName).deleteIfExists();
      },
    });
    return;
  }
  if (req.method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed for snapshots.`);
  const body = parseBody(snapshotPut, req.body, 'snapshot');
  checkLocation(state, body.location, 'Microsoft.Compute/snapshots');
  if (existing) {
    existing.tags = body.tags;
    send(req.res, 200, snapshotJson(existing));
    return;
  }
  const source = sourceBlob(state, body.properties.creationData.sourceResourceId, 'snapshot.properties.creationData.sourceResourceId');
  const snapshot: Snapshot = {
    kind: 'snapshot',
    id,
    name,
    type: 'Microsoft.Compute/snapshots',
    tags: body.tags,
    location: state.location,
    // Full and incremental snapshots are both a copied page blob here (an incremental one is billed by its
    // changes in Azure, but reads the same).
    blobName: `${name}-${randomUUID()}.snapshot.vhd`,
    sizeBytes: 0,
    sourceResourceId: body.properties.creationData.sourceResourceId,
    incremental: body.properties.incremental ?? false,
    osType: source.osType,
    timeCreated: new Date().toISOString(),
    uniqueId: randomUUID(),
    access: 'None',
    provisioningState: 'Updating',
    json: () => snapshotJson(snapshot),
  };
  state.put(snapshot);
  state.operations.start(req.res, {
    status: 202,
    body: snapshotJson(snapshot),
    namespace: 'Microsoft.Compute',
    apiVersion: DISK_API_VERSION,
    work: async () => {
      snapshot.sizeBytes = await state.storage.copyPageBlob(
        state.storage.disks.getPageBlobClient(source.blobName),
        state.storage.disks.getPageBlobClient(snapshot.blobName),
      );
      snapshot.provisioningState = 'Succeeded';
      return { status: 200, body: snapshotJson(snapshot) };
    },
  });
}

// POST .../snapshots/{snapshotName}/beginGetAccess and /endGetAccess   (DiskRP.json: Snapshots_GrantAccess, _RevokeAccess)
export async function snapshotAccessRoute(req: Request, state: SimState, name: string, action: 'begin' | 'end'): Promise<void> {
  const snapshot = state.get('snapshot', state.id('Microsoft.Compute/snapshots', name));
  if (!snapshot) throw notFound('Microsoft.Compute/snapshots', name, state.resourceGroup);
  if (action === 'end') {
    state.operations.start(req.res, {
      status: 202,
      namespace: 'Microsoft.Compute',
      apiVersion: DISK_API_VERSION,
      work: async () => {
        snapshot.access = 'None';
      },
    });
    return;
  }
  const body = parseBody(grantAccess, req.body, 'grantAccessData');
  if (body.access !== 'Read') {
    throw new ArmError(409, 'OperationNotAllowed', `Only Read access can be granted to snapshot ${name} (it was not created for upload).`);
  }
  snapshot.access = 'Read';
  const accessSAS = state.storage.sas(state.storage.disks, snapshot.blobName, 'r', body.durationInSeconds);
  state.operations.start(req.res, {
    status: 202,
    namespace: 'Microsoft.Compute',
    apiVersion: DISK_API_VERSION,
    work: async () => ({ status: 200, body: { accessSAS }, output: { accessSAS } }),
  });
}
