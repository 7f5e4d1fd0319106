import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Drill, DrillStep } from '../../core/contract/drills';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { DRILL_GUEST_READY, drillGuestWorkstationVm } from '../helpers/drill-guest';
import { qemuProcesses } from '../helpers/engine';
import { qemuImg } from '../helpers/qemu-images';
import { repoRoot } from '../helpers/temp';

// Drills through the `lifeboat` command, as an operator runs them, of VMware Workstation VMs copied into a real
// folder vault: a real Linux guest (scripts/drill-guest), a disk with data and no boot sector, and a disk that
// boots to a message Lifeboat cannot check. Each drill boots its VMs in QEMU under TCG from the vault.
const qemu = findQemu();
const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const BIN = path.join(repoRoot, 'bin', 'lifeboat.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Async, so this process keeps accepting connections (the isolation probe listens here) while a drill runs. */
function lifeboat(dir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--data', dir, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LIFEBOAT_DATA: '', LIFEBOAT_PASSPHRASE: PASSPHRASE },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function call<T>(dir: string, method: string, input: unknown = {}): Promise<T> {
  const run = await lifeboat(dir, 'call', method, JSON.stringify(input));
  if (run.status !== 0) throw new Error(`${method}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

/** A raw image turned into the VM's VMDK in place: the Workstation VM keeps its .vmx, its disk changes. */
function replaceDisk(vmdk: string, raw: Buffer): void {
  const rawFile = `${vmdk}.raw`;
  fs.writeFileSync(rawFile, raw);
  fs.rmSync(vmdk);
  qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', rawFile, vmdk);
  fs.rmSync(rawFile);
}

describe.skipIf(!qemu)('drill evidence on real guests, through the lifeboat command', () => {
  // One data folder for the suite: the copies made once are drilled by every test.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-evidence-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const folder = path.join(dir, 'vms');
  const ids = new Map<string, string>();

  beforeAll(async () => {
    fs.mkdirSync(folder, { recursive: true });
    drillGuestWorkstationVm(folder, 'linux-web');
    drillGuestWorkstationVm(folder, 'linux-app');
    // Data everywhere but no 55 AA signature: firmware finds nothing to boot.
    replaceDisk(
      drillGuestWorkstationVm(folder, 'no-os').disk,
      Buffer.concat([randomBytes(4 << 20).fill(0x20, 510, 512), Buffer.alloc(4 << 20)]),
    );
    // Boots, prints a line that is neither a readiness line nor a login prompt, and halts.
    replaceDisk(
      drillGuestWorkstationVm(folder, 'quiet').disk,
      Buffer.concat([markerBootSector('Hello from a guest that says nothing useful'), Buffer.alloc((8 << 20) - 512)]),
    );

    const vault = path.join(dir, 'vault');
    for (const args of [
      ['setup', '--organisation', 'Acme', '--vault-folder', vault],
      ['hosts', 'add', 'workstation', '--folder', folder],
      ['discover'],
      [
        'protect',
        '--vm',
        'linux-web',
        '--vm',
        'linux-app',
        '--vm',
        'no-os',
        '--vm',
        'quiet',
        '--target',
        vault,
        '--rpo',
        '15m',
        '--name',
        'All',
      ],
      ['run', 'All'],
    ]) {
      const run = await lifeboat(dir, ...args);
      expect(run.status, `${args.join(' ')}: ${run.stderr}${run.stdout}`).toBe(0);
    }
    for (const vm of await call<{ id: string; name: string }[]>(dir, 'listVms')) ids.set(vm.name, vm.id);
  }, 240_000);

  async function drill(plan: Record<string, unknown>): Promise<{ run: Run; drill: Drill & { steps: DrillStep[] } }> {
    const created = await call<{ id: string }>(dir, 'createPlan', { rpoTargetMinutes: 60, rtoTargetMinutes: 30, ...plan });
    const run = await lifeboat(dir, 'drill', 'run', plan.name as string, '--json');
    const { id } = JSON.parse(run.stdout) as { id: string };
    expect(created.id).toBeTruthy();
    return { run, drill: await call(dir, 'getDrill', { id }) };
  }

  it('fails a VM whose disk holds data but no boot sector within 60 s, in the words its console showed', async () => {
    const { run, drill: d } = await drill({ name: 'No OS', groups: [{ name: 'All', vms: [{ vmId: ids.get('no-os') }] }] });
    expect(run.status).toBe(1);
    expect(d.status).toBe('failed');
    const vm = d.vms[0]!;
    expect(vm.status).toBe('failed');
    expect(vm.failure).toMatch(/The console showed "(Boot failed: not a bootable disk|No bootable device\.?)"/);
    const boot = d.steps.find((s) => s.name === 'Boot')!;
    expect(boot.status).toBe('failed');
    expect(Date.parse(boot.finishedAt!) - Date.parse(d.steps.find((s) => s.name === 'Start in isolation')!.startedAt)).toBeLessThan(60_000);
    expect(vm.checks[0]!.evidence?.find((e) => e.kind === 'screen-text')?.text).toMatch(/bootable/);
    expect(fs.readFileSync(vm.screenshot!).subarray(1, 4).toString()).toBe('PNG');
    expect(path.basename(vm.screenshot!)).toContain(ids.get('no-os')!); // evidence named by the VM's id
    expect(d.cleanupConfirmed).toBe(true);
  }, 180_000);

  it('calls a guest that ran but proved nothing unverified, with the fix, and counts it as passed nowhere', async () => {
    const { run, drill: d } = await drill({ name: 'Quiet', groups: [{ name: 'All', vms: [{ vmId: ids.get('quiet') }] }] });
    expect(run.status).not.toBe(0);
    expect(d).toMatchObject({ status: 'unverified', rtoSeconds: null, cleanupConfirmed: true });
    const vm = d.vms[0]!;
    expect(vm.status).toBe('unverified');
    expect(vm.unverified?.fix).toContain('Add a TCP check');
    expect(vm.checks[0]).toMatchObject({ kind: 'boot', status: 'unverified' });
    expect(vm.checks[0]!.evidence?.find((e) => e.kind === 'serial-line')?.text).toContain('Hello from a guest');

    const day = d.startedAt.slice(0, 10);
    const summary = await call<{ drillsRun: number; drillsPassed: number; drillsUnverified: number; overall: string; reasons: string[] }>(
      dir,
      'previewReport',
      { from: day, to: day },
    );
    expect(summary.drillsPassed).toBe(0);
    expect(summary.drillsUnverified).toBeGreaterThanOrEqual(1);
    expect(summary.overall).not.toBe('ok');
    expect(summary.reasons.join(' ')).toMatch(/unverified/);
    const overview = await call<{ lastDrill: Drill | null }>(dir, 'getOverview');
    expect(overview.lastDrill?.status).toBe('unverified');
  }, 180_000);

  it('passes the real Linux guest on its serial line, its HTTP answer and its screen; fails a port it does not serve; runs the scripts in order; the guest reaches nothing', async () => {
    // The isolation probe: the guest is asked (through its own CGI) to connect to the host's loopback, 10.0.2.2 under QEMU.
    const connections: string[] = [];
    const listener = net.createServer((socket) => {
      connections.push(String(socket.remoteAddress));
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const probePort = (listener.address() as net.AddressInfo).port;

    const scripts = path.join(dir, 'scripts');
    fs.mkdirSync(scripts, { recursive: true });
    const script = (name: string, body: string): { path: string; args: string[]; timeoutSeconds: number } => {
      fs.writeFileSync(path.join(scripts, name), body);
      return { path: path.join(scripts, name), args: [name], timeoutSeconds: 60 };
    };
    const readContext = `const context = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));\n`;
    const pre = script(
      'pre.cjs',
      `${readContext}console.log('pre ' + context.phase + ' ' + context.group + ': ' + context.vms.map((v) => v.name + '=' + v.status).join(', '));\n`,
    );
    const post = script(
      'post.cjs',
      `${readContext}const web = context.vms.find((v) => v.name === 'linux-web');
(async () => {
  const port = web.address.ports['80'];
  const reach = await (await fetch('http://127.0.0.1:' + port + '/cgi-bin/reach?10.0.2.2:${probePort}')).text();
  console.log('from inside the guest: ' + reach.trim());
  if (!/^unreachable/.test(reach.trim())) process.exit(4);
})();
`,
    );
    const failing = script('final.cjs', `console.log('post failed on purpose'); process.exit(3);\n`);

    const ready = { kind: 'boot', readyText: DRILL_GUEST_READY };
    const { drill: d } = await drill({
      name: 'Linux',
      groups: [
        {
          name: 'Web',
          vms: [{ vmId: ids.get('linux-web'), checks: [ready, { kind: 'tcp', port: 80, timeoutSeconds: 60 }, { kind: 'vault-verify' }] }],
          preScript: pre,
          postScript: post,
        },
        { name: 'App', vms: [{ vmId: ids.get('linux-app'), checks: [ready, { kind: 'tcp', port: 8443, timeoutSeconds: 5 }] }] },
      ],
      postScript: failing,
    });
    listener.close();

    const web = d.vms.find((v) => v.vm === 'linux-web')!;
    expect(web.status, JSON.stringify({ web, steps: d.steps.map((s) => `${s.name}: ${s.status} ${s.detail}`) })).toBe('passed');
    const evidence = web.checks.flatMap((c) => c.evidence ?? []);
    expect(evidence.find((e) => e.kind === 'serial-line')?.text).toMatch(/^DRILL-GUEST-READY host=drillguest/);
    expect(evidence.find((e) => e.kind === 'tcp-answer')?.text).toMatch(/^HTTP\/1\.[01] 200 OK[\s\S]*drill guest OK/);
    expect(evidence.find((e) => e.kind === 'screen-text')?.text).toMatch(/DRILL-GUEST-READY|drillguest login:/);
    expect(fs.readFileSync(web.screenshot!).subarray(1, 4).toString()).toBe('PNG');

    const app = d.vms.find((v) => v.vm === 'linux-app')!;
    expect(app.status).toBe('failed');
    expect(app.failure).toContain('TCP port 8443');
    expect(app.failure).toContain('Port 8443 did not answer');

    // Scripts: in order, with the drill's context, their output in the steps; the failing one fails the drill.
    const names = d.steps.map((s) => `${s.vm ?? '-'} ${s.name}`);
    const at = (name: string): number => names.findIndex((n) => n.endsWith(name));
    expect(at('Run the pre-start script of Web')).toBeLessThan(names.indexOf('linux-web Start in isolation'));
    expect(at('Run the post-check script of Web')).toBeGreaterThan(names.indexOf('linux-web TCP port 80'));
    expect(at('Run the post-check script of Web')).toBeLessThan(names.indexOf('linux-app Start in isolation'));
    expect(at('Run the post-drill script')).toBeGreaterThan(names.indexOf('linux-app TCP port 8443'));
    const step = (name: string): DrillStep => d.steps.find((s) => s.name === name)!;
    expect(step('Run the pre-start script of Web')).toMatchObject({
      status: 'passed',
      detail: 'pre pre Web: linux-web=not started, linux-app=not started',
    });
    expect(step('Run the post-check script of Web')).toMatchObject({
      status: 'passed',
      detail: `from inside the guest: unreachable 10.0.2.2:${probePort}`,
    });
    expect(connections).toEqual([]); // and nothing reached this machine
    expect(step('Run the post-drill script')).toMatchObject({ status: 'failed' });
    expect(step('Run the post-drill script').detail).toContain('post failed on purpose');
    expect(d.failure).toContain('post-drill script failed');
    expect(d.status).toBe('failed');
    expect(d.cleanupConfirmed).toBe(true);
    expect(step('Verify nothing is left').status).toBe('passed');
    expect(fs.readdirSync(path.join(dir, 'drills'))).toEqual([]);
    expect(qemuProcesses('lifeboat-drill')).toEqual([]);
  }, 300_000);
});
