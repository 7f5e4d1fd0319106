import { z } from 'zod';
import { LifeboatError } from '../../contract/errors';
import type { DiscoveredVm, GuestHeartbeat, PowerState, VmDiskFormat, VmReplicationInfo } from '../../contract/hosts';
import { outputInvalid } from '../errors';
import type { PowerShellOutput } from './runner';

/**
 * Reading what the scripts print. They project to flat JSON, but the parser still accepts the shapes
 * Windows PowerShell 5.1 and PowerShell 7 produce when something slips through: a single object where an
 * array was meant, null for an empty list, enums as numbers, dates as \/Date(ms)\/, a BOM, ANSI colours in
 * errors. Anything else is PROVIDER_OUTPUT_INVALID naming the field.
 */

/** An array, whatever PowerShell made of it: one object → [object], null/absent → []. */
export const psArray = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === null || value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(item));

const text = z.union([z.string(), z.number()]).transform(String);
const nullableText = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined || v === '' ? null : String(v)));
const nullableNumber = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((v) => {
    if (v === null || v === undefined || v === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  });

/** An enum projected with .ToString(), or left as its number by an older script. */
const psEnum = (names: Record<number, string>) =>
  z.union([z.string(), z.number()]).transform((v) => (typeof v === 'number' ? (names[v] ?? String(v)) : v));

/** ISO 8601 from .ToString('o'), or 5.1's "\/Date(1700000000000)\/" (also with a time-zone suffix). */
export const psDate = z.union([z.string(), z.null()]).transform((value, ctx) => {
  if (value === null || value === '') return null;
  const legacy = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value);
  const time = legacy ? Number(legacy[1]) : Date.parse(value);
  if (!Number.isFinite(time)) {
    ctx.addIssue({ code: 'custom', message: `not a date: ${value}` });
    return z.NEVER;
  }
  return new Date(time).toISOString();
});

const VM_STATES: Record<number, string> = {
  1: 'Other',
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
  32781: 'ForceShutdown',
  32782: 'ForceReboot',
  32783: 'RunningCritical',
  32784: 'OffCritical',
  32785: 'StoppingCritical',
  32786: 'SavedCritical',
  32787: 'PausedCritical',
  32788: 'StartingCritical',
};
const CONTROLLER_TYPES: Record<number, string> = { 0: 'IDE', 1: 'SCSI', 2: 'PMEM' };
const OPERATIONAL_STATUS: Record<number, string> = {
  2: 'Ok',
  3: 'Degraded',
  6: 'Error',
  7: 'NonRecoverableError',
  12: 'NoContact',
  13: 'LostCommunication',
  32896: 'Disabled',
};
const REPLICATION_STATES: Record<number, string> = {
  0: 'Disabled',
  1: 'ReadyForInitialReplication',
  2: 'InitialReplicationInProgress',
  3: 'WaitingForInitialReplication',
  4: 'Replicating',
  5: 'PreparedForFailover',
  6: 'FailedOverWaitingCompletion',
  7: 'FailedOver',
  8: 'Suspended',
  9: 'Error',
  10: 'WaitingForStartResynchronize',
  11: 'Resynchronizing',
  12: 'ResynchronizeSuspended',
  13: 'RecoveryInProgress',
  14: 'FailbackInProgress',
  15: 'FailbackComplete',
  16: 'WaitingForUpdateCompletion',
  17: 'UpdateError',
  18: 'WaitingForRepurposeCompletion',
  19: 'PreparedForSyncReplication',
  20: 'PreparedForGroupReverseReplication',
  21: 'FiredrillInProgress',
};
const REPLICATION_HEALTH: Record<number, string> = { 0: 'NotApplicable', 1: 'Normal', 2: 'Warning', 3: 'Critical' };
const REPLICATION_MODES: Record<number, string> = { 0: 'None', 1: 'Primary', 2: 'Replica', 3: 'TestReplica', 4: 'ExtendedReplica' };

export const integrationServiceSchema = z.object({
  id: text,
  name: text,
  enabled: z.boolean().optional().default(true),
  primaryStatus: z
    .union([z.string(), z.number(), z.null()])
    .optional()
    .transform((v) => (typeof v === 'number' ? (OPERATIONAL_STATUS[v] ?? String(v)) : (v ?? ''))),
  statusDescription: nullableText,
});

const hardDriveSchema = z.object({
  controllerType: psEnum(CONTROLLER_TYPES),
  controllerNumber: z.number().int(),
  controllerLocation: z.number().int(),
  path: nullableText,
  diskNumber: nullableNumber,
  format: nullableText,
  type: nullableText,
  size: nullableNumber,
  parentPath: nullableText,
});

const networkAdapterSchema = z.object({
  name: text,
  switchName: nullableText,
  macAddress: nullableText,
  ipAddresses: psArray(text),
  connected: z.boolean().optional().default(false),
});

export const vmSchema = z.object({
  id: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'a VM id is a GUID'),
  name: text,
  state: psEnum(VM_STATES),
  processorCount: nullableNumber,
  memoryStartupBytes: nullableNumber,
  memoryAssignedBytes: nullableNumber,
  dynamicMemory: z.boolean().optional(),
  generation: nullableNumber,
  version: nullableText,
  path: nullableText,
  checkpointType: psEnum({ 2: 'Disabled', 3: 'Production', 4: 'ProductionOnly', 5: 'Standard' }).optional(),
  notes: nullableText,
  replicationState: psEnum(REPLICATION_STATES).optional().default('Disabled'),
  replicationHealth: psEnum(REPLICATION_HEALTH).optional().default('NotApplicable'),
  replicationMode: psEnum(REPLICATION_MODES).optional().default('None'),
  replication: z
    .object({ primaryServer: nullableText, replicaServer: nullableText, mode: nullableText, frequencySec: nullableNumber })
    .nullable()
    .optional(),
  guestOs: nullableText,
  creationTime: psDate.optional(),
  hardDrives: psArray(hardDriveSchema),
  networkAdapters: psArray(networkAdapterSchema),
  integrationServices: psArray(integrationServiceSchema),
});
export type HypervVm = z.output<typeof vmSchema>;

export const inventorySchema = z.object({ host: nullableText, vms: psArray(vmSchema) });

export const hostSchema = z.object({
  name: text,
  product: nullableText,
  version: nullableText,
  virtualHardDiskPath: nullableText,
});

export const checkpointSchema = z.object({
  id: z.string().min(1),
  name: text,
  kind: z.enum(['app-consistent', 'crash-consistent', 'powered-off']),
  note: nullableText,
  createdAt: psDate,
  disks: psArray(
    z.object({
      controllerType: psEnum(CONTROLLER_TYPES),
      controllerNumber: z.number().int(),
      controllerLocation: z.number().int(),
      path: text,
      size: nullableNumber,
      /** Get-VHD's DiskIdentifier: another one at the same path means another disk. */
      diskIdentifier: nullableText,
    }),
  ),
  /** A recovery checkpoint (configuration 8.0+), which can become a reference point for RCT. */
  recovery: z.boolean().optional().default(false),
  noChangeTracking: nullableText,
});

/** What Get-LifeboatDiskChanges.ps1 found: merged [offset, length] ranges, or why Hyper-V has no answer. */
export const diskChangesSchema = z.object({
  unavailable: z.object({ code: z.number().int(), meaning: text }).nullable().optional().default(null),
  // One range may reach us unrolled to [offset, length] when PowerShell flattened the outer array.
  ranges: z.preprocess(
    (value) => (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number') ? [value] : value),
    psArray(z.tuple([z.number().nonnegative(), z.number().nonnegative()])),
  ),
});

/** What Save-LifeboatReferencePoint.ps1 kept: the reference point and one RCT id per virtual disk. */
export const referencePointSchema = z.object({
  referencePointId: z.string().min(1),
  disks: psArray(z.object({ diskIdentifier: nullableText, rctId: z.string().min(1) })),
  notRemoved: psArray(z.object({ id: text, message: nullableText })),
});

export const heartbeatSchema = z.object({ state: psEnum(VM_STATES), integrationServices: psArray(integrationServiceSchema) });

/** What Test-LifeboatGuestPort.ps1 found inside the guest (or why PowerShell Direct could not sign in). */
export const guestPortSchema = z.object({
  outcome: z.enum(['answered', 'refused', 'timeout', 'no-session']),
  port: z.number().int(),
  answer: z.string().nullable().optional().default(null),
  message: nullableText,
  exceptionType: nullableText,
  errorId: nullableText,
});

/** What Invoke-LifeboatGuestScript.ps1 saw of the check script inside the guest. */
export const guestScriptSchema = z.object({
  outcome: z.enum(['succeeded', 'failed', 'timeout', 'no-session']),
  output: z
    .union([z.string(), z.null()])
    .optional()
    .transform((v) => v ?? ''),
  errors: psArray(text),
  exitCode: nullableNumber,
  message: nullableText,
  exceptionType: nullableText,
  errorId: nullableText,
});

export const replicationStatsSchema = z.object({
  vmName: nullableText,
  health: psEnum(REPLICATION_HEALTH),
  state: psEnum(REPLICATION_STATES),
  mode: psEnum(REPLICATION_MODES),
  lastReplicationTime: psDate.optional().default(null),
  pendingReplicationBytes: nullableNumber,
  averageReplicationLatency: nullableText,
  averageReplicationBytes: nullableNumber,
  successfulReplications: nullableNumber,
  missedReplications: nullableNumber,
  errors: nullableNumber,
  details: psArray(text),
});
export type ReplicationStats = z.output<typeof replicationStatsSchema>;

const errorSchema = z.object({
  kind: z.string().default('operation'),
  message: z.string().default(''),
  exceptionType: nullableText,
  errorId: nullableText,
  category: nullableText,
  target: nullableText,
});
export type ScriptError = z.output<typeof errorSchema>;

const envelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorSchema }),
]);

// eslint-disable-next-line no-control-regex -- ANSI colour codes PowerShell 7 writes into errors
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Finds the envelope in stdout (a warning line may precede it), checks it, and returns the data or throws. */
export function readOutput<T extends z.ZodType>(
  output: PowerShellOutput,
  schema: T,
  context: { host: string; script: string; vm?: string },
): z.output<T> {
  const stdout = output.stdout
    .replace(/^\uFEFF/, '')
    .replace(ANSI, '')
    .trim();
  const stderr = output.stderr
    .replace(/^\uFEFF/, '')
    .replace(ANSI, '')
    .trim();
  const envelope = findEnvelope(stdout);
  if (envelope === undefined) {
    if (stderr) throw classifyText(stderr, context);
    throw outputInvalid(
      `PowerShell on ${context.host} (${context.script})`,
      stdout ? `malformed JSON (${stdout.slice(0, 60)}…)` : 'no output at all',
    );
  }
  const parsed = envelopeSchema.safeParse(envelope);
  if (!parsed.success)
    throw outputInvalid(`PowerShell on ${context.host} (${context.script})`, `not a Lifeboat result envelope (${issueText(parsed.error)})`);
  if (!parsed.data.ok) throw classifyError(parsed.data.error, context);
  const data = schema.safeParse(parsed.data.data);
  if (!data.success) throw outputInvalid(`PowerShell on ${context.host} (${context.script})`, issueText(data.error));
  return data.data;
}

function findEnvelope(stdout: string): unknown {
  if (!stdout) return undefined;
  try {
    return JSON.parse(stdout);
  } catch {
    // Lines before the envelope (warnings, a profile's greeting): the envelope is the last JSON line.
    const lines = stdout.split(/\r?\n/).reverse();
    for (const line of lines) {
      if (!line.trim().startsWith('{')) continue;
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return `${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`;
}

/** A structured script error → the typed error the user sees. */
export function classifyError(error: ScriptError, context: { host: string; script: string; vm?: string }): LifeboatError {
  const haystack = `${error.exceptionType ?? ''} ${error.errorId ?? ''} ${error.category ?? ''} ${error.message}`;
  const typed = classifyText(haystack, context, error.message);
  if (typed.code !== 'CONFLICT') return typed;
  if (error.kind === 'checkpoint') {
    return new LifeboatError(
      'CHECKPOINT_FAILED',
      `Hyper-V on ${context.host} could not take a checkpoint of ${context.vm ?? 'the VM'}: ${error.message}`,
      {
        fix: 'If it says VSS or "production checkpoint": check the guest\'s Backup (volume shadow copy) integration service and VSS writers (vssadmin list writers), or let the policy fall back to crash-consistent copies. Also check free space where the VM\'s disks live.',
      },
    );
  }
  return typed;
}

/** Classifies an error by its text: a structured error's fields or raw stderr from a failed start. */
export function classifyText(textIn: string, context: { host: string; script: string; vm?: string }, message?: string): LifeboatError {
  const t = textIn;
  const shown = (message ?? firstLine(textIn)).trim();
  if (
    /CommandNotFoundException|is not recognized as (the )?name of a cmdlet|module 'Hyper-V' was not loaded|Hyper-V PowerShell module is not installed|ModuleNotFound|Get-VM.*not recognized/i.test(
      t,
    )
  ) {
    return new LifeboatError('MODULE_MISSING', `The Hyper-V PowerShell module is not installed on ${context.host}.`, {
      fix: 'Install it: Windows Server: Install-WindowsFeature RSAT-Hyper-V-Tools; Windows 10/11: Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-Management-PowerShell.',
    });
  }
  if (
    /Access is denied|UnauthorizedAccess|PermissionDenied|SecurityError|required permission|user name or password is incorrect|logon failure|VirtualizationException.*permission/i.test(
      t,
    )
  ) {
    return new LifeboatError('ACCESS_DENIED', `${context.host} refused: ${shown}`, {
      fix: 'Use an account in the host\'s "Hyper-V Administrators" (or Administrators) group, and check the password. For a remote host, the account also needs WinRM access.',
    });
  }
  if (
    /PSRemotingTransportException|WinRM|Connecting to remote server .* failed|RPC server is unavailable|cannot find the computer|network path was not found|No such host is known/i.test(
      t,
    )
  ) {
    return new LifeboatError('HOST_UNREACHABLE', `Lifeboat cannot reach ${context.host}: ${shown}`, {
      fix: `Check that ${context.host} is on and reachable, and that PowerShell remoting is enabled there (Enable-PSRemoting -Force; firewall port 5985). For a host outside the domain, add it to TrustedHosts on this computer.`,
    });
  }
  if (
    /ObjectNotFound|unable to find a virtual machine|VirtualizationException.*not find|InvalidParameter,Microsoft\.HyperV\.PowerShell\.Commands\.GetVM/i.test(
      t,
    )
  ) {
    return new LifeboatError(
      'VM_NOT_FOUND',
      `There is no VM ${context.vm ?? ''} on ${context.host} any more (${shown}).`.replace('VM  on', 'VM on'),
      {
        fix: 'It may have been removed, renamed or moved to another host: run discovery again (Virtual machines → Refresh).',
      },
    );
  }
  return new LifeboatError('CONFLICT', `Hyper-V on ${context.host} refused (${context.script}): ${shown}`, {
    fix: 'Look at Hyper-V Manager and the Hyper-V-VMMS Admin event log on the host for the reason, fix it there, then try again.',
  });
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).find((line) => line.trim() !== '') ?? text;
}

const HEARTBEAT_ID_SUFFIX = '\\84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47';

/** The heartbeat integration service, found by its Id (its Name is localized). */
export function heartbeatServiceOf(
  services: z.output<typeof integrationServiceSchema>[],
): z.output<typeof integrationServiceSchema> | undefined {
  return services.find((s) => s.id.toUpperCase().endsWith(HEARTBEAT_ID_SUFFIX));
}

/** The heartbeat integration service as one vocabulary. */
export function heartbeatOf(services: z.output<typeof integrationServiceSchema>[], state: string): GuestHeartbeat {
  const service = heartbeatServiceOf(services);
  if (!service) return 'not-installed';
  if (!service.enabled) return 'unknown';
  switch (service.primaryStatus) {
    case 'Ok':
      return 'ok';
    case 'Degraded':
      return 'degraded';
    case 'LostCommunication':
    case 'Error':
    case 'NonRecoverableError':
      return 'lost';
    case 'NoContact':
      return 'no-contact';
    default:
      return powerStateOf(state) === 'running' ? 'unknown' : 'no-contact';
  }
}

export function powerStateOf(state: string): PowerState {
  const s = state.replace(/Critical$/, '');
  if (s === 'Running') return 'running';
  if (s === 'Off') return 'off';
  if (s === 'Saved' || s === 'FastSaved') return 'suspended';
  if (s === 'Paused') return 'paused';
  if (s === 'Starting' || s === 'Resuming' || s === 'Reset' || s === 'ForceReboot') return 'starting';
  if (s === 'Stopping' || s === 'Saving' || s === 'Pausing' || s === 'FastSaving' || s === 'ForceShutdown') return 'stopping';
  return 'unknown';
}

function diskFormat(format: string | null, path: string | null, diskNumber: number | null): VmDiskFormat {
  if (diskNumber !== null) return 'raw';
  const f = (format ?? '').toUpperCase();
  if (f === 'VHDX' || /\.a?vhdx$/i.test(path ?? '')) return 'vhdx';
  if (f === 'VHD' || /\.a?vhd$/i.test(path ?? '')) return 'vhd';
  return 'unknown';
}

export function diskKey(controllerType: string, controllerNumber: number, controllerLocation: number): string {
  return `${controllerType}:${controllerNumber}:${controllerLocation}`;
}

function replicationOf(vm: HypervVm): VmReplicationInfo | null {
  if (vm.replicationState === 'Disabled' && vm.replicationMode === 'None') return null;
  const health =
    vm.replicationHealth === 'Normal'
      ? 'normal'
      : vm.replicationHealth === 'Warning'
        ? 'warning'
        : vm.replicationHealth === 'Critical'
          ? 'critical'
          : 'unknown';
  const partner = vm.replicationMode === 'Primary' ? (vm.replication?.replicaServer ?? null) : (vm.replication?.primaryServer ?? null);
  return { mode: vm.replicationMode, state: vm.replicationState, health, partner };
}

export function toDiscoveredVm(vm: HypervVm): DiscoveredVm {
  return {
    externalId: vm.id.toLowerCase(),
    name: vm.name,
    powerState: powerStateOf(vm.state),
    cpus: vm.processorCount,
    memoryMiB: vm.memoryStartupBytes === null ? null : Math.round(vm.memoryStartupBytes / (1024 * 1024)),
    firmware: vm.generation === 2 ? 'uefi' : vm.generation === 1 ? 'bios' : 'unknown',
    generation: vm.generation,
    guestOs: vm.guestOs,
    disks: vm.hardDrives.map((drive) => ({
      key: diskKey(drive.controllerType, drive.controllerNumber, drive.controllerLocation),
      label: `${drive.controllerType} ${drive.controllerNumber}:${drive.controllerLocation}${drive.diskNumber !== null ? ' (pass-through)' : ''}`,
      path: drive.path ?? `Physical disk ${drive.diskNumber ?? '?'}`,
      format: diskFormat(drive.format, drive.path, drive.diskNumber),
      capacityBytes: drive.size,
    })),
    nics: vm.networkAdapters.map((nic) => ({
      name: nic.name,
      network: nic.switchName,
      mac: nic.macAddress ? formatMac(nic.macAddress) : null,
      ips: nic.ipAddresses,
      connected: nic.connected,
    })),
    heartbeat: heartbeatOf(vm.integrationServices, vm.state),
    replication: replicationOf(vm),
    configPath: vm.path,
  };
}

/** Hyper-V prints MACs as 00155D010203; everyone else reads 00:15:5d:01:02:03. */
function formatMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  return hex.length === 12 ? hex.match(/../g)!.join(':') : mac;
}
