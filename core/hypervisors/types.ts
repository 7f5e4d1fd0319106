import type { DiscoveredVm, GuestHeartbeat, HostKind, HostSettings } from '../contract/hosts';
import type { DiskReader, Extent } from '../disks/types';

/**
 * The one interface the rest of Lifeboat uses to talk to a hypervisor. Hyper-V (PowerShell), vSphere (SOAP)
 * and VMware Workstation (local .vmx folders) implement it; callers never learn which one they hold.
 * VM ids are the host's own (`DiscoveredVm.externalId`). Every failure is a LifeboatError with a fix:
 * HOST_UNREACHABLE, ACCESS_DENIED, MODULE_MISSING, VM_NOT_FOUND, CHECKPOINT_FAILED, CERTIFICATE_CHANGED,
 * SESSION_EXPIRED, PROVIDER_OUTPUT_INVALID.
 */
export interface Hypervisor {
  readonly kind: HostKind;
  /** Connects and says what answered (product and version); the cheap check before a host is saved. */
  describe(): Promise<HostDescription>;
  listVms(): Promise<DiscoveredVm[]>;
  /**
   * Freezes the VM's disks: an application-consistent checkpoint (VSS production checkpoint, quiesced
   * snapshot) when possible. `consistency` says what to do when it is not: fail ('require'), fall back to
   * crash-consistent ('prefer'), or not even try ('crash'). The result says which kind was taken, and why.
   */
  createCheckpoint(vmId: string, options: CheckpointOptions): Promise<Checkpoint>;
  /** A frozen disk of a checkpoint, read through the disk-format parsers wherever its bytes live. */
  openCheckpointDisk(checkpoint: Checkpoint, diskKey: string): Promise<DiskReader>;
  /**
   * Virtual-disk ranges written since `sinceChangeId` (the change id an earlier copy of this disk kept), or why
   * they cannot be known (tracking off, reset, the reference gone, the disk resized or moved): then the caller
   * reads every allocated extent and logs the reason.
   */
  changedAreas(checkpoint: Checkpoint, diskKey: string, sinceChangeId: string): Promise<ChangedAreas>;
  /**
   * Called once the copy of `checkpoint` is committed, where the platform learns a disk's change id only then
   * (Hyper-V: the recovery checkpoint becomes a reference point, and its RCT ids are the change ids). Removes
   * the checkpoint as a side effect, and the references in `superseded` (change ids this method returned for
   * the previous copy), which the next copy no longer needs. Optional: platforms whose change ids are known at
   * the checkpoint (VMware CBT) leave it out.
   */
  keepChangeReference?(checkpoint: Checkpoint, superseded: readonly string[]): Promise<KeptChangeReference>;
  /** Removes the checkpoint and merges its changes back; safe to call twice. */
  releaseCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Registers a VM on restored disks, powered off: networking off or isolated (drills), or on the recovery networks (failover). */
  createIsolatedVm(spec: IsolatedVmSpec): Promise<IsolatedVm>;
  powerOn(vmId: string): Promise<void>;
  /** Guest shutdown when possible; `hard` turns it off at once. */
  powerOff(vmId: string, options?: { hard?: boolean }): Promise<void>;
  heartbeat(vmId: string): Promise<GuestHeartbeat>;
  /**
   * The heartbeat with the host's own words behind it ("heartbeat service Takt: Ok (OK)", "VMware Tools
   * guestToolsRunning, guestHeartbeatStatus green"), kept as drill evidence. Optional: callers fall back to heartbeat().
   */
  heartbeatEvidence?(vmId: string): Promise<HeartbeatReading>;
  /**
   * Connects to `port` on 127.0.0.1 from inside the guest (Hyper-V: PowerShell Direct), signed in with a guest
   * account, retrying until `timeoutSeconds` pass. Optional: a provider without in-guest access leaves it out.
   * A refused or silent port is a result; a guest that refuses the sign-in is ACCESS_DENIED, one that cannot be
   * reached this way CONFLICT (both with a fix).
   */
  guestTcpCheck?(vmId: string, port: number, credential: Credentials, timeoutSeconds: number): Promise<GuestTcpResult>;
  /**
   * Runs a check script (PowerShell text, the user's own) inside the guest, signed in with a guest account; its
   * output, errors and exit code come back. Errors as for guestTcpCheck.
   */
  guestScript?(vmId: string, script: string, credential: Credentials, timeoutSeconds: number): Promise<GuestScriptResult>;
  /** Deletes a VM this interface created (createIsolatedVm) with its files; refuses any other VM. */
  removeVm(vmId: string): Promise<void>;
  close(): Promise<void>;
  // Capabilities only some platforms have. Callers ask for the facet and, when it is absent, say with a
  // typed error what the host lacks: they never learn the provider's class.
  /** Hyper-V Replica: present on Hyper-V hosts. */
  readonly replica?: HypervReplicaOps;
  /** Files on datastores: present on vSphere hosts. */
  readonly datastores?: DatastoreOps;
  /** Files on a remote Hyper-V host, through its administrative share: present on remote Hyper-V hosts. */
  readonly hostFiles?: HostFileOps;
  /** Resources in an Azure resource group: present on Azure recovery sites. */
  readonly azure?: AzureSiteOps;
}

/**
 * Hyper-V Replica, for a VM that Hyper-V itself replicates to another host: what failover and failback do
 * on the primary and on the replica. States and modes are Hyper-V's own words (Replicating, Primary, …).
 */
export interface HypervReplicaOps {
  /** Measure-VMReplication on the host where it is called. */
  measureReplication(vmId: string): Promise<ReplicationMeasurement>;
  /** On the primary: guest shutdown (turned off after the timeout), then Start-VMFailover -Prepare. */
  prepareFailover(vmId: string, shutdownTimeoutSeconds: number): Promise<ReplicaVmState & { stopped: string }>;
  /** On the replica, after prepareFailover on the primary: Start-VMFailover, Set-VMReplication -Reverse, Start-VM. */
  plannedFailover(vmId: string): Promise<ReplicaVmState>;
  /** On the replica, the primary lost: Start-VMFailover (latest or a chosen point), Complete-VMFailover, Start-VM. */
  unplannedFailover(vmId: string, recoverySnapshotId?: string | null): Promise<ReplicaVmState & { point: string }>;
  /** On the primary, when the replica side failed: Stop-VMFailover (cancels the prepare), Start-VM. */
  undoFailoverPrepare(vmId: string): Promise<ReplicaVmState>;
  /** After an unplanned failover, where the VM now runs: replicate back to `replicaServer` (initial copy starts). */
  reverseReplication(vmId: string, replicaServer: string): Promise<ReplicaVmState>;
}

export interface ReplicaVmState {
  id: string;
  name: string;
  state: string;
  replicationState: string;
  replicationMode: string;
  replicationHealth: string;
}

/** What Measure-VMReplication says about one VM. */
export interface ReplicationMeasurement {
  vmName: string | null;
  health: string;
  state: string;
  mode: string;
  /** ISO 8601; null when it has never replicated. */
  lastReplicationTime: string | null;
  pendingReplicationBytes: number | null;
  averageReplicationLatency: string | null;
  averageReplicationBytes: number | null;
  successfulReplications: number | null;
  missedReplications: number | null;
  errors: number | null;
  details: string[];
}

/** Files on a vSphere datastore, named `[datastore] folder/file`: how restored disks get where ESXi reads them. */
export interface DatastoreOps {
  /** Streams a local file to the datastore path. */
  uploadFile(localFile: string, datastorePath: string): Promise<void>;
  /** Deletes a file or folder on a datastore; a missing one is fine. */
  deletePath(datastorePath: string): Promise<void>;
}

/**
 * Files on a Hyper-V host that Lifeboat does not run on, named as the host names them (D:\VMs\a.vhdx) and reached
 * from here through the administrative share (\\HV02\D$\VMs\a.vhdx): how restored disks get there and back.
 */
export interface HostFileOps {
  /** The host's folder for new virtual disks (Get-VMHost's VirtualHardDiskPath). */
  diskFolder(): Promise<string>;
  /** Copies a local file to `hostPath` under a temporary name, renamed over `hostPath` once complete. */
  uploadFile(localFile: string, hostPath: string, signal?: AbortSignal): Promise<void>;
  /** Deletes a folder only when it carries Lifeboat's marker file (lifeboat-owned.txt); a missing one is fine. */
  deleteOwnedFolder(hostPath: string): Promise<'removed' | 'missing' | 'not-lifeboat'>;
}

export interface HeartbeatReading {
  state: GuestHeartbeat;
  /** What the host said, verbatim enough to be evidence. */
  hostSaid: string;
}

/**
 * answered: something accepted the connection; `answer` is the first bytes it sent (a banner, an HTTP status
 * line), null when it sent nothing. refused / timeout: the last attempt's outcome when the time ran out.
 */
export type GuestTcpResult =
  { outcome: 'answered'; port: number; answer: string | null } | { outcome: 'refused' | 'timeout'; port: number; message: string };

/**
 * succeeded: no error record, no thrown error, exit code 0 (or none); failed: any of those; timeout: still
 * running after the timeout (it was stopped).
 */
export interface GuestScriptResult {
  outcome: 'succeeded' | 'failed' | 'timeout';
  /** Success output as text, trimmed and capped. */
  output: string;
  /** Error records and the terminating error, as text. */
  errors: string[];
  exitCode: number | null;
}

export interface HostDescription {
  product: string;
  version: string;
  /** vSphere over TLS: the certificate that was accepted (pinned). */
  thumbprint?: string;
}

export type Consistency = 'require' | 'prefer' | 'crash';

export interface CheckpointOptions {
  consistency: Consistency;
  /** Shown on the host, so an administrator knows who made it. */
  name: string;
}

export type CheckpointKind = 'app-consistent' | 'crash-consistent' | 'powered-off';

export interface Checkpoint {
  /** The host's id of the checkpoint/snapshot. */
  id: string;
  vmId: string;
  name: string;
  kind: CheckpointKind;
  createdAt: string;
  /** Why the kind is not app-consistent (e.g. "VSS in the guest failed: fell back to a standard checkpoint"). */
  note: string | null;
  /** Why the next copy will have to read this VM's disks in full (e.g. "RCT needs configuration version 8.0"). */
  noChangeTracking?: string | null;
  disks: CheckpointDisk[];
}

export interface KeptChangeReference {
  /** The change id per disk key, for the next copy's `sinceChangeId`. */
  changeIds: Record<string, string>;
  /** What did not go to plan but does not undo the copy (a superseded reference that could not be removed). */
  notes: string[];
}

/** What change tracking knows about one disk since an earlier copy. */
export type ChangedAreas = { kind: 'changes'; extents: Extent[] } | { kind: 'full-read'; reason: string };

export const fullRead = (reason: string): ChangedAreas => ({ kind: 'full-read', reason });

export interface CheckpointDisk {
  key: string;
  /** The frozen file as the host names it. */
  path: string;
  capacityBytes: number | null;
  /** VMware CBT change id at the checkpoint; pass it as `sinceChangeId` next time. */
  changeId: string | null;
  /** The platform's own id of the disk file (Hyper-V's DiskIdentifier): another id means another disk. */
  identity?: string | null;
}

export interface IsolatedVmSpec {
  name: string;
  cpus: number;
  memoryMiB: number;
  firmware: 'bios' | 'uefi';
  /** Hyper-V generation; derived from firmware when absent. */
  generation?: number;
  guestOs?: string;
  /** Restored disk files as the host names them, boot disk first. */
  disks: string[];
  /** Where the VM's own files go (Hyper-V path, `[datastore] folder`, local folder); provider default otherwise. */
  location?: string;
  /** Hyper-V: name of a private virtual switch to attach (created when missing); otherwise no network at all. */
  isolatedNetwork?: string;
  /**
   * Real failover only: one connected adapter per network (vSphere port group, Hyper-V switch), the plan's
   * recovery networks. Absent for drills, which never join a production network.
   */
  networks?: string[];
}

export interface IsolatedVm {
  vmId: string;
  name: string;
  configPath: string | null;
}

/** What a provider needs to reach one host; credentials come unsealed from the secrets store. */
export interface HostConnection {
  id: string;
  name: string;
  kind: HostKind;
  address: string | null;
  settings: HostSettings;
  credentials: Credentials | null;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface HypervisorProvider {
  readonly kind: HostKind;
  connect(host: HostConnection): Hypervisor;
}

/** Marks VMs Lifeboat created, so removeVm can never delete a production VM. */
export const ISOLATED_VM_MARKER = 'lifeboat-isolated-vm';

/**
 * Azure as a recovery site (hosts of kind azure): the resources drills and failovers make in the site's resource
 * group. Everything Lifeboat makes carries the tag `lifeboat-set` (one set per drill VM or failed-over VM, one
 * for a drill's network): a set is removed as a whole, and nothing without the tag is ever deleted.
 */
export interface AzureSiteOps {
  readonly location: string;
  readonly resourceGroup: string;
  /** Regional vCPUs in use and allowed, overall and per size family (compute usages). */
  quota(): Promise<AzureQuota>;
  /** A new VNet and subnet behind an NSG that denies all inbound and outbound Internet traffic: no route to production. */
  createIsolatedNetwork(setId: string, signal?: AbortSignal): Promise<{ subnetId: string; description: string }>;
  /** A managed disk created for upload, filled from a fixed VHD through its SAS (only non-zero MiB units sent). */
  uploadDisk(setId: string, name: string, vhdFile: string, options: AzureDiskOptions): Promise<AzureUploadedDisk>;
  /** A VM on an uploaded OS disk with one NIC in `subnetId` and boot diagnostics on; Azure starts it at once. */
  createVm(setId: string, spec: AzureVmSpec, signal?: AbortSignal): Promise<{ id: string; name: string }>;
  /** Power state from the instance view ("running", "stopped", "deallocated", …). */
  powerState(vmName: string): Promise<string>;
  /** The serial log and console screenshot from boot diagnostics (retrieveBootDiagnosticsData); null where Azure has none yet. */
  bootDiagnostics(vmName: string): Promise<{ serialLog: string | null; screenshotPng: Buffer | null }>;
  /** Run Command in the guest (RunShellScript / RunPowerShellScript): its stdout and stderr. */
  runCommand(vmName: string, os: 'Linux' | 'Windows', script: string[], signal?: AbortSignal): Promise<{ stdout: string; stderr: string }>;
  powerOff(vmName: string): Promise<void>;
  /** Deletes every resource of the set (VMs, NICs, disks, networks in that order); returns the ids still there (empty: all gone). */
  removeSet(setId: string): Promise<string[]>;
  /** Ids of the resources in the resource group that belong to the set. */
  listSet(setId: string): Promise<string[]>;
}

export interface AzureQuota {
  cores: { used: number; limit: number };
  families: Record<string, { used: number; limit: number }>;
}

export interface AzureDiskOptions {
  osType: 'Linux' | 'Windows';
  /** From the VM's firmware: UEFI boots Generation 2 (V2), BIOS Generation 1 (V1). */
  generation: 'V1' | 'V2';
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

export interface AzureUploadedDisk {
  id: string;
  name: string;
  /** MiB-aligned ranges sent through the SAS, in file offsets. */
  ranges: { offset: number; length: number }[];
  bytesSent: number;
  /** Size of the fixed VHD (virtual size + 512-byte footer) = the disk's uploadSizeBytes. */
  fileBytes: number;
}

export interface AzureVmSpec {
  name: string;
  size: string;
  osDiskId: string;
  osType: 'Linux' | 'Windows';
  subnetId: string;
}
