import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AZURE_VM_SIZES, azureSizeFor, type AzureVmSize } from '../contract/azure-sizes';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { AzureSiteOps, AzureUploadedDisk, Hypervisor } from '../hypervisors/types';
import type { JobResource } from '../store/jobs';
import { checkScript, parseCheckScript, parseTcpProbe, tcpProbeScript, type GuestOs } from './azure-run-command';
import { watchBoot, type BootConsole } from './boot-watch';
import { scriptCheckResult, tcpCheckResult } from './hypervisor-sandbox';
import type { CheckResult, DrillSandbox, SandboxVm, SandboxVmSpec } from './sandbox';

/** The set id Lifeboat's Azure provider removes as a whole when a leftover names it (hypervisors/azure/provider.ts). */
export const azureSetRef = (setId: string): string => `azure-set:${setId}`;

/**
 * The isolated network of one drill, shared by its VMs (the engine asks for a sandbox per VM, and VMs of a
 * plan talk to each other as they do at home): created by the first VM that boots, removed with the last.
 */
export class AzureDrillNetwork {
  private created: Promise<{ subnetId: string; description: string }> | null = null;
  private members = 0;

  constructor(readonly setId: string) {}

  acquire(site: AzureSiteOps, signal: AbortSignal): Promise<{ subnetId: string; description: string }> {
    this.members++;
    this.created ??= site.createIsolatedNetwork(this.setId, signal);
    return this.created;
  }

  /** Called once per acquire; the last one out deletes the network. Returns what is still there. */
  async release(site: AzureSiteOps): Promise<string[]> {
    this.members = Math.max(0, this.members - 1);
    return this.members === 0 ? site.removeSet(this.setId) : [];
  }

  async isGone(site: AzureSiteOps): Promise<boolean> {
    return this.members > 0 || (await site.listSet(this.setId)).length === 0;
  }
}

export interface AzureSandboxOptions {
  hypervisor: Hypervisor;
  hostId: string;
  network: AzureDrillNetwork;
  /** An Azure size the plan chose; by default the smallest common size with the VM's vCPUs and memory. */
  size?: string | null;
  /** Milliseconds between reads of boot diagnostics while the boot is watched (Azure refreshes them every few seconds). */
  diagnosticsEveryMs?: number;
}

/**
 * Drills in Azure: each VM's restored system disk (a fixed VHD) uploaded to a managed disk, a VM of the
 * matching size started on it in the drill's isolated network, its boot read from the boot-diagnostics serial
 * log, ports and scripts checked inside the guest through Run Command, and every resource it made deleted.
 */
export function azureDrillSandbox(options: AzureSandboxOptions): DrillSandbox {
  const { hypervisor, hostId, network } = options;
  const site = hypervisor.azure;
  if (!site) throw new LifeboatError('INTERNAL', `Host ${hostId} is not an Azure recovery site.`);
  const vmSet = (spec: SandboxVmSpec): string => `${network.setId}-${shortHash(spec.key ?? spec.name)}`;
  const resources = (spec: SandboxVmSpec): JobResource[] => [
    { kind: 'vm', hostId, ref: { vmId: azureSetRef(vmSet(spec)) }, description: `Azure drill resources of ${spec.name}` },
    { kind: 'vm', hostId, ref: { vmId: azureSetRef(network.setId) }, description: 'Azure drill network' },
  ];
  return {
    isolation: `Azure ${site.location}, resource group ${site.resourceGroup}: a network of the drill's own, not peered, no gateway, NSG denying all inbound and outbound Internet`,
    diskFormat: 'vhd-fixed',
    plannedResources: resources,
    async boot(spec, signal) {
      const setId = vmSet(spec);
      const os: GuestOs = spec.guestOs && /windows/i.test(spec.guestOs) ? 'Windows' : 'Linux';
      const size = pickSize(options.size ?? null, spec);
      await checkQuota(site, size, spec.name);
      const [system, ...data] = spec.disks;
      if (!system) throw new LifeboatError('INVALID_INPUT', `${spec.name} has no restored disk to start from.`);
      const vmName = `lb-${setId}-vm`;
      const discard = async (error: unknown): Promise<never> => {
        // What a failed start made is deleted now; what cannot be deleted stays recorded on the job for the next start.
        await site.removeSet(setId).catch(() => undefined);
        await network.release(site).catch(() => undefined);
        throw error;
      };
      const net = await network.acquire(site, signal).catch(discard);
      const { disk, poweredOn } = await startInAzure(site, { setId, vmName, system, os, size, subnetId: net.subnetId, spec, signal }).catch(
        discard,
      );
      const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0)} MiB`;
      const started = [
        `Uploaded ${mib(disk.bytesSent)} (${disk.bytesSent} bytes) of the ${mib(disk.fileBytes)} fixed VHD (${disk.ranges.length} non-zero 1 MiB ranges; zeros are never sent) to managed disk ${disk.name}.`,
        `Started ${vmName} (${size.name}, ${size.vcpus} vCPU, ${size.memoryMiB} MiB) in ${net.description}.`,
        ...(data.length
          ? [`${data.length} data disk(s) not attached: Lifeboat attaches only the system disk to Azure drill VMs so far.`]
          : []),
      ].join(' ');
      return azureVm(
        site,
        { vmName, os, poweredOn, started, resources: resources(spec), everyMs: options.diagnosticsEveryMs ?? 5000 },
        {
          remove: async () => {
            const left = [...(await site.removeSet(setId)), ...(await network.release(site))];
            if (left.length > 0)
              throw new LifeboatError('INTERNAL', `Azure still lists ${left.length} resource(s) of this drill: ${left.join(', ')}.`, {
                fix: `Delete them in the Azure portal (resource group ${site.resourceGroup}, tag lifeboat-set), or start Lifeboat again: it retries at start.`,
              });
          },
          isGone: async () => (await site.listSet(setId)).length === 0 && (await network.isGone(site)),
        },
      );
    },
    close: () => hypervisor.close(),
  };
}

interface StartSpec {
  setId: string;
  vmName: string;
  system: string;
  os: GuestOs;
  size: AzureVmSize;
  subnetId: string;
  spec: SandboxVmSpec;
  signal: AbortSignal;
}

/** The system disk uploaded and the VM created on it (Azure starts a VM it creates). */
async function startInAzure(site: AzureSiteOps, start: StartSpec): Promise<{ disk: AzureUploadedDisk; poweredOn: number }> {
  const { spec, signal } = start;
  const disk = await site.uploadDisk(start.setId, 'os', start.system, {
    osType: start.os,
    generation: spec.firmware === 'uefi' ? 'V2' : 'V1',
    signal,
    onProgress: (done, total) => spec.onProgress?.(`Uploading ${spec.name}'s system disk to Azure`, done, total),
  });
  await site.createVm(
    start.setId,
    { name: start.vmName, size: start.size.name, osDiskId: disk.id, osType: start.os, subnetId: start.subnetId },
    signal,
  );
  return { disk, poweredOn: performance.now() };
}

interface AzureVmContext {
  vmName: string;
  os: GuestOs;
  poweredOn: number;
  started: string;
  resources: JobResource[];
  everyMs: number;
}

/** The drill VM in Azure: checks and evidence read through boot diagnostics and Run Command. */
function azureVm(site: AzureSiteOps, vm: AzureVmContext, cleanup: { remove(): Promise<void>; isGone(): Promise<boolean> }): SandboxVm {
  const diagnostics = bootDiagnosticsConsole(site, vm);
  const runCommand = async (script: string[], timeoutSeconds: number, signal: AbortSignal) =>
    site.runCommand(vm.vmName, vm.os, script, AbortSignal.any([signal, AbortSignal.timeout(timeoutSeconds * 1000)]));
  const commandFailed = (what: string, error: unknown, signal: AbortSignal, timeoutSeconds: number): CheckResult => {
    if (signal.aborted) throw error;
    if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError')
      return { status: 'failed', detail: `${what}: Run Command did not answer within ${timeoutSeconds} s.`, fix: RUN_COMMAND_FIX };
    const failure = toLifeboatError(error);
    return { status: 'failed', detail: `${what}: ${failure.message}`, fix: failure.fix ?? RUN_COMMAND_FIX };
  };
  return {
    resources: vm.resources,
    started: vm.started,
    address: null,
    checkBoot(timeoutSeconds, signal, options) {
      return watchBoot(diagnostics, {
        timeoutSeconds,
        signal,
        readyText: options?.readyText ?? null,
        restartUnderTcg: () => Promise.reject(new Error('Azure VMs do not run under QEMU')),
      });
    },
    async checkHeartbeat() {
      return {
        status: 'skipped',
        detail: 'Heartbeat: not read for Azure VMs; the boot check reads the serial log and TCP checks run inside the guest.',
        fix: 'Use a boot or TCP check for VMs recovered into Azure.',
      };
    },
    async checkTcp(port, timeoutSeconds, signal) {
      try {
        const answer = await runCommand(tcpProbeScript(vm.os, port), timeoutSeconds, signal);
        const result = parseTcpProbe(answer.stdout, port);
        if (!result)
          return {
            status: 'failed',
            detail: `Port ${port}: Run Command answered, but not with the probe's result line.`,
            fix: RUN_COMMAND_FIX,
            evidence: [{ kind: 'script-output', text: `${answer.stdout}\n${answer.stderr}`.trim().slice(0, 4000) }],
          };
        return tcpCheckResult(port, timeoutSeconds, result);
      } catch (error) {
        return commandFailed(`Port ${port}`, error, signal, timeoutSeconds);
      }
    },
    async runScript(script, timeoutSeconds, signal) {
      try {
        return scriptCheckResult(timeoutSeconds, parseCheckScript(await runCommand(checkScript(vm.os, script), timeoutSeconds, signal)));
      } catch (error) {
        return commandFailed('The check script', error, signal, timeoutSeconds);
      }
    },
    async screenshot(file) {
      const { screenshotPng } = await site.bootDiagnostics(vm.vmName);
      if (!screenshotPng || screenshotPng.length === 0) return false;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, screenshotPng);
      return true;
    },
    stop: () => site.powerOff(vm.vmName),
    remove: cleanup.remove,
    isGone: cleanup.isGone,
  };
}

const RUN_COMMAND_FIX =
  "Run Command needs the Azure VM agent (waagent on Linux, the Guest Agent on Windows) installed in the guest: install it in the source VM so recovered copies have it, or check the port by a boot check's readiness line instead.";

/**
 * The serial log of boot diagnostics as the console watchBoot reads: refreshed at most every `everyMs`
 * (each read is an ARM call and two blob downloads); Azure shows no text screen, only a screenshot.
 */
function bootDiagnosticsConsole(site: AzureSiteOps, vm: AzureVmContext): BootConsole {
  let serial = '';
  let power = 'running';
  let readAt = -Infinity;
  const refresh = async (): Promise<void> => {
    if (performance.now() - readAt < vm.everyMs) return;
    readAt = performance.now();
    const [diagnostics, state] = await Promise.all([site.bootDiagnostics(vm.vmName), site.powerState(vm.vmName)]);
    serial = diagnostics.serialLog ?? serial;
    power = state;
  };
  return {
    serial: () => serial,
    async screen() {
      await refresh();
      return '';
    },
    exitStatus: () => (/^(stopped|deallocated)$/.test(power) ? { code: null, stderr: '', reason: `Azure reports the VM ${power}` } : null),
    kvmFailed: async () => false,
    poweredOn: () => vm.poweredOn,
  };
}

/** The plan's size when it names a known one (or any Standard_ name: Azure has hundreds), else from CPU and memory. */
function pickSize(chosen: string | null, spec: SandboxVmSpec): AzureVmSize {
  if (chosen) {
    const known = AZURE_VM_SIZES.find((s) => s.name.toLowerCase() === chosen.toLowerCase());
    return known ?? { name: chosen, vcpus: spec.cpus, memoryMiB: spec.memoryMiB, family: '' };
  }
  return azureSizeFor(spec.cpus, spec.memoryMiB);
}

/** Refuses before any upload when the region's vCPU quota cannot hold the VM (Azure would refuse the VM after it). */
async function checkQuota(site: AzureSiteOps, size: AzureVmSize, vmName: string): Promise<void> {
  const quota = await site.quota();
  const family = size.family ? quota.families[size.family] : undefined;
  for (const [what, entry] of [
    ['regional', quota.cores],
    [size.family, family],
  ] as const) {
    if (!entry || entry.used + size.vcpus <= entry.limit) continue;
    throw new LifeboatError(
      'CONFLICT',
      `${vmName} needs ${size.vcpus} vCPU (${size.name}), but the ${what} vCPU quota of ${site.location} has ${Math.max(0, entry.limit - entry.used)} of ${entry.limit} free.`,
      {
        fix: `Request more ${what} vCPU quota in ${site.location} (Azure portal → Subscriptions → Usage + quotas), stop VMs that use it, or give the VM a smaller size in the recovery plan.`,
      },
    );
  }
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);
