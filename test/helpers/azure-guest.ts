import fs from 'node:fs';
import path from 'node:path';
import { AnonymousCredential, BlobClient, PageBlobClient } from '@azure/storage-blob';
import { startQemuVm, type QemuVm } from '../../core/drills/qemu-sandbox';
import type { ArmSimulator } from './arm-simulator';
import { DRILL_GUEST_READY } from './drill-guest';

export interface AzureGuests {
  /**
   * Every VM the simulator started: the disk bytes Azure held at that moment, the bytes in its page ranges (what
   * was written to the page blob), and the resource group's resources then.
   */
  started: { name: string; disk: string; resources: string[]; pageBytes: number }[];
  /** Run Command scripts, as the guest received them. */
  commands: { vmName: string; script: string[] }[];
  running(name: string): QemuVm | undefined;
  stopAll(): Promise<void>;
}

/**
 * Makes the ARM simulator's VMs real: "start" downloads the managed disk's page blob (the fixed VHD Azure would
 * boot) and boots it in QEMU under TCG; boot diagnostics return that QEMU's serial output and screen; Run
 * Command types the script into the drill guest's root shell on its serial console and reads the answer back.
 */
export function plugAzureGuests(sim: ArmSimulator, qemu: string, workDir: string): AzureGuests {
  const vms = new Map<string, QemuVm>();
  const queues = new Map<string, Promise<unknown>>();
  const guests: AzureGuests = {
    started: [],
    commands: [],
    running: (name) => vms.get(name),
    async stopAll() {
      await Promise.all([...vms.values()].map((vm) => vm.stop()));
      vms.clear();
    },
  };
  let serialNumber = 0;

  sim.onStart = async (vm) => {
    const dir = path.join(workDir, `${vm.name}-${++serialNumber}`);
    fs.mkdirSync(dir, { recursive: true });
    const disk = path.join(dir, 'os.vhd');
    await new BlobClient(vm.osDiskBlobUrl).downloadToFile(disk);
    const ranges = (await new PageBlobClient(vm.osDiskBlobUrl, new AnonymousCredential()).getPageRanges()).pageRange ?? [];
    // Page ranges are whole 512-byte pages; the SDK's count comes back one short of the inclusive end (end - start).
    const pageBytes = ranges.reduce((sum, r) => sum + Math.ceil((r.count ?? 0) / 512) * 512, 0);
    guests.started.push({ name: vm.name, disk, resources: sim.resources(), pageBytes });
    const booted = await startQemuVm(
      qemu,
      {
        name: vm.name,
        disks: [{ file: disk, format: 'vpc' }],
        memoryMiB: 256,
        firmware: 'bios',
        forwardPorts: [],
        accel: 'tcg',
        serialInput: true,
      },
      dir,
    );
    vms.set(vm.name, booted);
  };
  sim.onStop = async (vm) => {
    await vms.get(vm.name)?.stop();
    vms.delete(vm.name);
  };
  sim.onBootDiagnostics = async (name) => {
    const vm = vms.get(name);
    if (!vm || vm.exitStatus()) return null;
    const file = path.join(workDir, `${name}-screen.png`);
    const shot = await vm.screenshot(file).then(
      () => fs.readFileSync(file),
      () => undefined,
    );
    return { serialLog: vm.serialOutput(), ...(shot ? { screenshotPng: shot } : {}) };
  };
  sim.onRunCommand = (vmName, script) => {
    guests.commands.push({ vmName, script });
    // One command at a time per guest, as the Azure agent runs them.
    const previous = queues.get(vmName) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => serialShell(vms.get(vmName), vmName, script));
    queues.set(vmName, next);
    return next;
  };
  return guests;
}

let commandNumber = 0;

/**
 * Runs the script in the guest's serial shell: base64 in, so quoting survives the terminal; stderr lines marked,
 * so they come back apart from stdout. The markers are echoed split in two, so the terminal's echo of the
 * typed line never matches them.
 */
async function serialShell(vm: QemuVm | undefined, vmName: string, script: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!vm) throw new Error(`VM ${vmName} is not running in the test guest harness`);
  await vm.waitForSerial(DRILL_GUEST_READY, 180_000, AbortSignal.timeout(180_000));
  const n = ++commandNumber;
  const from = vm.serialOutput().length;
  const encoded = Buffer.from(`${script.join('\n')}\n`)
    .toString('base64')
    .replace(/\n/g, '');
  vm.writeSerial(`echo "RC""-OUT-${n}"; (echo ${encoded} | base64 -d | sh 2>&1 1>&3 | sed 's/^/rc-err: /') 3>&1; echo "RC""-END-${n}"\n`);
  await vm.waitForSerial(`RC-END-${n}`, 60_000, AbortSignal.timeout(60_000));
  const text = vm.serialOutput().slice(from).replace(/\r/g, '');
  const body = text.slice(text.indexOf(`RC-OUT-${n}\n`) + `RC-OUT-${n}\n`.length, text.indexOf(`RC-END-${n}`));
  const lines = body.split('\n');
  return {
    stdout: lines
      .filter((l) => !l.startsWith('rc-err: '))
      .join('\n')
      .trim(),
    stderr: lines
      .filter((l) => l.startsWith('rc-err: '))
      .map((l) => l.slice('rc-err: '.length))
      .join('\n')
      .trim(),
  };
}
