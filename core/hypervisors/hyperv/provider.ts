import path from 'node:path';
import { z } from 'zod';
import { LifeboatError } from '../../contract/errors';
import type { DiscoveredVm, GuestHeartbeat } from '../../contract/hosts';
import { fileResolver, openDisk } from '../../disks';
import type { DiskReader } from '../../disks/types';
import { notLifeboatVm } from '../errors';
import {
  ISOLATED_VM_MARKER,
  type ChangedAreas,
  type Checkpoint,
  type CheckpointOptions,
  type Credentials,
  type GuestScriptResult,
  type GuestTcpResult,
  type HeartbeatReading,
  type HostConnection,
  type HostDescription,
  type HostFileOps,
  type Hypervisor,
  type HypervisorProvider,
  type HypervReplicaOps,
  type IsolatedVm,
  type IsolatedVmSpec,
  type KeptChangeReference,
  type ReplicaVmState,
} from '../types';
import { adminSharePath, adminShareFiles, type HostPathResolver } from './host-files';
import { keepRctReference, rctChangedAreas, type ScriptCall } from './change-tracking';
import { NodePowerShellRunner } from './node-runner';
import {
  checkpointSchema,
  diskKey,
  guestPortSchema,
  guestScriptSchema,
  heartbeatOf,
  heartbeatServiceOf,
  heartbeatSchema,
  hostSchema,
  inventorySchema,
  readOutput,
  replicationStatsSchema,
  toDiscoveredVm,
  type ReplicationStats,
} from './output';
import { scripts, type PowerShellRunner, type PowerShellSecrets, type ScriptName } from './runner';

export interface HypervOptions {
  /** The runner for one connection to this host. Default: a node-powershell runner per connection. */
  runner?: (host: HostConnection) => PowerShellRunner;
  /** How this machine reaches a remote host's files. Default: its administrative share (\\host\D$\…). */
  hostPath?: HostPathResolver;
}

export const hypervProvider = (options: HypervOptions = {}): HypervisorProvider => ({
  kind: 'hyperv',
  connect: (host) => new HypervHost(host, options.runner ? options.runner(host) : new NodePowerShellRunner(), options.hostPath),
});

export interface ReplicationRequest {
  replicaServer: string;
  port?: number;
  authentication?: 'Kerberos' | 'Certificate';
  certificateThumbprint?: string;
  /** 30, 300 or 900 seconds. */
  frequencySec?: 30 | 300 | 900;
  recoveryHistory?: number;
}

/**
 * Hyper-V through Lifeboat's PowerShell scripts, locally or on a remote host over WinRM. Parameters
 * travel as base64 JSON, passwords apart from them (the runner's secrets); results come back as one
 * validated JSON envelope per call.
 */
export class HypervHost implements Hypervisor {
  readonly kind = 'hyperv' as const;
  /** The orchestrators reach Hyper-V Replica through this facet, never through the class. */
  readonly replica: HypervReplicaOps = {
    measureReplication: (vmId) => this.measureReplication(vmId),
    prepareFailover: (vmId, shutdownTimeoutSeconds) => this.prepareFailover(vmId, shutdownTimeoutSeconds),
    plannedFailover: (vmId) => this.plannedFailover(vmId),
    unplannedFailover: (vmId, recoverySnapshotId) => this.unplannedFailover(vmId, recoverySnapshotId ?? null),
    undoFailoverPrepare: (vmId) => this.undoFailoverPrepare(vmId),
    reverseReplication: (vmId, replicaServer) => this.reverseReplication(vmId, replicaServer),
  };

  /** Present on a remote host: restored disks are copied there, and failback writes the original's disks there. */
  readonly hostFiles?: HostFileOps;

  constructor(
    private readonly host: HostConnection,
    private readonly runner: PowerShellRunner,
    private readonly hostPath: HostPathResolver = adminSharePath,
  ) {
    if (host.address) this.hostFiles = adminShareFiles(host.address, hostPath, () => this.diskFolder());
  }

  private async diskFolder(): Promise<string> {
    const host = await this.call(scripts.host, {}, hostSchema);
    if (!host.virtualHardDiskPath)
      throw new LifeboatError('PROVIDER_OUTPUT_INVALID', `Hyper-V on ${this.label} did not say its folder for virtual hard disks.`, {
        fix: `Set a default virtual hard disk folder in Hyper-V Settings on ${this.label}.`,
      });
    return host.virtualHardDiskPath;
  }

  private get label(): string {
    return this.host.address ?? this.host.name;
  }

  /** Where the script runs: this computer, or the remote host with its account (the password as a secret). */
  private target(): { params: Record<string, unknown>; secrets: PowerShellSecrets } {
    if (!this.host.address) return { params: {}, secrets: {} };
    if (!this.host.credentials) return { params: { computerName: this.host.address }, secrets: {} };
    return {
      params: { computerName: this.host.address, username: this.host.credentials.username },
      secrets: { password: this.host.credentials.password },
    };
  }

  private async call<T extends z.ZodType>(
    script: ScriptName,
    params: Record<string, unknown>,
    schema: T,
    vm?: string,
    secrets: PowerShellSecrets = {},
  ): Promise<z.output<T>> {
    const target = this.target();
    const output = await this.runner.run(script, { ...target.params, ...params }, { ...target.secrets, ...secrets });
    const context: { host: string; script: string; vm?: string } = { host: this.label, script };
    if (vm !== undefined) context.vm = vm;
    return readOutput(output, schema, context);
  }

  async describe(): Promise<HostDescription> {
    const host = await this.call(scripts.host, {}, hostSchema);
    return { product: `Hyper-V on ${host.product ?? 'Windows'}`, version: host.version ?? '' };
  }

  async listVms(): Promise<DiscoveredVm[]> {
    const inventory = await this.call(scripts.listVms, {}, inventorySchema);
    return inventory.vms.map(toDiscoveredVm);
  }

  async createCheckpoint(vmId: string, options: CheckpointOptions): Promise<Checkpoint> {
    const result = await this.call(
      scripts.checkpoint,
      { vmId, name: options.name, consistency: options.consistency },
      checkpointSchema,
      vmId,
    );
    return {
      id: result.id,
      vmId,
      name: result.name,
      kind: result.kind,
      createdAt: result.createdAt ?? new Date().toISOString(),
      note: result.note,
      // Only a recovery checkpoint can become a reference point; an older script's answer says neither.
      noChangeTracking: result.recovery
        ? result.noChangeTracking
        : (result.noChangeTracking ??
          'Hyper-V took a standard checkpoint, not a recovery checkpoint: the next copy reads the disks in full.'),
      disks: result.disks.map((disk) => ({
        key: diskKey(disk.controllerType, disk.controllerNumber, disk.controllerLocation),
        path: disk.path,
        capacityBytes: disk.size,
        changeId: null,
        identity: disk.diskIdentifier,
      })),
    };
  }

  /**
   * The frozen VHDX, read through the disk parsers. On a remote host it is reached through the
   * administrative share (\\host\D$\…), which the account must be allowed to read.
   */
  async openCheckpointDisk(checkpoint: Checkpoint, key: string): Promise<DiskReader> {
    const disk = checkpoint.disks.find((d) => d.key === key);
    if (!disk)
      throw new LifeboatError('NOT_FOUND', `The checkpoint of ${checkpoint.vmId} has no disk ${key}.`, {
        fix: "Run discovery again; the VM's disks changed.",
      });
    return openDisk(this.host.address ? this.hostPath(this.host.address, disk.path) : disk.path, fileResolver);
  }

  /** Resilient Change Tracking since the reference point the last copy kept (see change-tracking.ts). */
  async changedAreas(checkpoint: Checkpoint, diskKey: string, sinceChangeId: string): Promise<ChangedAreas> {
    return rctChangedAreas(this.scriptCall, checkpoint, diskKey, sinceChangeId);
  }

  /** The committed copy's recovery checkpoint becomes the next copy's reference point; the previous ones go. */
  async keepChangeReference(checkpoint: Checkpoint, superseded: readonly string[]): Promise<KeptChangeReference> {
    return keepRctReference(this.scriptCall, checkpoint, superseded);
  }

  private readonly scriptCall: ScriptCall = (script, params, schema, vm) => this.call(script, params, schema, vm);

  async releaseCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.call(
      scripts.removeCheckpoint,
      { vmId: checkpoint.vmId, checkpointId: checkpoint.id },
      z.object({ removed: z.number() }),
      checkpoint.vmId,
    );
  }

  async createIsolatedVm(spec: IsolatedVmSpec): Promise<IsolatedVm> {
    const created = await this.call(
      scripts.createVm,
      {
        name: spec.name,
        generation: spec.generation ?? (spec.firmware === 'uefi' ? 2 : 1),
        memoryBytes: spec.memoryMiB * 1024 * 1024,
        cpus: spec.cpus,
        disks: spec.disks,
        // A folder of Lifeboat's own beside the restored disks (the script marks it): never the host's default.
        path: spec.location ?? ownedVmFolder(spec.disks[0] ?? '', spec.name),
        switchName: spec.isolatedNetwork ?? null,
        networks: spec.networks ?? [],
        marker: ISOLATED_VM_MARKER,
      },
      z.object({ id: z.string(), name: z.string(), path: z.string().nullable().optional() }),
    );
    return { vmId: created.id.toLowerCase(), name: created.name, configPath: created.path ?? null };
  }

  async powerOn(vmId: string): Promise<void> {
    await this.call(scripts.power, { vmId, action: 'start' }, z.object({ state: z.unknown() }), vmId);
  }

  async powerOff(vmId: string, options: { hard?: boolean } = {}): Promise<void> {
    await this.call(scripts.power, { vmId, action: options.hard ? 'turnoff' : 'shutdown' }, z.object({ state: z.unknown() }), vmId);
  }

  async heartbeat(vmId: string): Promise<GuestHeartbeat> {
    const result = await this.call(scripts.heartbeat, { vmId }, heartbeatSchema, vmId);
    return heartbeatOf(result.integrationServices, result.state);
  }

  async heartbeatEvidence(vmId: string): Promise<HeartbeatReading> {
    const result = await this.call(scripts.heartbeat, { vmId }, heartbeatSchema, vmId);
    const state = heartbeatOf(result.integrationServices, result.state);
    const service = heartbeatServiceOf(result.integrationServices);
    const said = service
      ? `heartbeat integration service "${service.name}" ${service.enabled ? 'enabled' : 'disabled'}, status ${service.primaryStatus || 'none'}${service.statusDescription ? ` (${service.statusDescription})` : ''}`
      : 'no heartbeat integration service';
    return { state, hostSaid: `Hyper-V on ${this.label}: VM ${result.state}, ${said}` };
  }

  /**
   * Port `port` on 127.0.0.1 inside the guest, through PowerShell Direct (the host reaches the guest over VMBus,
   * so the isolated VM needs no network). The guest's user name travels in the parameters, its password as a secret.
   */
  async guestTcpCheck(vmId: string, port: number, credential: Credentials, timeoutSeconds: number): Promise<GuestTcpResult> {
    const result = await this.guestCall(scripts.guestPort, vmId, credential, { port, timeoutSeconds }, guestPortSchema);
    if (result.outcome === 'no-session') throw guestSessionFailed(this.label, vmId, result, credential);
    if (result.outcome === 'answered') return { outcome: 'answered', port: result.port, answer: result.answer };
    return {
      outcome: result.outcome,
      port: result.port,
      message: redact(
        result.message ?? (result.outcome === 'timeout' ? `no answer within ${timeoutSeconds} s` : 'refused'),
        credential.password,
      ),
    };
  }

  /** The plan's check script inside the guest, through PowerShell Direct; its text is a parameter value. */
  async guestScript(vmId: string, script: string, credential: Credentials, timeoutSeconds: number): Promise<GuestScriptResult> {
    const result = await this.guestCall(scripts.guestScript, vmId, credential, { script, timeoutSeconds }, guestScriptSchema);
    if (result.outcome === 'no-session') throw guestSessionFailed(this.label, vmId, result, credential);
    return {
      outcome: result.outcome,
      output: redact(result.output, credential.password),
      errors: result.errors.map((e) => redact(e, credential.password)),
      exitCode: result.exitCode,
    };
  }

  /** A guest call: the user name as data, the password as a secret, and never the password in an error that comes back. */
  private async guestCall<T extends z.ZodType>(
    script: ScriptName,
    vmId: string,
    credential: Credentials,
    params: Record<string, unknown>,
    schema: T,
  ): Promise<z.output<T>> {
    try {
      return await this.call(script, { vmId, ...params, guestUsername: credential.username }, schema, vmId, {
        guestPassword: credential.password,
      });
    } catch (error) {
      if (error instanceof LifeboatError) {
        const options: { fix?: string } = {};
        if (error.fix !== undefined) options.fix = redact(error.fix, credential.password);
        throw new LifeboatError(error.code, redact(error.message, credential.password), options);
      }
      throw error;
    }
  }

  async removeVm(vmId: string): Promise<void> {
    const result = await this.call(
      scripts.removeVm,
      { vmId, marker: ISOLATED_VM_MARKER },
      z.object({
        removed: z.boolean(),
        reason: z.string().nullable().optional(),
        folderRemoved: z.boolean().optional(),
        folderKept: z.string().nullable().optional(),
      }),
      vmId,
    );
    if (!result.removed && result.reason === 'not-lifeboat') throw notLifeboatVm(this.label, vmId);
    if (result.removed && result.folderRemoved === false) {
      throw new LifeboatError(
        'CONFLICT',
        `The VM was removed from ${this.label}, but its folder ${result.folderKept ?? '(unknown)'} was left: it carries no Lifeboat marker, so Lifeboat does not delete it.`,
        {
          fix: "Look at the folder on the host and delete it by hand if it holds only this VM's files.",
        },
      );
    }
  }

  // Hyper-V Replica: used by the drill engine through this provider.

  async enableReplication(vmId: string, request: ReplicationRequest): Promise<{ state: string; health: string }> {
    return this.call(
      scripts.enableReplication,
      {
        vmId,
        replicaServer: request.replicaServer,
        port: request.port ?? (request.authentication === 'Certificate' ? 443 : 80),
        authentication: request.authentication ?? 'Kerberos',
        certificateThumbprint: request.certificateThumbprint ?? null,
        frequencySec: request.frequencySec ?? 300,
        recoveryHistory: request.recoveryHistory ?? 4,
      },
      z.object({ state: z.string(), health: z.string() }),
      vmId,
    );
  }

  async measureReplication(vmId: string): Promise<ReplicationStats> {
    return this.call(scripts.measureReplication, { vmId }, replicationStatsSchema, vmId);
  }

  /** On the replica host: creates "<name> - Test" on a private switch (or with adapters disconnected). */
  async startTestFailover(replicaVmId: string, options: { switchName?: string; recoverySnapshotId?: string } = {}): Promise<IsolatedVm> {
    const result = await this.call(
      scripts.startTestFailover,
      { vmId: replicaVmId, switchName: options.switchName ?? null, recoverySnapshotId: options.recoverySnapshotId ?? null },
      z.object({ id: z.string(), name: z.string() }),
      replicaVmId,
    );
    return { vmId: result.id.toLowerCase(), name: result.name, configPath: null };
  }

  async stopTestFailover(replicaVmId: string): Promise<void> {
    await this.call(scripts.stopTestFailover, { vmId: replicaVmId }, z.object({ replicationState: z.unknown() }), replicaVmId);
  }

  // Hyper-V Replica real failover: the failover engine calls these (through `replica`) on the primary and replica hosts.

  /** On the primary: guest shutdown (turned off after the timeout), then Start-VMFailover -Prepare. */
  async prepareFailover(vmId: string, shutdownTimeoutSeconds: number): Promise<ReplicaVmState & { stopped: string }> {
    return this.call(scripts.failoverPrepare, { vmId, shutdownTimeoutSeconds }, replicaVmSchema.extend({ stopped: z.string() }), vmId);
  }

  /** On the replica, after prepareFailover on the primary: Start-VMFailover, Set-VMReplication -Reverse, Start-VM. */
  async plannedFailover(vmId: string): Promise<ReplicaVmState> {
    return this.call(scripts.plannedFailover, { vmId }, replicaVmSchema, vmId);
  }

  /** On the replica, the primary lost: Start-VMFailover (latest or a chosen point), Complete-VMFailover, Start-VM. */
  async unplannedFailover(vmId: string, recoverySnapshotId: string | null = null): Promise<ReplicaVmState & { point: string }> {
    return this.call(scripts.unplannedFailover, { vmId, recoverySnapshotId }, replicaVmSchema.extend({ point: z.string() }), vmId);
  }

  /** On the primary, when the replica side failed: Stop-VMFailover (cancels the prepare), Start-VM. */
  async undoFailoverPrepare(vmId: string): Promise<ReplicaVmState> {
    return this.call(scripts.undoFailoverPrepare, { vmId }, replicaVmSchema, vmId);
  }

  /** After an unplanned failover, where the VM now runs: replicate back to `replicaServer` (initial copy starts). */
  async reverseReplication(vmId: string, replicaServer: string): Promise<ReplicaVmState> {
    return this.call(scripts.reverseReplication, { vmId, replicaServer }, replicaVmSchema, vmId);
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}

const replicaVmSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string().optional().default(''),
  replicationState: z.string(),
  replicationMode: z.string(),
  replicationHealth: z.string().optional().default(''),
});

/** PowerShell Direct could not sign in to the guest: the guest account, or a guest it cannot reach. */
function guestSessionFailed(
  host: string,
  vmId: string,
  result: { message: string | null; exceptionType: string | null; errorId: string | null },
  credential: Credentials,
): LifeboatError {
  const message = redact(result.message ?? 'no reason given', credential.password);
  const haystack = `${result.exceptionType ?? ''} ${result.errorId ?? ''} ${result.message ?? ''}`;
  if (/credential|password|user name|logon failure|access is denied|UnauthorizedAccess/i.test(haystack)) {
    return new LifeboatError(
      'ACCESS_DENIED',
      `The guest of ${vmId} on ${host} refused the guest account ${credential.username}: ${message}`,
      {
        fix: 'Check the guest credential saved for this VM in the recovery plan: an account of the guest itself (".\\Administrator" or "DOMAIN\\user") with its current password. A domain account needs a reachable domain controller or a cached logon inside the isolated guest; a local account always works.',
      },
    );
  }
  return new LifeboatError('CONFLICT', `PowerShell Direct could not open a session in ${vmId} on ${host}: ${message}`, {
    fix: 'PowerShell Direct needs a Windows 10 / Windows Server 2016 or later guest that has finished starting, on a Windows 10 / Server 2016 or later host, and the Lifeboat account must be a Hyper-V administrator there. Linux guests cannot be checked this way: use a heartbeat check for them.',
  });
}

/** The secret never comes back in text Lifeboat shows or records. */
function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('••••') : text;
}

/**
 * Where a drill or failover VM's configuration goes on the host: a folder beside its restored disks, which
 * Lifeboat restored into a folder of its own. Hyper-V hosts take Windows paths; tests run with POSIX ones.
 */
export function ownedVmFolder(firstDisk: string, vmName: string): string {
  const paths = /^([A-Za-z]:[\\/]|\\\\)/.test(firstDisk) ? path.win32 : path.posix;
  const slug = vmName.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 60);
  return paths.join(paths.dirname(firstDisk), `lifeboat-vm-${slug}`);
}
