import fs from 'node:fs';
import path from 'node:path';
import type { ConsoleApi } from '../contract/api';
import { LifeboatError, toLifeboatError } from '../contract/errors';
import type { Vm } from '../contract/hosts';
import type { Possible, RestoreKind, RestoreOutcome } from '../contract/restore';
import { vmFileName } from '../drills/vm-file-name';
import type { JobRunContext } from '../jobs/queue';
import { openVaultPort, type VaultPortDeps } from '../replication/vault-adapter';
import type { RoomDeps } from '../service-context';
import { DrillsStore } from '../store/drills';
import { HostsStore, type HostRecord } from '../store/hosts';
import { JobsStore } from '../store/jobs';
import { RecoveryPointsStore, type CatalogPoint } from '../store/recovery-points';
import { VmsStore } from '../store/vms';
import { newVmPlacement, newVmPossible } from './placement';
import { vmPoints } from './points';
import { reserveDiskFile, restoreAsNewVm, restoreDiskToFile, restoreOverOriginal, type RestoreRunDeps } from './run';

/** What this module needs from the engine (see RoomDeps). */
export type RestoreDeps = RoomDeps<'audit' | 'clock' | 'dataDir' | 'db' | 'hosts' | 'jobs' | 'operator' | 'targets'> & VaultPortDeps;

type RestoreApi = Pick<ConsoleApi, 'getVmRecovery' | 'restoreDiskToFile' | 'restoreVmAsNew' | 'restoreVmOverOriginal' | 'getRestore'>;

/** How this room asks the hosts room to list a host's VMs again (a new VM is in the catalog once discovered). */
export type Rediscover = (hostId: string) => Promise<unknown>;

/**
 * Restores a person starts from a VM's page. Every input is checked before a job is queued, so most
 * mistakes come back at once with their fix; what fails while running is kept with its fix for getRestore.
 */
export function restoreApi(ctx: RestoreDeps, rediscover: Rediscover): RestoreApi {
  const vms = new VmsStore(ctx.db);
  const hosts = new HostsStore(ctx.db);
  const points = new RecoveryPointsStore(ctx.db);
  const drills = new DrillsStore(ctx.db);
  const jobs = new JobsStore(ctx.db);
  const outcomes = new Map<string, RestoreOutcome>();
  const deps: RestoreRunDeps = {
    openVault: (targetId) => openVaultPort(ctx, targetId, { readOnly: true }),
    connect: (hostId) => ctx.hosts.connect(hostId),
    hold: (jobId, resources) => jobs.setResources(jobId, resources),
  };
  const defaultFolder = path.join(ctx.dataDir, 'restores');

  const submit = restoreSubmitter(ctx, outcomes);

  return {
    async getVmRecovery({ vmId }) {
      const vm = findVm(vms, vmId);
      const candidates = hosts
        .list()
        .filter((host) => host.kind === vm.hostKind)
        .sort((a, b) => Number(b.id === vm.hostId) - Number(a.id === vm.hostId));
      return {
        vm,
        points: vmPoints(vm, { points, drills, targets: ctx.targets }),
        diskFormat: diskFormat(vm),
        defaultFolder,
        newVmHosts: candidates.map((host) => ({ hostId: host.id, name: host.name, kind: host.kind, possible: newVmPossible(host, vm) })),
        overOriginal: overOriginal(hosts, vm),
      };
    },

    async restoreDiskToFile({ vmId, pointId, disk, folder }) {
      const vm = findVm(vms, vmId);
      const point = findPoint(points, vm, pointId);
      const format = diskFormat(vm);
      notBusy(ctx, vm);
      // Reserved now, so the caller learns the file's name (and a folder it cannot write) before the job runs.
      const file = reserveDiskFile(folder ?? defaultFolder, vm, point, disk, format);
      const jobId = submit(
        'disk',
        vm,
        point,
        `Restore disk ${disk} of ${vm.name}`,
        vm.hostId,
        async (_id, run) => ({ file, summary: `${await restoreDiskToFile(deps, vm, point, disk, format, file, run)} written to ${file}` }),
        () => fs.rmSync(file, { force: true }),
      );
      outcomes.get(jobId)!.file = file;
      return { jobId, file };
    },

    async restoreVmAsNew({ vmId, pointId, name, hostId }) {
      const vm = findVm(vms, vmId);
      const point = findPoint(points, vm, pointId);
      const host = newVmHost(hosts, vms, vm, hostId, name);
      const key = vmFileName(point.id, name);
      const placement = newVmPlacement(host, vm, name, key, path.join(ctx.dataDir, 'restores', 'staging'), () =>
        ctx.hosts.connect(host.id),
      );
      // Checked here as well as in the job, so a taken folder is refused before anything is queued.
      if (fs.existsSync(placement.diskFolder))
        throw new LifeboatError('CONFLICT', `${placement.diskFolder} already exists on ${host.name}.`, {
          field: 'name',
          fix: 'Choose another name for the new VM.',
        });
      const jobId = submit('new-vm', vm, point, `Restore ${vm.name} as ${name}`, host.id, async (_id, run) => {
        const created = await restoreAsNewVm(deps, vm, point, name, host.id, placement, key, run);
        // Listed again so the new VM has its catalog id (and shows on the Virtual machines page) when the job ends.
        await rediscover(host.id).catch(() => undefined);
        const listed = vms.list(host.id).find((candidate) => candidate.externalId === created.vmId);
        return {
          newVm: { vmId: listed?.id ?? null, name, hostId: host.id, hostName: host.name, configPath: created.configPath },
          summary: `${name} registered on ${host.name}, powered off, with no network adapter`,
        };
      });
      return { jobId };
    },

    async restoreVmOverOriginal({ vmId, pointId, confirm }) {
      const vm = findVm(vms, vmId);
      const point = findPoint(points, vm, pointId);
      if (confirm.trim() !== vm.name) {
        throw new LifeboatError(
          'CONFIRMATION_MISMATCH',
          `Restoring over ${vm.name} replaces its disks: type its name "${vm.name}" to confirm.`,
          { field: 'confirm', fix: `Pass confirm: "${vm.name}".` },
        );
      }
      const possible = overOriginal(hosts, vm);
      if (!possible.ok)
        throw new LifeboatError('CONFLICT', possible.reason!, {
          fix: 'Restore it as a new VM instead, or shut it down and refresh the Virtual machines page.',
        });
      const jobId = submit('over-original', vm, point, `Restore ${vm.name} over itself`, vm.hostId, async (_id, run) => ({
        summary: await restoreOverOriginal(deps, vm, point, run),
      }));
      return { jobId };
    },

    async getRestore({ jobId }) {
      return outcomes.get(jobId) ?? outcomeFromJobRecord(jobs, jobId);
    },
  };
}

function findVm(vms: VmsStore, vmId: string): Vm {
  const vm = vms.get(vmId);
  if (!vm)
    throw new LifeboatError('VM_NOT_FOUND', `There is no VM ${vmId} in the inventory.`, {
      fix: 'Refresh the Virtual machines page; if the VM was removed, its points are still in the vault (`lifeboat vault list`).',
    });
  return vm;
}

function findPoint(points: RecoveryPointsStore, vm: Vm, pointId: string): CatalogPoint {
  const point = points.get(pointId);
  if (!point || point.vmId !== vm.id)
    throw new LifeboatError('NOT_FOUND', `${vm.name} has no recovery point ${pointId}.`, {
      field: 'pointId',
      fix: 'Reload the VM page and pick one of its points.',
    });
  return point;
}

const diskFormat = (vm: Vm): 'vhdx' | 'vmdk' => (vm.hostKind === 'hyperv' ? 'vhdx' : 'vmdk');

/** Restoring over the VM itself: only where Lifeboat writes the VM's files directly, and only while it is off. */
function overOriginal(hosts: HostsStore, vm: Vm): Possible {
  const host = hosts.get(vm.hostId);
  const localFiles = vm.hostKind === 'workstation' || (vm.hostKind === 'hyperv' && host?.address === null);
  if (!localFiles)
    return {
      ok: false,
      reason: `Lifeboat cannot write ${vm.name}'s disks on ${vm.hostName} from this machine. Restore it as a new VM instead.`,
    };
  if (vm.powerState !== 'off')
    return {
      ok: false,
      reason: `${vm.name} is ${vm.powerState}. Shut it down first: its disks cannot be replaced while it may write to them.`,
    };
  return { ok: true, reason: null };
}

/** The host a new VM goes to (the source's own by default), refused when it cannot take it or has the name already. */
function newVmHost(hosts: HostsStore, vms: VmsStore, vm: Vm, hostId: string | undefined, name: string): HostRecord {
  const host = hosts.get(hostId ?? vm.hostId);
  if (!host)
    throw new LifeboatError('NOT_FOUND', `There is no host ${hostId} in the catalog.`, {
      field: 'hostId',
      fix: 'Pick one of the hosts offered on the VM page.',
    });
  const possible = newVmPossible(host, vm);
  if (!possible.ok)
    throw new LifeboatError('CONFLICT', possible.reason!, { field: 'hostId', fix: 'Choose another host, or restore the disk to a file.' });
  if (vms.list(host.id).some((other) => other.name.toLowerCase() === name.toLowerCase())) {
    throw new LifeboatError('CONFLICT', `${host.name} already has a VM named ${name}.`, {
      field: 'name',
      fix: 'Choose a name no VM on that host has, e.g. with "-restored" at the end.',
    });
  }
  return host;
}

function notBusy(ctx: RestoreDeps, vm: Vm): void {
  if (ctx.jobs.isBusy(`restore:${vm.id}`))
    throw new LifeboatError('CONFLICT', `A restore of ${vm.name} is already running.`, {
      fix: 'Wait for it to finish (Activity page), then start the next one.',
    });
}

type RestoreWork = (jobId: string, run: JobRunContext) => Promise<Partial<RestoreOutcome>>;
type Submit = (
  kind: RestoreKind,
  vm: Vm,
  point: CatalogPoint,
  title: string,
  hostId: string,
  work: RestoreWork,
  onNeverRan?: () => void,
) => string;

/**
 * Queues a restore as a job and keeps its outcome (with the typed error's fix when it fails) for getRestore;
 * `onNeverRan` undoes what was reserved for a job cancelled before it started.
 */
function restoreSubmitter(ctx: RestoreDeps, outcomes: Map<string, RestoreOutcome>): Submit {
  return (kind, vm, point, title, hostId, work, onNeverRan = () => undefined) => {
    notBusy(ctx, vm);
    const { job, done } = ctx.jobs.submit({
      key: `restore:${vm.id}`,
      kind: 'restore',
      title,
      trigger: 'manual',
      vmId: vm.id,
      policyId: null,
      hostId,
      targetId: point.targetId,
      run: async (run) => {
        const outcome = outcomes.get(run.jobId)!;
        try {
          Object.assign(outcome, await work(run.jobId, run), { status: 'succeeded', finishedAt: ctx.clock.now().toISOString() });
          ctx.audit.append(ctx.operator, 'restore.finished', vm.name, {
            jobId: run.jobId,
            kind,
            pointId: point.id,
            summary: outcome.summary,
          });
          return { bytesRead: 0, bytesStored: 0, appConsistent: null, message: outcome.summary ?? 'Restored.' };
        } catch (error) {
          const failure = toLifeboatError(error);
          const cancelled = run.signal.aborted || failure.code === 'CANCELLED';
          Object.assign(outcome, {
            status: cancelled ? 'cancelled' : 'failed',
            finishedAt: ctx.clock.now().toISOString(),
            error: cancelled ? null : failure.toBody(),
          });
          ctx.audit.append(ctx.operator, 'restore.failed', vm.name, { jobId: run.jobId, kind, pointId: point.id, error: failure.message });
          throw failure;
        }
      },
    });
    outcomes.set(job.id, {
      jobId: job.id,
      kind,
      vmId: vm.id,
      pointId: point.id,
      status: 'running',
      startedAt: ctx.clock.now().toISOString(),
      finishedAt: null,
      file: null,
      newVm: null,
      summary: null,
      error: null,
    });
    // Cancelled while waiting in the queue (or the engine closed): the work never ran, so it settles here.
    void done.then((settled) => {
      const outcome = outcomes.get(job.id);
      if (outcome?.status !== 'running') return;
      Object.assign(outcome, {
        status: settled.status === 'succeeded' ? 'succeeded' : settled.status === 'failed' ? 'failed' : 'cancelled',
        finishedAt: settled.finishedAt,
      });
      onNeverRan();
    });
    // The newest few hundred are enough for a page to read back; older ones are in the job history.
    for (const old of [...outcomes.keys()].slice(0, Math.max(0, outcomes.size - 500))) outcomes.delete(old);
    ctx.audit.append(ctx.operator, 'restore.started', vm.name, { jobId: job.id, kind, pointId: point.id, pointTime: point.time });
    return job.id;
  };
}

/** A restore started by an earlier engine process: only its job record is left to tell how it went. */
function outcomeFromJobRecord(jobs: JobsStore, jobId: string): RestoreOutcome {
  const job = jobs.get(jobId);
  if (!job || job.kind !== 'restore')
    throw new LifeboatError('NOT_FOUND', `There is no restore ${jobId}.`, { fix: 'See the Activity page for past restores.' });
  const status =
    job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled'
      ? job.status
      : job.status === 'interrupted'
        ? 'failed'
        : 'running';
  return {
    jobId,
    kind: 'disk',
    vmId: job.vmId ?? '',
    pointId: '',
    status,
    startedAt: job.startedAt ?? job.createdAt,
    finishedAt: job.finishedAt,
    file: null,
    newVm: null,
    summary: null,
    error: job.error ? { code: 'INTERNAL', message: job.error, fix: 'See its log on the Activity page.' } : null,
  };
}
