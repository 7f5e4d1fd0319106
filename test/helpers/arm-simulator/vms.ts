import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ArmError, notFound, parseBody, type Request, send, subResource } from './core';
import type { SimState, Vm } from './state';

/**
 * Virtual machines and compute usages (Microsoft.Compute/virtualMachines, .../locations/{l}/usages).
 *
 * api-version 2026-04-01, what @azure/arm-compute 25.1.1 sends for ComputeRP
 * (dist/commonjs/api/virtualMachines/operations.js, api/usage/operations.js). Shapes from the published spec
 * specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-11-01/ComputeRP.json
 * (VirtualMachines_CreateOrUpdate, _Get with $expand=instanceView, _Delete, _Start, _PowerOff, _Deallocate,
 * _RetrieveBootDiagnosticsData, _RunCommand; Usage_List) and its examples (computeRPCommonExamples/
 * Usage_List_*.json). The 2026-04-01 folder was not in the index searched.
 */
export const COMPUTE_API_VERSION = '2026-04-01';

/** A few sizes (vCPUs, memory) from learn.microsoft.com/azure/virtual-machines/sizes (B-series, Dsv3). */
const SIZES: Record<string, { vcpus: number; memoryMiB: number; family: string }> = {
  Standard_B1s: { vcpus: 1, memoryMiB: 1024, family: 'standardBSFamily' },
  Standard_B2s: { vcpus: 2, memoryMiB: 4096, family: 'standardBSFamily' },
  Standard_D2s_v3: { vcpus: 2, memoryMiB: 8192, family: 'standardDSv3Family' },
  Standard_D4s_v3: { vcpus: 4, memoryMiB: 16384, family: 'standardDSv3Family' },
};
const FAMILY_NAMES: Record<string, string> = {
  standardBSFamily: 'Standard BS Family vCPUs',
  standardDSv3Family: 'Standard DSv3 Family vCPUs',
};

const vmPut = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.object({
    hardwareProfile: z.object({ vmSize: z.string().min(1) }),
    storageProfile: z.object({
      // Recovery attaches the disks Lifeboat uploaded: images and empty disks are not simulated.
      osDisk: z.object({
        createOption: z.literal('Attach'),
        osType: z.enum(['Windows', 'Linux']).optional(),
        name: z.string().optional(),
        caching: z.enum(['None', 'ReadOnly', 'ReadWrite']).optional(),
        managedDisk: subResource,
      }),
      dataDisks: z.array(z.unknown()).max(0, 'data disks are not simulated').optional(),
    }),
    networkProfile: z.object({
      networkInterfaces: z
        .array(
          z.object({ id: z.string().startsWith('/subscriptions/'), properties: z.object({ primary: z.boolean().optional() }).optional() }),
        )
        .min(1),
    }),
    diagnosticsProfile: z.object({ bootDiagnostics: z.object({ enabled: z.boolean(), storageUri: z.string().optional() }) }).optional(),
  }),
});

const runCommand = z.object({
  commandId: z.enum(['RunShellScript', 'RunPowerShellScript']),
  script: z.array(z.string()).min(1),
  parameters: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});

function status(code: string, displayStatus: string): Record<string, string> {
  return { code, level: 'Info', displayStatus, time: new Date().toISOString() };
}

function instanceView(vm: Vm): Record<string, unknown> {
  const power: Record<Vm['power'], string> = {
    running: 'VM running',
    stopped: 'VM stopped',
    deallocated: 'VM deallocated',
    starting: 'VM starting',
    stopping: 'VM stopping',
    deallocating: 'VM deallocating',
  };
  return {
    computerName: vm.name,
    osName: vm.osType === 'Windows' ? 'Windows' : 'Linux',
    statuses: [
      vm.provisioningState === 'Succeeded'
        ? status('ProvisioningState/succeeded', 'Provisioning succeeded')
        : status(`ProvisioningState/${vm.provisioningState.toLowerCase()}`, vm.provisioningState),
      status(`PowerState/${vm.power}`, power[vm.power]),
    ],
  };
}

function vmJson(vm: Vm, expand = false): Record<string, unknown> {
  return {
    id: vm.id,
    name: vm.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: vm.location,
    ...(vm.tags ? { tags: vm.tags } : {}),
    properties: {
      vmId: vm.vmId,
      hardwareProfile: { vmSize: vm.vmSize },
      storageProfile: {
        osDisk: {
          osType: vm.osType,
          name: vm.osDiskId.split('/').pop(),
          createOption: 'Attach',
          caching: 'ReadWrite',
          managedDisk: { id: vm.osDiskId },
          deleteOption: 'Detach',
        },
        dataDisks: [],
      },
      networkProfile: { networkInterfaces: vm.nicIds.map((id, index) => ({ id, properties: { primary: index === 0 } })) },
      diagnosticsProfile: { bootDiagnostics: { enabled: vm.bootDiagnostics } },
      provisioningState: vm.provisioningState,
      timeCreated: vm.timeCreated,
      ...(expand ? { instanceView: instanceView(vm) } : {}),
    },
  };
}

function quotaCheck(state: SimState, additional: number): void {
  const usage = state.vcpusInUse();
  if (usage + additional > state.vcpuQuota) {
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${state.location}, Current Limit: ${state.vcpuQuota}, Current Usage: ${usage}, Additional Required: ${additional}, (Minimum) New Limit Required: ${usage + additional}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP by specifying parameters listed in the 'Details' section for deployment to succeed. Please read more about quota limits at https://docs.microsoft.com/en-us/azure/azure-supportability/regional-quota-requests`,
    );
  }
}

const screenshotBlob = (vm: Vm): string => `${vm.name}.${vm.vmId}/screenshot.png`;
const serialBlob = (vm: Vm): string => `${vm.name}.${vm.vmId}/serialconsole.log`;

export async function setBootDiagnostics(
  state: SimState,
  vmName: string,
  content: { screenshotPng?: Buffer; serialLog?: string },
): Promise<void> {
  const vm = state.get('vm', state.id('Microsoft.Compute/virtualMachines', vmName));
  if (!vm) throw new Error(`no VM ${vmName} in the simulator`);
  if (content.screenshotPng) await state.storage.diagnostics.getBlockBlobClient(screenshotBlob(vm)).uploadData(content.screenshotPng);
  if (content.serialLog !== undefined)
    await state.storage.diagnostics.getBlockBlobClient(serialBlob(vm)).uploadData(Buffer.from(content.serialLog));
}

async function powerOn(state: SimState, vm: Vm): Promise<void> {
  vm.power = 'starting';
  const disk = state.get('disk', vm.osDiskId);
  if (disk) disk.diskState = 'Attached';
  const osDiskBlobUrl = disk ? state.storage.sas(state.storage.disks, disk.blobName, 'rw', 24 * 3600) : '';
  await state.hooks.onStart?.({ id: vm.id, name: vm.name, osDiskBlobUrl });
  vm.power = 'running';
}

// GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{location}/usages   (Usage_List)
export function usagesRoute(req: Request, state: SimState): void {
  const families = new Map<string, number>();
  for (const resource of state.resources.values()) {
    if (resource.kind !== 'vm' || resource.power === 'deallocated') continue;
    const family = SIZES[resource.vmSize]?.family ?? '';
    families.set(family, (families.get(family) ?? 0) + resource.vcpus);
  }
  const vms = [...state.resources.values()].filter((r) => r.kind === 'vm').length;
  const usage = (value: string, localizedValue: string, currentValue: number, limit: number): Record<string, unknown> => ({
    unit: 'Count',
    currentValue,
    limit,
    name: { value, localizedValue },
  });
  send(req.res, 200, {
    value: [
      usage('availabilitySets', 'Availability Sets', 0, 2500),
      usage('cores', 'Total Regional vCPUs', state.vcpusInUse(), state.vcpuQuota),
      usage('virtualMachines', 'Virtual Machines', vms, 25000),
      ...Object.entries(FAMILY_NAMES).map(([value, name]) => usage(value, name, families.get(value) ?? 0, state.vcpuQuota)),
    ],
  });
}

// PUT/GET/DELETE .../providers/Microsoft.Compute/virtualMachines/{vmName}
export async function vmRoute(req: Request, state: SimState, name: string): Promise<void> {
  const id = state.id('Microsoft.Compute/virtualMachines', name);
  const existing = state.get('vm', id);
  if (req.method === 'GET') {
    if (!existing) throw notFound('Microsoft.Compute/virtualMachines', name, state.resourceGroup);
    send(req.res, 200, vmJson(existing, req.query.get('$expand') === 'instanceView'));
    return;
  }
  if (req.method === 'DELETE') {
    if (!existing) return send(req.res, 204);
    state.remove(id);
    if (existing.power !== 'stopped' && existing.power !== 'deallocated') await state.hooks.onStop?.({ id, name: existing.name });
    const disk = state.get('disk', existing.osDiskId);
    if (disk) {
      disk.managedBy = undefined;
      disk.diskState = 'Unattached';
    }
    for (const nicId of existing.nicIds) {
      const nic = state.get('networkInterface', nicId);
      if (nic) nic.virtualMachine = undefined;
    }
    state.operations.start(req.res, { status: 202, namespace: 'Microsoft.Compute', apiVersion: COMPUTE_API_VERSION, work: async () => {} });
    return;
  }
  if (req.method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed for virtual machines.`);
  const body = parseBody(vmPut, req.body, 'parameters');
  if (body.location.toLowerCase().replace(/\s+/g, '') !== state.location) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${body.location}' is not available for resource type 'Microsoft.Compute/virtualMachines'. List of available regions for the resource type is '${state.location}'.`,
      'location',
    );
  }
  if (existing) {
    throw new ArmError(409, 'OperationNotAllowed', `Updating VM ${name} is not simulated: delete it and create it again.`);
  }
  const vmSize = body.properties.hardwareProfile.vmSize;
  const size = SIZES[vmSize];
  if (!size) {
    throw new ArmError(
      409,
      'SkuNotAvailable',
      `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${vmSize}' is currently not available in location '${state.location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
    );
  }
  const osDisk = body.properties.storageProfile.osDisk;
  const diskProperty = 'parameters.properties.storageProfile.osDisk.managedDisk.id';
  const disk = state.get('disk', state.ownId(osDisk.managedDisk.id, diskProperty));
  if (!disk)
    throw new ArmError(404, 'NotFound', `Disk ${osDisk.managedDisk.id} referenced by '${diskProperty}' was not found.`, diskProperty);
  if (disk.managedBy) throw new ArmError(409, 'OperationNotAllowed', `Disk ${disk.name} is already attached to VM ${disk.managedBy}.`);
  if (disk.diskState !== 'Unattached') {
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Disk ${disk.name} is in state '${disk.diskState}'; only an Unattached disk can be attached (end the upload or revoke its SAS first).`,
    );
  }
  const osType = osDisk.osType ?? disk.osType;
  if (!osType) {
    const property = 'parameters.properties.storageProfile.osDisk.osType';
    throw new ArmError(
      400,
      'InvalidParameter',
      `Required parameter '${property}' is missing (null): disk ${disk.name} has no osType.`,
      property,
    );
  }
  const nicIds = body.properties.networkProfile.networkInterfaces.map((nic, index) => {
    const property = `parameters.properties.networkProfile.networkInterfaces[${index}].id`;
    const found = state.get('networkInterface', state.ownId(nic.id, property));
    if (!found)
      throw new ArmError(
        400,
        'InvalidResourceReference',
        `Resource ${nic.id} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
        property,
      );
    if (found.virtualMachine)
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${found.id} is used by existing resource ${found.virtualMachine}. In order to use it, dissociate it from that resource.`,
        property,
      );
    return found;
  });
  quotaCheck(state, size.vcpus);
  const vm: Vm = {
    kind: 'vm',
    id,
    name,
    type: 'Microsoft.Compute/virtualMachines',
    tags: body.tags,
    location: state.location,
    vmSize,
    vcpus: size.vcpus,
    osDiskId: disk.id,
    osType,
    nicIds: nicIds.map((nic) => nic.id),
    bootDiagnostics: body.properties.diagnosticsProfile?.bootDiagnostics.enabled ?? false,
    power: 'starting',
    provisioningState: 'Creating',
    vmId: randomUUID(),
    timeCreated: new Date().toISOString(),
    json: () => vmJson(vm),
  };
  disk.managedBy = id;
  disk.diskState = 'Attached';
  for (const nic of nicIds) nic.virtualMachine = id;
  state.put(vm);
  state.operations.start(req.res, {
    status: 201,
    body: vmJson(vm),
    namespace: 'Microsoft.Compute',
    apiVersion: COMPUTE_API_VERSION,
    work: async () => {
      if (vm.bootDiagnostics) await setBootDiagnostics(state, name, { screenshotPng: Buffer.alloc(0), serialLog: '' });
      // Azure starts a VM it creates.
      await powerOn(state, vm);
      vm.provisioningState = 'Succeeded';
      return { status: 200, body: vmJson(vm) };
    },
  });
}

// POST .../virtualMachines/{vmName}/{start|powerOff|deallocate|retrieveBootDiagnosticsData|runCommand}, GET .../instanceView
export async function vmActionRoute(req: Request, state: SimState, name: string, action: string): Promise<void> {
  const vm = state.get('vm', state.id('Microsoft.Compute/virtualMachines', name));
  if (!vm) throw notFound('Microsoft.Compute/virtualMachines', name, state.resourceGroup);
  const lro = (work: () => Promise<{ status?: number; body?: unknown; output?: unknown } | void>): void =>
    state.operations.start(req.res, { status: 202, namespace: 'Microsoft.Compute', apiVersion: COMPUTE_API_VERSION, work });
  if (action === 'instanceview' && req.method === 'GET') return send(req.res, 200, instanceView(vm));
  if (req.method !== 'POST') throw new ArmError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed for ${action}.`);
  const disk = state.get('disk', vm.osDiskId);
  switch (action) {
    case 'start':
      if (vm.power === 'running') return lro(async () => {});
      if (vm.power === 'deallocated') quotaCheck(state, vm.vcpus);
      return lro(() => powerOn(state, vm));
    case 'poweroff':
      vm.power = 'stopping';
      return lro(async () => {
        await state.hooks.onStop?.({ id: vm.id, name: vm.name });
        vm.power = 'stopped';
      });
    case 'deallocate': {
      const wasRunning = vm.power !== 'stopped';
      vm.power = 'deallocating';
      return lro(async () => {
        if (wasRunning) await state.hooks.onStop?.({ id: vm.id, name: vm.name });
        vm.power = 'deallocated';
        if (disk) disk.diskState = 'Reserved';
      });
    }
    case 'retrievebootdiagnosticsdata': {
      if (!vm.bootDiagnostics) {
        throw new ArmError(
          409,
          'OperationNotAllowed',
          `Boot diagnostics are not enabled for VM ${name}: set diagnosticsProfile.bootDiagnostics.enabled.`,
        );
      }
      const fresh = vm.power === 'running' ? await state.hooks.onBootDiagnostics?.(name) : null;
      if (fresh) await setBootDiagnostics(state, name, fresh);
      const minutes = Number(req.query.get('sasUriExpirationTimeInMinutes') ?? '120');
      const storage = state.storage;
      return send(req.res, 200, {
        consoleScreenshotBlobUri: storage.sas(storage.diagnostics, screenshotBlob(vm), 'r', minutes * 60),
        serialConsoleLogBlobUri: storage.sas(storage.diagnostics, serialBlob(vm), 'r', minutes * 60),
      });
    }
    case 'runcommand': {
      const body = parseBody(runCommand, req.body, 'parameters');
      if (vm.power !== 'running')
        throw new ArmError(409, 'OperationNotAllowed', `Cannot run a command on VM ${name}: it is not running (PowerState/${vm.power}).`);
      const hook = state.hooks.onRunCommand;
      if (!hook) {
        throw new ArmError(
          409,
          'VMAgentStatusCommunicationError',
          `VM '${name}' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage.`,
        );
      }
      return lro(async () => {
        const { stdout, stderr } = await hook(name, body.script);
        const result = {
          value: [
            {
              code: 'ProvisioningState/succeeded',
              level: 'Info',
              displayStatus: 'Provisioning succeeded',
              message: `Enable succeeded: \n[stdout]\n${stdout}\n[stderr]\n${stderr}\n`,
            },
          ],
        };
        return { status: 200, body: result, output: result };
      });
    }
    default:
      throw new ArmError(404, 'InvalidResourceType', `The action '${action}' is not simulated for virtual machines.`);
  }
}
