import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConsoleApi } from '../contract/api';
import type { RecoveryPlan } from '../contract/drills';
import { LifeboatError } from '../contract/errors';
import type { HostKind, Vm } from '../contract/hosts';
import type { WriteFormat } from '../disks/types';
import { jobKeys } from '../jobs/keys';
import { openVaultPort, type VaultPortDeps } from '../replication/vault-adapter';
import type { RoomDeps } from '../service-context';
import { DrillsStore } from '../store/drills';
import { JobsStore } from '../store/jobs';
import { PlansStore } from '../store/plans';
import { RecoveryPointsStore } from '../store/recovery-points';
import { VmsStore } from '../store/vms';
import { HostsStore } from '../store/hosts';
import { AzureDrillNetwork, azureDrillSandbox } from './azure-sandbox';
import { hypervisorDrillSandbox } from './hypervisor-sandbox';
import { datastoreOf, vsphereStaging } from './vsphere-staging';
import { runDrill, type DrillDeps } from './engine';
import { qemuDrillSandbox } from './qemu-drill-sandbox';
import { findQemu } from './qemu-sandbox';

/** What this module needs from the engine (see RoomDeps). */
export type DrillsDeps = RoomDeps<'audit' | 'clock' | 'dataDir' | 'db' | 'hosts' | 'jobs' | 'onStartBackground' | 'operator' | 'secrets'> &
  VaultPortDeps;

type DrillsApi = Pick<
  ConsoleApi,
  'startDrill' | 'listDrills' | 'getDrill' | 'getDrillScreenshot' | 'saveGuestCredential' | 'listActionItems' | 'closeActionItem'
>;

const guestCredentialSecret = (id: string): string => `guest-credential:${id}`;

/** Restored disks are written in the source hypervisor's own format: what its sandbox (or QEMU) boots. */
const FORMAT_FOR: Record<HostKind, WriteFormat> = { hyperv: 'vhdx', vsphere: 'vmdk', workstation: 'vmdk', azure: 'vhd-fixed' };

export function drillsApi(ctx: DrillsDeps): DrillsApi {
  const drills = new DrillsStore(ctx.db);
  const plans = new PlansStore(ctx.db);
  const vms = new VmsStore(ctx.db);
  const hosts = new HostsStore(ctx.db);
  /** The plan of each running drill, by its work folder (the engine asks for a sandbox per VM). */
  const planOf = new Map<string, RecoveryPlan>();

  const deps: DrillDeps = {
    drills,
    jobs: new JobsStore(ctx.db),
    points: new RecoveryPointsStore(ctx.db),
    clock: ctx.clock,
    vm: (id) => vms.get(id),
    // A drill only reads the vault: a read-only view cannot delete or overwrite a point, whatever goes wrong.
    openVault: (targetId) => openVaultPort(ctx, targetId, { readOnly: true }),
    sandboxFor: drillSandboxes(ctx, hosts, planOf),
    guestCredential: (id) => {
      const sealed = ctx.secrets.get(guestCredentialSecret(id));
      return sealed ? (JSON.parse(sealed) as { username: string; password: string }) : null;
    },
    evidenceDir: path.join(ctx.dataDir, 'evidence'),
    workRoot: path.join(ctx.dataDir, 'drills'),
  };

  ctx.onStartBackground(() => markInterrupted(ctx, drills));

  return {
    async startDrill(input) {
      const plan = input.planId ? plans.get(input.planId) : planForVms(ctx, plans, vms, input.vmIds!);
      if (!plan) throw new LifeboatError('NOT_FOUND', `There is no recovery plan ${input.planId}.`, { fix: 'Refresh the Drills page.' });
      const { job } = ctx.jobs.submit({
        key: jobKeys.drill(plan.id),
        kind: 'drill',
        title: `Drill: ${plan.name}`,
        trigger: 'manual',
        vmId: null,
        policyId: null,
        hostId: null,
        targetId: null,
        run: async (run) => {
          const workDir = path.join(deps.workRoot, run.jobId);
          planOf.set(workDir, plan);
          const drill = await runDrill(
            plan,
            { operator: ctx.operator, notes: input.notes, ...(input.points ? { points: input.points } : {}) },
            run,
            deps,
          ).finally(() => planOf.delete(workDir));
          ctx.audit.append(ctx.operator, 'drill.finished', plan.name, {
            drillId: drill.id,
            status: drill.status,
            rpoSeconds: drill.rpoSeconds,
            rtoSeconds: drill.rtoSeconds,
            cleanupConfirmed: drill.cleanupConfirmed,
          });
          if (drill.status === 'failed') {
            throw new LifeboatError(
              'INTERNAL',
              `Drill "${plan.name}" failed: ${
                drill.vms
                  .filter((v) => v.status === 'failed')
                  .map((v) => `${v.vm}: ${v.failure}`)
                  .join('; ') || 'cleanup could not be confirmed'
              }`,
            );
          }
          return {
            bytesRead: 0,
            bytesStored: 0,
            appConsistent: null,
            message: `${plan.name}: ${drill.status}, RTO ${drill.rtoSeconds ?? '—'} s, RPO ${drill.rpoSeconds ?? '—'} s`,
          };
        },
      });
      ctx.audit.append(ctx.operator, 'drill.started', plan.name, { drillId: job.id });
      return { drillId: job.id };
    },

    async listDrills({ limit }) {
      return drills.list({ limit });
    },

    async getDrill({ id }) {
      const drill = drills.get(id);
      if (!drill)
        throw new LifeboatError('NOT_FOUND', `There is no drill ${id} yet.`, {
          fix: 'A drill appears once it has started; refresh in a moment.',
        });
      return { ...drill, steps: drills.steps(id) };
    },

    async getDrillScreenshot({ drillId, vm }) {
      // By VM id (names repeat); a name still finds drills recorded before ids were used here.
      const vms = drills.get(drillId)?.vms ?? [];
      const file = (vms.find((v) => v.vmId === vm) ?? vms.find((v) => v.vm === vm))?.screenshot;
      if (!file || !fs.existsSync(file)) return { dataUrl: null };
      return { dataUrl: `data:image/png;base64,${fs.readFileSync(file).toString('base64')}` };
    },

    async saveGuestCredential({ username, password }) {
      const id = randomUUID();
      ctx.secrets.put(
        guestCredentialSecret(id),
        'guest credential for in-guest drill checks',
        JSON.stringify({ username, password }),
        ctx.clock.now(),
      );
      ctx.audit.append(ctx.operator, 'guest-credential.saved', username, { id });
      return { id, username };
    },

    async listActionItems(input) {
      return drills.actionItems(input);
    },

    async closeActionItem({ id }) {
      drills.closeActionItem(id, ctx.clock.now().toISOString());
      ctx.audit.append(ctx.operator, 'action-item.closed', id, {});
    },
  };
}

/**
 * Where a drill boots each VM: on its own Hyper-V host when Lifeboat runs there, on its vSphere host next to
 * its disks, otherwise in this machine's QEMU sandbox.
 */
function drillSandboxes(ctx: DrillsDeps, hosts: HostsStore, planOf: Map<string, RecoveryPlan>): DrillDeps['sandboxFor'] {
  let qemu: string | null | undefined;
  const azureNetworks = new Map<string, AzureDrillNetwork>();
  return (vm: Vm, workDir: string) => {
    const plan = planOf.get(workDir);
    const site = plan?.recoveryHostId ? hosts.get(plan.recoveryHostId) : null;
    if (site?.kind === 'azure') {
      // The plan recovers into Azure: the drill tests exactly that, in a network of its own there.
      let network = azureNetworks.get(workDir);
      if (!network) {
        network = new AzureDrillNetwork(
          `dr${path
            .basename(workDir)
            .replace(/[^a-z0-9]/gi, '')
            .slice(0, 10)
            .toLowerCase()}`,
        );
        azureNetworks.set(workDir, network);
      }
      return azureDrillSandbox({ hypervisor: ctx.hosts.connect(site.id), hostId: site.id, network });
    }
    const host = hosts.get(vm.hostId);
    if (vm.hostKind === 'hyperv' && host && host.address === null) {
      // Lifeboat runs on this Hyper-V host: the host reads the restored VHDX files where they are.
      return hypervisorDrillSandbox({
        hypervisor: ctx.hosts.connect(vm.hostId),
        hostId: vm.hostId,
        diskFormat: 'vhdx',
        isolatedNetwork: plan?.drillNetwork ?? null,
        stage: async (files) => ({ hostPaths: files, remove: async () => undefined }),
      });
    }
    const datastore = datastoreOf(vm.disks[0]?.path);
    if (vm.hostKind === 'vsphere' && datastore) {
      // Restored as ESXi flat disks, uploaded next to the VM's own disks, registered with no NIC.
      const hypervisor = ctx.hosts.connect(vm.hostId);
      return hypervisorDrillSandbox({
        hypervisor,
        hostId: vm.hostId,
        diskFormat: 'vmdk-esxi',
        isolatedNetwork: null,
        stage: vsphereStaging(hypervisor, datastore),
      });
    }
    qemu ??= findQemu();
    if (!qemu) {
      throw new LifeboatError('MODULE_MISSING', `No sandbox is available to boot ${vm.name}: QEMU is not installed on this machine.`, {
        fix: 'Install QEMU (qemu-system-x86_64) on the Lifeboat machine, or set LIFEBOAT_QEMU to its path.',
      });
    }
    return qemuDrillSandbox(qemu, workDir, FORMAT_FOR[vm.hostKind]);
  };
}

/** One-click test failover of VMs: reuse (or make) a plan with default checks named after them. */
function planForVms(ctx: DrillsDeps, plans: PlansStore, vms: VmsStore, vmIds: string[]): RecoveryPlan {
  const found = vmIds.map((id) => {
    const vm = vms.get(id);
    if (!vm)
      throw new LifeboatError('INVALID_INPUT', `vmIds: There is no VM ${id}.`, {
        field: 'vmIds',
        fix: 'Refresh the Virtual machines page.',
      });
    return vm;
  });
  const name = `Test failover: ${found.map((vm) => vm.name).join(', ')}`.slice(0, 100);
  return (
    plans.findByName(name) ??
    plans.create(
      {
        name,
        groups: [
          {
            name: 'All',
            vms: found.map((vm) => ({ vmId: vm.id, checks: [{ kind: 'boot' as const }, { kind: 'vault-verify' as const }] })),
            then: { kind: 'none' as const },
          },
        ],
        points: { kind: 'latest' },
        networkMapping: [],
        drillNetwork: null,
        manualSteps: [],
        preScript: null,
        postScript: null,
        rpoTargetMinutes: 60,
        rtoTargetMinutes: 60,
        schedule: null,
      },
      ctx.clock.now(),
    )
  );
}

/** A drill that was running when the engine died is over: say so; its leftovers are released with the jobs'. */
function markInterrupted(ctx: DrillsDeps, drills: DrillsStore): void {
  for (const drill of drills.list({ limit: 100 }).filter((d) => d.status === 'running')) {
    drills.save({
      ...drill,
      status: 'interrupted',
      finishedAt: ctx.clock.now().toISOString(),
      notes: [drill.notes, 'Lifeboat stopped during this drill; its sandbox was cleaned up at the next start.'].filter(Boolean).join('\n'),
    });
  }
}
