import https from 'node:https';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { AnonymousCredential, BlobClient, PageBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorClientOptions, simulatorCredential, startArmSimulator, type ArmSimulator } from '../helpers/arm-simulator';

// The real SDKs against the ARM simulator (test/helpers/arm-simulator.ts): one simulator (and one Azurite) for
// the file. LROs poll every 20 ms instead of the SDK's 2 s default.
const fast = { updateIntervalInMs: 20 };
const MIB = 1024 * 1024;

let sim: ArmSimulator;
let compute: ComputeManagementClient;
let network: NetworkManagementClient;
let resources: ResourceManagementClient;

beforeAll(async () => {
  sim = await startArmSimulator({ vcpuQuota: 5, usedVcpus: 2 });
  const credential = simulatorCredential(sim);
  compute = new ComputeManagementClient(credential, sim.subscriptionId, simulatorClientOptions(sim));
  network = new NetworkManagementClient(credential, sim.subscriptionId, simulatorClientOptions(sim));
  resources = new ResourceManagementClient(credential, sim.subscriptionId, simulatorClientOptions(sim));
});

afterAll(async () => {
  await sim?.stop();
});

/** A raw ARM GET with a given bearer token (to see the simulator's 401s the SDK would hide). */
function rawGet(
  path: string,
  token: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${sim.armEndpoint}${path}`, { ca: sim.ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text || '{}') }));
      })
      .on('error', reject);
  });
}

async function uploadDisk(name: string, bytes = 20 * MIB + 512): Promise<string> {
  const disk = await compute.disks.beginCreateOrUpdateAndWait(
    sim.resourceGroup,
    name,
    { location: sim.location, osType: 'Linux', creationData: { createOption: 'Upload', uploadSizeBytes: bytes } },
    fast,
  );
  const { accessSAS } = await compute.disks.beginGrantAccessAndWait(
    sim.resourceGroup,
    name,
    { access: 'Write', durationInSeconds: 3600 },
    fast,
  );
  const page = new PageBlobClient(accessSAS ?? '', new AnonymousCredential());
  await page.uploadPages(Buffer.alloc(512, 0x55), 0, 512);
  await compute.disks.beginRevokeAccessAndWait(sim.resourceGroup, name, fast);
  return disk.id ?? '';
}

describe('ARM simulator with the real SDKs', () => {
  it('issues a token for the client secret and refuses a wrong one', async () => {
    const token = await simulatorCredential(sim).getToken(`${sim.armEndpoint}/.default`);
    expect(token?.token).toBeTruthy();
    await expect(simulatorCredential(sim, 'wrong').getToken(`${sim.armEndpoint}/.default`)).rejects.toThrow(
      /401 invalid_client.*AADSTS7000215/,
    );
    const answer = await rawGet(
      `/subscriptions/${sim.subscriptionId}/resourcegroups/${sim.resourceGroup}?api-version=2025-04-01`,
      'not-a-token',
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('InvalidAuthenticationToken');
  });

  it('rejects an expired token with 401 ExpiredAuthenticationToken and WWW-Authenticate', async () => {
    sim.tokenLifetime(0);
    try {
      const token = await simulatorCredential(sim).getToken(`${sim.armEndpoint}/.default`);
      const answer = await rawGet(
        `/subscriptions/${sim.subscriptionId}/resourcegroups/${sim.resourceGroup}?api-version=2025-04-01`,
        token?.token ?? '',
      );
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe('ExpiredAuthenticationToken');
      expect(String(answer.headers['www-authenticate'])).toMatch(/^Bearer /);
    } finally {
      sim.tokenLifetime(3600);
    }
  });

  it('gets the resource group and 404s another', async () => {
    const group = await resources.resourceGroups.get(sim.resourceGroup);
    expect(group).toMatchObject({ name: sim.resourceGroup, location: sim.location });
    await expect(resources.resourceGroups.get('elsewhere')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });

  it('lists compute usages with the quota from the options', async () => {
    const usages = [];
    for await (const usage of compute.usage.list(sim.location)) usages.push(usage);
    expect(usages.find((u) => u.name.value === 'cores')).toMatchObject({ currentValue: 2, limit: 5 });
    expect(usages.map((u) => u.name.value)).toContain('standardDSv3Family');
  });

  it('uploads a disk through a write SAS, revokes it and deletes it', async () => {
    const disk = await compute.disks.beginCreateOrUpdateAndWait(
      sim.resourceGroup,
      'upload-1',
      { location: sim.location, creationData: { createOption: 'Upload', uploadSizeBytes: 20 * MIB + 512 } },
      fast,
    );
    expect(disk.diskState).toBe('ReadyToUpload');
    // The LRO went through its Azure-AsyncOperation status (InProgress, then Succeeded) and Location.
    expect(sim.requests.some((r) => /\/operations\//.test(r.path) && r.apiVersion === '2026-03-02')).toBe(true);

    const access = await compute.disks.beginGrantAccessAndWait(
      sim.resourceGroup,
      'upload-1',
      { access: 'Write', durationInSeconds: 600 },
      fast,
    );
    expect((await compute.disks.get(sim.resourceGroup, 'upload-1')).diskState).toBe('ActiveUpload');
    const page = new PageBlobClient(access.accessSAS ?? '', new AnonymousCredential());
    await page.uploadPages(Buffer.alloc(4096, 0xab), 8192, 4096);
    expect((await page.getProperties()).contentLength).toBe(20 * MIB + 512);
    expect((await page.downloadToBuffer(8192, 4096)).every((b) => b === 0xab)).toBe(true);

    await compute.disks.beginRevokeAccessAndWait(sim.resourceGroup, 'upload-1', fast);
    expect((await compute.disks.get(sim.resourceGroup, 'upload-1')).diskState).toBe('Unattached');
    const listed = [];
    for await (const resource of resources.resources.listByResourceGroup(sim.resourceGroup)) listed.push(resource.id);
    expect(listed).toEqual([disk.id]);

    await compute.disks.beginDeleteAndWait(sim.resourceGroup, 'upload-1', fast);
    listed.length = 0;
    for await (const resource of resources.resources.listByResourceGroup(sim.resourceGroup)) listed.push(resource.id);
    expect(listed).toEqual([]);
    expect(sim.resources()).toEqual([]);
  });

  it('refuses an upload size that is not whole MiB plus the VHD footer, naming the property', async () => {
    await expect(
      compute.disks.beginCreateOrUpdateAndWait(
        sim.resourceGroup,
        'bad-size',
        { location: sim.location, creationData: { createOption: 'Upload', uploadSizeBytes: 20 * MIB } },
        fast,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter', message: expect.stringContaining('uploadSizeBytes') });
    await expect(
      compute.disks.beginCreateOrUpdateAndWait(sim.resourceGroup, 'no-option', { location: sim.location, creationData: {} as never }, fast),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('disk.properties.creationData.createOption') });
    expect(sim.resources()).toEqual([]);
  });

  it('snapshots a disk, reads it through a read SAS and copies it into a new disk', async () => {
    const diskId = await uploadDisk('snap-source');
    const snapshot = await compute.snapshots.beginCreateOrUpdateAndWait(
      sim.resourceGroup,
      'snap-1',
      { location: sim.location, incremental: true, creationData: { createOption: 'Copy', sourceResourceId: diskId } },
      fast,
    );
    expect(snapshot).toMatchObject({ incremental: true, diskSizeBytes: 20 * MIB + 512 });
    const { accessSAS } = await compute.snapshots.beginGrantAccessAndWait(
      sim.resourceGroup,
      'snap-1',
      { access: 'Read', durationInSeconds: 600 },
      fast,
    );
    expect((await new PageBlobClient(accessSAS ?? '', new AnonymousCredential()).downloadToBuffer(0, 512)).every((b) => b === 0x55)).toBe(
      true,
    );
    await compute.snapshots.beginRevokeAccessAndWait(sim.resourceGroup, 'snap-1', fast);

    const copy = await compute.disks.beginCreateOrUpdateAndWait(
      sim.resourceGroup,
      'from-snap',
      { location: sim.location, creationData: { createOption: 'Copy', sourceResourceId: snapshot.id } },
      fast,
    );
    expect(copy).toMatchObject({ diskState: 'Unattached', osType: 'Linux', diskSizeBytes: 20 * MIB + 512 });
    for (const name of ['from-snap', 'snap-source']) await compute.disks.beginDeleteAndWait(sim.resourceGroup, name, fast);
    await compute.snapshots.beginDeleteAndWait(sim.resourceGroup, 'snap-1', fast);
    expect(sim.resources()).toEqual([]);
  });

  it('builds a network and a VM: power, instance view, boot diagnostics, run command, in-use refusals', async () => {
    const rg = sim.resourceGroup;
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait(
      rg,
      'nsg-1',
      {
        location: sim.location,
        securityRules: [
          {
            name: 'ssh',
            protocol: 'Tcp',
            access: 'Allow',
            direction: 'Inbound',
            priority: 100,
            sourceAddressPrefix: '*',
            sourcePortRange: '*',
            destinationAddressPrefix: '*',
            destinationPortRange: '22',
          },
        ],
      },
      fast,
    );
    const nsg = await network.networkSecurityGroups.get(rg, 'nsg-1');
    await network.virtualNetworks.beginCreateOrUpdateAndWait(
      rg,
      'vnet-1',
      {
        location: sim.location,
        addressSpace: { addressPrefixes: ['10.20.0.0/16'] },
        subnets: [{ name: 'default', addressPrefix: '10.20.1.0/24', networkSecurityGroup: { id: nsg.id } }],
      },
      fast,
    );
    await expect(
      network.virtualNetworks.beginCreateOrUpdateAndWait(
        rg,
        'vnet-bad',
        { location: sim.location, addressSpace: { addressPrefixes: ['10.0.0/16'] } },
        fast,
      ),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('addressPrefixes') });
    const vnet = await network.virtualNetworks.get(rg, 'vnet-1');
    const subnetId = vnet.subnets?.[0]?.id ?? '';
    await expect(
      network.networkInterfaces.beginCreateOrUpdateAndWait(
        rg,
        'nic-bad',
        { location: sim.location, ipConfigurations: [{ name: 'ip', subnet: { id: `${vnet.id}/subnets/nope` } }] },
        fast,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidResourceReference' });
    await network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      'nic-1',
      { location: sim.location, ipConfigurations: [{ name: 'ip', subnet: { id: subnetId } }] },
      fast,
    );
    const nic = await network.networkInterfaces.get(rg, 'nic-1');
    expect(nic.ipConfigurations?.[0]?.privateIPAddress).toBe('10.20.1.4');
    await expect(network.virtualNetworks.beginDeleteAndWait(rg, 'vnet-1', fast)).rejects.toMatchObject({
      statusCode: 400,
      code: 'InUseSubnetCannotBeDeleted',
    });

    const diskId = await uploadDisk('vm-os');
    const started: string[] = [];
    sim.onStart = async (vm) => {
      started.push(vm.name);
      expect(vm.osDiskBlobUrl).toContain('sig=');
    };
    const vmBody = (vmSize: string) => ({
      location: sim.location,
      hardwareProfile: { vmSize },
      storageProfile: { osDisk: { createOption: 'Attach' as const, osType: 'Linux' as const, managedDisk: { id: diskId } } },
      networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    });
    await expect(compute.virtualMachines.beginCreateOrUpdateAndWait(rg, 'vm-1', vmBody('Standard_Z99'), fast)).rejects.toMatchObject({
      statusCode: 409,
      code: 'SkuNotAvailable',
    });
    await expect(compute.virtualMachines.beginCreateOrUpdateAndWait(rg, 'vm-1', vmBody('Standard_D4s_v3'), fast)).rejects.toMatchObject({
      statusCode: 409,
      code: 'OperationNotAllowed',
      message: expect.stringContaining('exceeding approved Total Regional Cores quota'),
    });
    await compute.virtualMachines.beginCreateOrUpdateAndWait(rg, 'vm-1', vmBody('Standard_D2s_v3'), fast);
    expect(started).toEqual(['vm-1']);
    const view = await compute.virtualMachines.get(rg, 'vm-1', { expand: 'instanceView' });
    expect(view.instanceView?.statuses?.map((s) => s.code)).toEqual(['ProvisioningState/succeeded', 'PowerState/running']);
    await expect(compute.disks.beginDeleteAndWait(rg, 'vm-os', fast)).rejects.toMatchObject({
      statusCode: 409,
      code: 'OperationNotAllowed',
    });

    await sim.setBootDiagnostics('vm-1', { screenshotPng: Buffer.from('PNG!'), serialLog: 'login: ' });
    const diagnostics = await compute.virtualMachines.retrieveBootDiagnosticsData(rg, 'vm-1');
    expect((await new BlobClient(diagnostics.serialConsoleLogBlobUri ?? '', new AnonymousCredential()).downloadToBuffer()).toString()).toBe(
      'login: ',
    );
    expect(
      (await new BlobClient(diagnostics.consoleScreenshotBlobUri ?? '', new AnonymousCredential()).downloadToBuffer()).toString(),
    ).toBe('PNG!');

    await expect(
      compute.virtualMachines.beginRunCommandAndWait(rg, 'vm-1', { commandId: 'RunShellScript', script: ['uptime'] }, fast),
    ).rejects.toMatchObject({
      statusCode: 409,
      code: 'VMAgentStatusCommunicationError',
    });
    sim.onRunCommand = async (_vm, script) => ({ stdout: `ran ${script.join(';')}`, stderr: '' });
    const ran = await compute.virtualMachines.beginRunCommandAndWait(rg, 'vm-1', { commandId: 'RunShellScript', script: ['uptime'] }, fast);
    expect(ran.value?.[0]).toMatchObject({ code: 'ProvisioningState/succeeded', message: expect.stringContaining('[stdout]\nran uptime') });

    await compute.virtualMachines.beginPowerOffAndWait(rg, 'vm-1', fast);
    await compute.virtualMachines.beginDeallocateAndWait(rg, 'vm-1', fast);
    expect((await compute.virtualMachines.get(rg, 'vm-1', { expand: 'instanceView' })).instanceView?.statuses?.[1]?.code).toBe(
      'PowerState/deallocated',
    );
    await compute.virtualMachines.beginStartAndWait(rg, 'vm-1', fast);
    expect(started).toEqual(['vm-1', 'vm-1']);

    await compute.virtualMachines.beginDeleteAndWait(rg, 'vm-1', fast);
    await compute.disks.beginDeleteAndWait(rg, 'vm-os', fast);
    await network.networkInterfaces.beginDeleteAndWait(rg, 'nic-1', fast);
    await network.virtualNetworks.beginDeleteAndWait(rg, 'vnet-1', fast);
    await network.networkSecurityGroups.beginDeleteAndWait(rg, 'nsg-1', fast);
    expect(sim.resources()).toEqual([]);
    sim.onStart = undefined;
    sim.onRunCommand = undefined;
  });

  it('throttles with 429 and Retry-After, and the SDK retries to success', async () => {
    sim.inject({ kind: 'throttle', retryAfterSeconds: 1, match: /\/resourcegroups\/[^/]+$/i, method: 'GET' });
    const before = sim.requests.length;
    await resources.resourceGroups.get(sim.resourceGroup);
    const seen = sim.requests.slice(before).filter((r) => /\/resourcegroups\/[^/]+$/i.test(r.path));
    expect(seen.map((r) => r.status)).toEqual([429, 200]);
  });

  it('injects an error for the next matching request', async () => {
    sim.inject({ kind: 'error', status: 409, code: 'Conflict', message: 'injected', match: /\/usages$/ });
    await expect(compute.usage.list(sim.location).next()).rejects.toMatchObject({ statusCode: 409, code: 'Conflict' });
    expect((await compute.usage.list(sim.location).next()).done).toBe(false);
  });
});
