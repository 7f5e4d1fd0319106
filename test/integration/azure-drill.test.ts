import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Drill, DrillStep } from '../../core/contract/drills';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { startArmSimulator, type ArmSimulator } from '../helpers/arm-simulator';
import { plugAzureGuests, type AzureGuests } from '../helpers/azure-guest';
import { DRILL_GUEST_READY, drillGuestRaw, drillGuestWorkstationVm } from '../helpers/drill-guest';
import { qemuImg } from '../helpers/qemu-images';
import { repoRoot, tempDirManual } from '../helpers/temp';

// Drills into Azure through the `lifeboat` command: the real Linux drill guest copied into a folder vault,
// restored as a fixed VHD, uploaded to a managed disk of the ARM simulator (page blobs in Azurite) and booted
// there — the simulator's "start" boots the uploaded blob in QEMU under TCG, its boot diagnostics are that
// QEMU's serial output and screen, its Run Command types into the guest's serial shell.
const qemu = findQemu();
const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const BIN = path.join(repoRoot, 'bin', 'lifeboat.js');
const MiB = 1 << 20;

let sim: ArmSimulator;
let guests: AzureGuests;
let data: { dir: string; remove(): void };
let dir: string;
const ids = new Map<string, string>();
let azureHostId = '';

/** The CLI as a child, asynchronously: the simulator it talks to runs in this process. */
function lifeboat(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--data', path.join(dir, 'data'), ...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        LIFEBOAT_DATA: '',
        LIFEBOAT_PASSPHRASE: PASSPHRASE,
        LIFEBOAT_HOST_PASSWORD: sim.clientSecret,
        NODE_EXTRA_CA_CERTS: sim.caFile,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const run = await lifeboat('call', method, JSON.stringify(input));
  if (run.status !== 0) throw new Error(`${method}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

async function drill(
  name: string,
  vm: string,
  checks: unknown[],
): Promise<{ status: number | null; drill: Drill & { steps: DrillStep[] } }> {
  await call('createPlan', {
    name,
    groups: [{ name: 'All', vms: [{ vmId: ids.get(vm), checks }] }],
    recoveryHostId: azureHostId,
    rpoTargetMinutes: 60,
    rtoTargetMinutes: 30,
  });
  const run = await lifeboat('drill', 'run', name, '--json');
  const { id } = JSON.parse(run.stdout) as { id: string };
  return { status: run.status, drill: await call('getDrill', { id }) };
}

/** Byte ranges of 1 MiB units holding a non-zero byte: what an upload that skips zeros must send. */
function nonZeroUnits(file: string): number {
  const bytes = fs.readFileSync(file);
  let sent = 0;
  for (let offset = 0; offset < bytes.length; offset += MiB) {
    const unit = bytes.subarray(offset, Math.min(bytes.length, offset + MiB));
    if (unit.some((b) => b !== 0)) sent += unit.length;
  }
  return sent;
}

describe.skipIf(!qemu)('drills into Azure (ARM simulator, Azurite, the real Linux guest under QEMU)', () => {
  beforeAll(async () => {
    sim = await startArmSimulator({ vcpuQuota: 10, usedVcpus: 0 });
    data = tempDirManual('lifeboat-azure-drill-');
    dir = data.dir;
    guests = plugAzureGuests(sim, qemu!, path.join(dir, 'azure'));
    const folder = path.join(dir, 'vms');
    fs.mkdirSync(folder, { recursive: true });
    drillGuestWorkstationVm(folder, 'web01');
    const vault = path.join(dir, 'vault');
    for (const args of [
      ['setup', '--organisation', 'Acme', '--vault-folder', vault],
      ['hosts', 'add', 'workstation', '--folder', folder],
      ['discover'],
      ['protect', '--vm', 'web01', '--target', vault, '--rpo', '15m', '--name', 'Web'],
      ['run', 'Web'],
      // prettier-ignore
      ['hosts', 'add', 'azure', '--tenant', sim.tenantId, '--client-id', sim.clientId, '--subscription', sim.subscriptionId,
        '--resource-group', sim.resourceGroup, '--location', sim.location, '--arm-endpoint', sim.armEndpoint,
        '--login-endpoint', sim.loginEndpoint, '--name', 'Azure DR'],
    ]) {
      const run = await lifeboat(...args);
      expect(run.status, `${args.join(' ')}: ${run.stderr}${run.stdout}`).toBe(0);
    }
    for (const vm of await call<{ id: string; name: string }[]>('listVms')) ids.set(vm.name, vm.id);
    azureHostId = (await call<{ id: string; kind: string }[]>('listHosts')).find((h) => h.kind === 'azure')!.id;
  }, 300_000);

  afterAll(async () => {
    await guests?.stopAll();
    await sim?.stop();
    data?.remove();
  });

  it('uploads only non-zero MiB of a fixed VHD, boots it in an isolated network, checks HTTP by Run Command, keeps the screenshot, deletes everything', async () => {
    const { status, drill: d } = await drill('Web in Azure', 'web01', [
      { kind: 'boot', readyText: DRILL_GUEST_READY },
      { kind: 'tcp', port: 80, timeoutSeconds: 60 },
    ]);
    const failing = d.steps.filter((s) => s.status !== 'passed').map((s) => `${s.vm}: ${s.name}: ${s.detail}`);
    expect(status, failing.join('\n')).toBe(0);
    expect(d.status).toBe('passed');
    const vm = d.vms[0]!;
    expect(vm.status).toBe('passed');

    // The disk Azure booted: a fixed VHD of the source's size rounded up to a MiB plus the 512-byte footer,
    // the same bytes as the guest's disk.
    expect(guests.started).toHaveLength(1);
    const uploaded = guests.started[0]!.disk;
    // A fixed VHD has its footer only at the end, so qemu-img is told it is one (and to read the footer's size).
    const opts = `driver=vpc,force_size_calc=current_size,file.filename=${uploaded}`;
    const info = JSON.parse(qemuImg('info', '--output=json', '--image-opts', opts)) as { format: string; 'virtual-size': number };
    expect(info.format).toBe('vpc');
    const source = drillGuestRaw();
    const sourceSize = fs.statSync(source).size;
    expect(info['virtual-size']).toBe(Math.ceil(sourceSize / MiB) * MiB);
    expect(fs.statSync(uploaded).size).toBe(info['virtual-size'] + 512);
    const footer = fs.readFileSync(uploaded).subarray(-512);
    expect(footer.subarray(0, 8).toString()).toBe('conectix');
    expect(footer.readUInt32BE(60)).toBe(2); // disk type 2: fixed
    qemuImg('compare', '--image-opts', `driver=raw,file.filename=${source}`, opts); // throws when they differ

    // Only 1 MiB units holding a non-zero byte went over the wire: Azurite's page ranges hold exactly those.
    const expected = nonZeroUnits(uploaded);
    expect(expected).toBeLessThan(fs.statSync(uploaded).size / 2);
    expect(guests.started[0]!.pageBytes).toBe(expected);
    const start = d.steps.find((s) => s.name === 'Start in isolation')!;
    expect(start.detail).toContain(`(${expected} bytes)`);
    expect(start.detail).toMatch(/\d+ non-zero 1 MiB ranges/);

    // Isolated: the VM's NIC sits in a network and NSG the drill made, and nothing else was in the group.
    const atStart = guests.started[0]!.resources.map((id) => id.split('/').slice(-2).join('/'));
    expect(atStart.sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^virtualNetworks\/lb-dr.*-vnet$/),
        expect.stringMatching(/^networkSecurityGroups\/lb-dr.*-nsg$/),
        expect.stringMatching(/^networkInterfaces\/lb-dr.*-nic$/),
        expect.stringMatching(/^disks\/lb-dr.*-os$/),
      ]),
    );
    expect(atStart).toHaveLength(5); // + the VM
    expect(d.isolation).toMatch(/NSG denying all inbound/);

    // Evidence: the readiness line from the serial log, HTTP from inside the guest, the console screenshot.
    expect(vm.checks[0]!.evidence?.find((e) => e.kind === 'serial-line')?.text).toContain(DRILL_GUEST_READY);
    expect(vm.checks[1]!.status).toBe('passed');
    expect(vm.checks[1]!.evidence?.[0]?.text).toMatch(/^port 80: HTTP\/1\.[01] 200 OK/);
    expect(guests.commands.some((c) => c.script.some((l) => l.includes('nc -w 5 127.0.0.1')))).toBe(true);
    expect(fs.readFileSync(vm.screenshot!).subarray(1, 4).toString()).toBe('PNG');

    // Measured, and nothing left in Azure.
    expect(d.rtoSeconds).toBeGreaterThan(0);
    expect(d.cleanupConfirmed).toBe(true);
    expect(sim.resources()).toEqual([]);
    expect(guests.running(guests.started[0]!.name)).toBeUndefined();
  }, 400_000);
});
