import { z } from 'zod';
import { method } from './define';

/**
 * Where VMs run: a Hyper-V host (local or remote), an ESXi host or vCenter, VMware Workstation folders — or an
 * Azure subscription's resource group, a recovery site only (drills and failover start VMs there; nothing
 * there is discovered or protected).
 */
export const hostKinds = ['hyperv', 'vsphere', 'workstation', 'azure'] as const;
export type HostKind = (typeof hostKinds)[number];

export type PowerState = 'running' | 'off' | 'suspended' | 'paused' | 'starting' | 'stopping' | 'unknown';

/** Guest heartbeat (Hyper-V integration service) or VMware Tools status, in one vocabulary. */
export type GuestHeartbeat = 'ok' | 'degraded' | 'lost' | 'no-contact' | 'not-installed' | 'unknown';

export type VmDiskFormat = 'vhdx' | 'vhd' | 'vmdk' | 'raw' | 'unknown';

export interface VmDiskInfo {
  /** Stable within the VM: Hyper-V controller location, vSphere device key, vmx device name. */
  key: string;
  label: string;
  /** As the host names it: a local path, `[datastore] folder/disk.vmdk`, or a path relative to the .vmx. */
  path: string;
  format: VmDiskFormat;
  /** Virtual size; null when the host did not say. */
  capacityBytes: number | null;
}

export interface VmNicInfo {
  name: string;
  network: string | null;
  mac: string | null;
  ips: string[];
  connected: boolean;
}

export interface VmReplicationInfo {
  /** Hyper-V Replica: Primary / Replica / TestReplica / ExtendedReplica; vSphere: none yet. */
  mode: string;
  state: string;
  health: 'normal' | 'warning' | 'critical' | 'unknown';
  partner: string | null;
}

/** One VM as a hypervisor reports it; what discovery stores. */
export interface DiscoveredVm {
  /** The host's own id: Hyper-V VMId, vSphere instanceUuid (or moref), Workstation .vmx path. */
  externalId: string;
  name: string;
  powerState: PowerState;
  cpus: number | null;
  memoryMiB: number | null;
  firmware: 'bios' | 'uefi' | 'unknown';
  /** Hyper-V generation 1/2; null elsewhere. */
  generation: number | null;
  guestOs: string | null;
  disks: VmDiskInfo[];
  nics: VmNicInfo[];
  heartbeat: GuestHeartbeat;
  replication: VmReplicationInfo | null;
  /** The VM's configuration file, where the host has one (.vmx, Hyper-V config folder). */
  configPath: string | null;
}

export type HostStatus = 'ok' | 'error' | 'unknown';

export interface Host {
  id: string;
  name: string;
  kind: HostKind;
  /** Host name or IP; null for this computer (local Hyper-V, Workstation). */
  address: string | null;
  status: HostStatus;
  statusMessage: string | null;
  addedAt: string;
  lastSeenAt: string | null;
  vmCount: number;
  /** Non-secret settings: port, user name, pinned certificate thumbprint, Workstation folders. */
  settings: HostSettings;
  hasCredentials: boolean;
}

export interface HostSettings {
  port?: number;
  scheme?: 'https' | 'http';
  username?: string;
  /** SHA-256 of the host's certificate (hex), pinned when the user confirmed it. */
  thumbprint?: string;
  folders?: string[];
  /** Workstation: also read VMware Workstation's own VM list (inventory.vmls). */
  useInventory?: boolean;
  /**
   * Hyper-V: answer this host's scripts from outputs saved by `lifeboat hosts record` (support looks at a
   * customer's host offline). A full path on the machine the engine runs on; nothing is sent to a real host.
   */
  replayFolder?: string;
  /** Azure: where recovered VMs are made (the client id is `username`; the secret is sealed). */
  azure?: AzureSiteSettings;
}

export interface AzureSiteSettings {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** The customer's storage account for warm replicas; none: disks are uploaded at recovery time. */
  storageAccount?: string;
  /** Sovereign clouds (and the test simulator): Resource Manager and Microsoft Entra endpoints. */
  armEndpoint: string;
  loginEndpoint: string;
}

export interface Vm extends DiscoveredVm {
  id: string;
  hostId: string;
  hostName: string;
  hostKind: HostKind;
  firstSeenAt: string;
  lastSeenAt: string;
  protection: { policyId: string; policyName: string } | null;
}

export interface DiscoveryResult {
  hostId: string;
  hostName: string;
  ok: boolean;
  total: number;
  added: number;
  removed: number;
  changed: number;
  durationMs: number;
  /** When ok is false: what went wrong and what to do. */
  error?: { code: string; message: string; fix?: string };
}

export interface CertificateInfo {
  /** SHA-256 of the DER certificate, lower-case hex without separators. */
  sha256: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  selfSigned: boolean;
}

/** What `recordHost` saved: the folder, its files, the scripts run and those skipped (with why). */
export interface HostRecording {
  hostId: string;
  hostName: string;
  folder: string;
  /** The output files written (`<script>.json`, `<script>.<vmId>.json`, `….stderr.txt`), besides PROVENANCE.md and manifest.json. */
  files: string[];
  scripts: { script: string; vmId?: string; file: string }[];
  skipped: { script: string; vmId?: string; reason: string }[];
}

export interface SampleLab {
  hostId: string;
  folder: string;
  vms: string[];
}

/** Host name, IPv4/IPv6 address; no scheme, path or spaces (a pasted URL is trimmed to its host). */
export const hostAddress = z
  .string()
  .trim()
  .transform((value) => value.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, ''))
  .pipe(
    z
      .string()
      .min(1, 'Enter the host name or IP address.')
      .max(253)
      .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/, 'Use a host name or IP address, like esx01.corp.local or 10.0.0.5.'),
  );

/** Hex SHA-256, with or without colons; stored lower-case without separators. */
export const certificateThumbprint = z
  .string()
  .trim()
  .transform((value) => value.replace(/[:\s]/g, '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'A SHA-256 thumbprint is 64 hexadecimal digits.'));

const hostName = z.string().trim().min(1).max(100).optional();
const username = z.string().trim().min(1, 'Enter the user name.').max(256);
const password = z.string().min(1, 'Enter the password.').max(1024);
/** Full path on this computer: C:\VMs, \\nas\vms or /srv/vms. */
const absoluteFolder = z
  .string()
  .trim()
  .min(1, 'Choose a folder.')
  .regex(/^(?:[a-zA-Z]:[\\/]|\\\\[^\\]+\\[^\\]+|\/)/, 'Use a full path, like D:\\Virtual Machines.');

export const hypervHostInput = z
  .object({
    kind: z.literal('hyperv'),
    name: hostName,
    /** Empty: the Hyper-V host Lifeboat runs on. */
    address: hostAddress.optional(),
    username: username.optional(),
    password: password.optional(),
    /** Answer from outputs saved by `lifeboat hosts record` in this folder instead of a real host (see HostSettings). */
    replayFolder: absoluteFolder.optional(),
  })
  .refine((h) => (h.username === undefined) === (h.password === undefined), {
    message: 'Give both a user name and a password, or neither (to use your own Windows account).',
    path: ['password'],
  });

export const vsphereHostInput = z.object({
  kind: z.literal('vsphere'),
  name: hostName,
  address: hostAddress,
  port: z.number().int().min(1).max(65535).optional(),
  /** https always, except labs and the test simulator. */
  scheme: z.enum(['https', 'http']).default('https'),
  username,
  password,
  /** The certificate thumbprint the user confirmed; required for a certificate no authority vouches for. */
  thumbprint: certificateThumbprint.optional(),
});

export const workstationHostInput = z.object({
  kind: z.literal('workstation'),
  name: hostName,
  folders: z.array(absoluteFolder).min(1, 'Choose at least one folder that holds VMs.').max(50),
  useInventory: z.boolean().default(true),
});

const guid = (what: string) =>
  z
    .string()
    .trim()
    .regex(
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
      `The ${what} is a GUID, like 72f988bf-86f1-41af-91ab-2d7cd011db47 (Azure portal → ${what === 'subscription id' ? 'Subscriptions' : 'Microsoft Entra ID → App registrations'}).`,
    )
    .transform((value) => value.toLowerCase());
const httpsEndpoint = z
  .string()
  .trim()
  .url('Use a full https:// address.')
  .refine((value) => value.startsWith('https://'), 'Azure endpoints are https:// addresses.')
  .transform((value) => value.replace(/\/+$/, ''));

export const azureHostInput = z.object({
  kind: z.literal('azure'),
  name: hostName,
  tenantId: guid('tenant id'),
  /** The service principal's application (client) id. */
  clientId: guid('client id'),
  clientSecret: z.string().min(1, 'Enter the client secret (its value, not its id).').max(1024),
  subscriptionId: guid('subscription id'),
  resourceGroup: z
    .string()
    .trim()
    .regex(
      /^[-\w._()]{1,89}[-\w_()]$/,
      'A resource group name has 1–90 letters, digits, dashes, underscores, dots and parentheses, and does not end in a dot.',
    ),
  location: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]{2,40}$/, 'Use the region name, like westeurope or eastus2.'),
  storageAccount: z
    .string()
    .trim()
    .regex(/^[a-z0-9]{3,24}$/, 'A storage account name has 3–24 lower-case letters and digits.')
    .optional(),
  armEndpoint: httpsEndpoint.default('https://management.azure.com'),
  loginEndpoint: httpsEndpoint.default('https://login.microsoftonline.com'),
});

export const addHostInput = z.discriminatedUnion('kind', [hypervHostInput, vsphereHostInput, workstationHostInput, azureHostInput]);
export type AddHostInput = z.input<typeof addHostInput>;

const id = z.object({ id: z.string().min(1) });

export const hostsMethods = {
  listHosts: method('Hosts Lifeboat discovers VMs on.', z.object({}).default({})).returns<Host[]>().reads('hosts'),
  addHost: method(
    'Add a Hyper-V host, ESXi/vCenter server, Workstation folder or an Azure recovery site; the connection is checked before it is saved.',
    addHostInput,
  )
    .returns<Host>()
    .changes('hosts', 'vms'),
  removeHost: method('Forget a host and its VMs (nothing on the host changes).', id).returns<void>().changes('hosts', 'vms'),
  discover: method(
    'List the VMs of one host (hostId) or of every host into the catalog; reports added, removed and changed VMs.',
    z.object({ hostId: z.string().min(1).optional() }).default({}),
  )
    .returns<DiscoveryResult[]>()
    .changes('vms', 'hosts'),
  listVms: method('VMs in the catalog, optionally of one host.', z.object({ hostId: z.string().min(1).optional() }).default({}))
    .returns<Vm[]>()
    .reads('vms'),
  inspectCertificate: method(
    'The certificate a vSphere host presents, for the user to confirm before it is pinned.',
    z.object({ address: hostAddress, port: z.number().int().min(1).max(65535).default(443) }),
  )
    .returns<CertificateInfo>()
    .reads(),
  recordHost: method(
    "Save the outputs of a Hyper-V host's read-only scripts (host, VMs, heartbeats, replication) into an empty folder, secrets redacted, for `lifeboat hosts add hyperv --replay` to answer from offline.",
    z.object({ id: z.string().min(1), out: absoluteFolder }),
  )
    .returns<HostRecording>()
    .reads(),
  createSampleLab: method(
    'Build three small VMware Workstation-format VMs to try Lifeboat with, and add their folder as a host.',
    z.object({ folder: absoluteFolder.optional() }).default({}),
  )
    .returns<SampleLab>()
    .changes('hosts', 'vms'),
};
