import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient } from '../../core/drills/qmp';
import { WorkstationHost } from '../../core/hypervisors/workstation/provider';
import { DRILL_GUEST_HOST, DRILL_GUEST_READY, drillGuestKey, drillGuestRaw, drillGuestWorkstationVm } from '../helpers/drill-guest';
import { qemuImg } from '../helpers/qemu-images';
import { tempDir, tempDirManual } from '../helpers/temp';

const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value, QEMU dies, or the deadline passes. */
async function waitFor<T>(
  what: string,
  deadlineMs: number,
  check: () => T | undefined | Promise<T | undefined>,
  dead: () => string | null,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const died = dead();
    if (died) throw new Error(`${what}: ${died}`);
    if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The VGA text screen (80x25 at 0xb8000: character, attribute, ...) as lines, read through the monitor. */
async function vgaText(qmp: QmpClient): Promise<string> {
  const dump = (await qmp.execute('human-monitor-command', { 'command-line': 'xp /2000hx 0xb8000' })) as string;
  const words = [...dump.matchAll(/^[0-9a-f]+:((?:\s+0x[0-9a-f]{4})+)/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  const chars = words.map((w) => {
    const c = parseInt(w, 16) & 0xff;
    return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ' ';
  });
  const lines: string[] = [];
  for (let row = 0; row < 25; row++)
    lines.push(
      chars
        .slice(row * 80, row * 80 + 80)
        .join('')
        .trimEnd(),
    );
  return lines.join('\n').trimEnd();
}

async function get(port: number, urlPath: string): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(20_000) });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe.skipIf(!hasQemu)('drill guest: a real Linux booted under QEMU TCG, IDE disk, e1000, restricted user network', () => {
  let work: { dir: string; remove(): void } | null = null;
  let vm: ChildProcessWithoutNullStreams;
  let qmp: QmpClient | null = null;
  let serial = '';
  let stderr = '';
  let exited: string | null = null;
  let httpPort = 0;
  let readySeconds = 0;

  beforeAll(async () => {
    const disk = drillGuestRaw();
    work = tempDirManual('lifeboat-drill-guest-');
    httpPort = await freePort();
    const qmpSocket = path.join(work.dir, 'qmp.sock');
    const started = performance.now();
    vm = spawn('qemu-system-x86_64', [
      '-machine',
      'pc,accel=tcg',
      '-m',
      '256',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-qmp',
      `unix:${qmpSocket},server=on,wait=off`,
      '-nic',
      `user,model=e1000,restrict=on,hostfwd=tcp:127.0.0.1:${httpPort}-:80`,
      '-drive',
      `file=${disk},format=raw,if=ide,index=0,snapshot=on`,
      '-no-reboot',
    ]);
    vm.stdout.on('data', (chunk: Buffer) => (serial += chunk.toString('latin1')));
    vm.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    vm.on(
      'exit',
      (code, signal) => (exited = `QEMU exited (${code ?? signal}): ${stderr.trim()} serial: ${JSON.stringify(serial.slice(-2000))}`),
    );

    await waitFor(
      DRILL_GUEST_READY,
      60_000,
      () => (serial.includes(DRILL_GUEST_READY) ? true : undefined),
      () => exited,
    );
    readySeconds = (performance.now() - started) / 1000;
    console.log(`drill guest: ${DRILL_GUEST_READY} on the serial port ${readySeconds.toFixed(1)} s after QEMU started`);
    const socket = await waitFor(
      'QMP socket',
      10_000,
      () => (fs.existsSync(qmpSocket) ? net.connect(qmpSocket) : undefined),
      () => exited,
    );
    qmp = await QmpClient.over(socket);
  }, 90_000);

  afterAll(async () => {
    qmp?.close();
    if (vm && vm.exitCode === null && vm.signalCode === null) {
      const gone = new Promise((resolve) => vm.once('exit', resolve));
      vm.kill('SIGKILL');
      await gone;
    }
    work?.remove();
  });

  it('prints the READY line on COM1 within 60 s, and never the marker of the synthetic disks', () => {
    expect(serial).toMatch(/DRILL-GUEST-READY host=drillguest ip=10\.0\.2\.15 httpd=:80 uptime=[\d.]+s/);
    expect(serial).not.toContain('LIFEBOAT-BOOT-OK');
    expect(readySeconds).toBeLessThan(60);
  });

  it('serves its page and its status over the forwarded port', async () => {
    const page = await get(httpPort, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('drill guest OK');
    const status = await get(httpPort, '/cgi-bin/status');
    expect(status.status).toBe(200);
    expect(status.type).toContain('text/plain');
    expect(status.body).toContain(`host=${DRILL_GUEST_HOST}\n`);
    expect(status.body).toMatch(/^uptime=[\d.]+$/m);
    expect(status.body).toContain(`drill-id=drillguest-${drillGuestKey()}\n`);
  });

  it('cannot reach the host: 10.0.2.2 is the host loopback under user networking, and restrict=on cuts it off', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const reach = await get(httpPort, `/cgi-bin/reach?10.0.2.2:${port}`);
      expect(reach.body).toBe(`unreachable 10.0.2.2:${port}\n`);
      expect(connections).toBe(0);
      // The probe itself works: the guest reaches its own web server.
      expect((await get(httpPort, '/cgi-bin/reach?127.0.0.1:80')).body).toBe('reached 127.0.0.1:80\n');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a query that is not IP:PORT, so nothing reaches the shell', async () => {
    for (const query of ['10.0.2.2;id', '$(id):80', '10.0.2.2:80%20-e%20sh', '-e:1', '10.0.2.2']) {
      expect((await get(httpPort, `/cgi-bin/reach?${query}`)).body, query).toBe('invalid query\n');
    }
  });

  it('shows Linux text, not firmware, on the VGA screen', async () => {
    const screen = await waitFor(
      'login prompt on the VGA screen',
      20_000,
      async () => {
        const text = await vgaText(qmp!);
        return text.includes(`${DRILL_GUEST_HOST} login:`) ? text : undefined;
      },
      () => exited,
    );
    console.log(`drill guest: VGA text screen:\n${screen}`);
    expect(screen).toContain(DRILL_GUEST_READY);
    expect(screen).not.toMatch(/No bootable device|Boot failed|SeaBIOS/);
  });
});

describe('drill guest as a VMware Workstation VM', () => {
  it('is discovered by the Workstation provider, with its VMDK holding the same disk', async () => {
    const lab = tempDir();
    const { vmx, disk } = drillGuestWorkstationVm(path.join(lab, 'drill-web'), 'drill-web');
    const host = new WorkstationHost(
      { id: 'h1', name: 'Workstation', kind: 'workstation', address: null, settings: { folders: [lab] }, credentials: null },
      { vmrun: null, inventoryFile: null },
    );
    const vm = (await host.listVms()).find((found) => found.name === 'drill-web');
    expect(vm).toMatchObject({ externalId: vmx, powerState: 'off', cpus: 1, memoryMiB: 256, firmware: 'bios', guestOs: 'other5xlinux-64' });
    expect(vm!.disks).toEqual([
      expect.objectContaining({ key: 'ide0:0', path: 'drill-web.vmdk', format: 'vmdk', capacityBytes: 64 * 1024 * 1024 }),
    ]);
    expect(vm!.nics).toHaveLength(1);
    expect(qemuImg('compare', '-f', 'vmdk', '-F', 'raw', disk, drillGuestRaw())).toContain('identical');
  });
});
