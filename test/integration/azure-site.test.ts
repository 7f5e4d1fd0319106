import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { azureProvider } from '../../core/hypervisors/azure/provider';
import { defaultProviders } from '../../core/hypervisors/registry';
import { createService, type LifeboatService } from '../../core/service';
import { startArmSimulator, type ArmSimulator } from '../helpers/arm-simulator';
import { repoRoot, tempDir, tempDirManual } from '../helpers/temp';

/** The CLI as a child, asynchronously: the simulator answering it runs in this process's event loop. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, 'bin', 'lifeboat.js'), ...args],
      { cwd: repoRoot, env: { ...process.env, LIFEBOAT_DATA: '', LIFEBOAT_PASSPHRASE: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// An Azure recovery site added through the engine (in process, the simulator's CA given to the provider) and
// through the CLI (a child process trusting the CA by NODE_EXTRA_CA_CERTS). One simulator for the file.
let sim: ArmSimulator;
let service: LifeboatService;
let data: { dir: string; remove(): void };
let dir: string;

beforeAll(async () => {
  sim = await startArmSimulator({ vcpuQuota: 10, usedVcpus: 4 });
  data = tempDirManual();
  dir = data.dir;
  service = createService({
    dataDir: dir,
    heartbeat: false,
    providers: { ...defaultProviders(), azure: azureProvider({ ca: sim.ca, pollMs: 20 }) },
  });
});

afterAll(async () => {
  await service?.close();
  await sim?.stop();
  data?.remove();
});

const siteInput = (overrides: Record<string, string> = {}) => ({
  kind: 'azure' as const,
  tenantId: sim.tenantId,
  clientId: sim.clientId,
  clientSecret: sim.clientSecret,
  subscriptionId: sim.subscriptionId,
  resourceGroup: sim.resourceGroup,
  location: sim.location,
  armEndpoint: sim.armEndpoint,
  loginEndpoint: sim.loginEndpoint,
  ...overrides,
});

describe('Azure recovery site', () => {
  it('checks the sign-in, the resource group and the vCPU quota before it is saved; the secret is sealed', async () => {
    const client = createLocalClient(service.api);
    const host = await client.addHost(siteInput({ name: 'Azure DR' }));
    expect(host).toMatchObject({ kind: 'azure', status: 'ok', hasCredentials: true });
    expect(host.statusMessage).toBe(`Azure Resource Manager ${sim.resourceGroup} in ${sim.location}, 6 of 10 vCPUs free`);
    expect(host.settings.azure).toMatchObject({ tenantId: sim.tenantId, resourceGroup: sim.resourceGroup, location: sim.location });
    expect(JSON.stringify(host)).not.toContain(sim.clientSecret);
    // Sealed at rest: the secret is nowhere in the catalog's files in clear.
    for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('catalog')))
      expect(fs.readFileSync(path.join(dir, file)).includes(sim.clientSecret)).toBe(false);
    // A recovery site holds no VMs to protect: discovery finds none and says ok.
    expect((await client.discover({ hostId: host.id }))[0]).toMatchObject({ ok: true, total: 0 });
    await client.removeHost({ id: host.id });
  });

  it('refuses a wrong secret, tenant or client id with what to fix, and saves nothing', async () => {
    const client = createLocalClient(service.api);
    await expect(client.addHost(siteInput({ clientSecret: 'wrong' }))).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      message: expect.stringContaining('AADSTS7000215'),
      fix: expect.stringContaining('not its Secret ID'),
    });
    await expect(client.addHost(siteInput({ tenantId: '00000000-0000-4000-8000-000000000000' }))).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      fix: expect.stringContaining('Tenant ID'),
    });
    await expect(client.addHost(siteInput({ clientId: '00000000-0000-4000-8000-000000000001' }))).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      fix: expect.stringContaining('Application (client) ID'),
    });
    await expect(client.addHost(siteInput({ subscriptionId: 'not-a-guid' }))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('GUID'),
    });
    expect(await client.listHosts()).toEqual([]);
  });

  it('names a missing resource group and how to create it', async () => {
    const client = createLocalClient(service.api);
    await expect(client.addHost(siteInput({ resourceGroup: 'nope' }))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no resource group nope'),
      fix: expect.stringContaining('Create resource group nope'),
    });
  });

  it('waits out throttling (429 + Retry-After) during the connection test', async () => {
    const client = createLocalClient(service.api);
    sim.inject({ kind: 'throttle', retryAfterSeconds: 1, match: /\/usages$/, method: 'GET' });
    const before = sim.requests.length;
    const host = await client.addHost(siteInput({ name: 'Throttled' }));
    expect(host.status).toBe('ok');
    expect(
      sim.requests
        .slice(before)
        .filter((r) => /\/usages$/.test(r.path))
        .map((r) => r.status),
    ).toEqual([429, 200]);
    await client.removeHost({ id: host.id });
  });

  it('is added from the CLI with the secret from LIFEBOAT_HOST_PASSWORD, never in argv', async () => {
    const data = tempDir();
    const args = [
      '--data',
      data,
      'hosts',
      'add',
      'azure',
      '--tenant',
      sim.tenantId,
      '--client-id',
      sim.clientId,
      '--subscription',
      sim.subscriptionId,
      '--resource-group',
      sim.resourceGroup,
      '--location',
      sim.location,
      '--arm-endpoint',
      sim.armEndpoint,
      '--login-endpoint',
      sim.loginEndpoint,
    ];
    const added = await cli(args, { LIFEBOAT_HOST_PASSWORD: sim.clientSecret, NODE_EXTRA_CA_CERTS: sim.caFile });
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain(`Added Azure ${sim.resourceGroup} (${sim.location}) (azure: Azure Resource Manager`);
    const listed = await cli(['--data', data, 'hosts', 'list'], { NODE_EXTRA_CA_CERTS: sim.caFile });
    expect(listed.stdout).toMatch(/\tazure\t127\.0\.0\.1:\d+\t0 VMs\tok/);
    const refused = await cli([...args, '--name', 'Second'], { LIFEBOAT_HOST_PASSWORD: 'wrong', NODE_EXTRA_CA_CERTS: sim.caFile });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('AADSTS7000215');
  });
});
