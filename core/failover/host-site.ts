import fs from 'node:fs';
import path from 'node:path';
import type { WriteFormat } from '../disks/types';
import { hostSandboxVm } from '../drills/hypervisor-sandbox';
import { wait } from '../drills/steps';
import { datastoresOf } from '../drills/vsphere-staging';
import { vmFileName } from '../drills/vm-file-name';
import { LifeboatError } from '../contract/errors';
import {
  fullRead,
  ISOLATED_VM_MARKER,
  type DatastoreOps,
  type HostFileOps,
  type Hypervisor,
  type IsolatedVm,
  type IsolatedVmSpec,
} from '../hypervisors/types';
import type { RecoverySite } from './site';

export interface HostSiteOptions {
  hostId: string;
  hostName: string;
  /** A fresh connection to the recovery host; the site closes what it opens. */
  connect(): Hypervisor;
  diskFormat: WriteFormat;
  /** Local folder where disks are restored before the host sees them. */
  root: string;
  /**
   * Makes restored files visible to the host (Hyper-V here reads them in place; vSphere gets them uploaded
   * to a datastore) and says how to remove them again — also from a later Lifeboat process, by VM name.
   */
  stage(files: string[], key: string, signal: AbortSignal): Promise<string[]>;
  unstage(key: string): Promise<void>;
  pollSeconds?: number;
}

/**
 * A registered host as the recovery site: the VM is created there from the restored disks with one
 * connected adapter per recovery network, powered on, and watched through the host (heartbeat).
 */
export function hostSite(options: HostSiteOptions): RecoverySite {
  const poll = (options.pollSeconds ?? 5) * 1000;
  const withHost = async <T>(work: (host: Hypervisor) => Promise<T>): Promise<T> => {
    const host = options.connect();
    try {
      return await work(host);
    } finally {
      await host.close().catch(() => undefined);
    }
  };
  const powerState = async (host: Hypervisor, vmId: string) => (await host.listVms()).find((vm) => vm.externalId === vmId)?.powerState;
  const recoveredName = (vmName: string): string => `${vmName}-recovered`;
  return {
    hostId: options.hostId,
    label: options.hostName,
    diskFormat: options.diskFormat,
    diskFolder: (key) => path.join(options.root, key),
    async start(spec, signal) {
      const created = await createVmOnRestoredDisks(
        options.connect,
        options.stage,
        {
          key: spec.key,
          vm: {
            name: recoveredName(spec.name),
            cpus: spec.cpus,
            memoryMiB: spec.memoryMiB,
            firmware: spec.firmware,
            disks: spec.disks,
            networks: spec.networks,
          },
        },
        signal,
        (host, vm) => host.powerOn(vm.vmId),
      );
      return {
        recoveryVmId: created.vmId,
        vm: hostSandboxVm(
          perCall(options.connect),
          options.hostId,
          created.vmId,
          `failed-over VM ${created.name}`,
          poll,
          signal,
          async () => undefined,
        ),
      };
    },
    attach(recoveryVmId) {
      return hostSandboxVm(
        perCall(options.connect),
        options.hostId,
        recoveryVmId,
        'failed-over VM',
        poll,
        new AbortController().signal,
        async () => undefined,
      );
    },
    isRunning: (id) => withHost(async (host) => (await powerState(host, id)) === 'running'),
    shutDown: (id, timeoutSeconds) =>
      withHost(async (host) => {
        if ((await powerState(host, id)) !== 'running') return 'not running';
        if (timeoutSeconds > 0) {
          await host.powerOff(id, { hard: false }).catch(() => undefined);
          const deadline = performance.now() + timeoutSeconds * 1000;
          while (performance.now() < deadline) {
            if ((await powerState(host, id)) !== 'running') return 'guest shutdown';
            await wait(poll, new AbortController().signal); // the host is polled, as its own console does
          }
        }
        await host.powerOff(id, { hard: true });
        return 'powered off';
      }),
    copySource: () => readOnlyCopySource(options.connect()),
    // The recovered VM is a VM of that host: its own snapshots give points while it runs.
    liveCopySource: () => readOnlyCopySource(options.connect()),
    async remove(recovered) {
      await withHost(async (host) => {
        await host.powerOff(recovered.recoveryVmId, { hard: true }).catch(() => undefined);
        await host.removeVm(recovered.recoveryVmId);
      });
      const key = vmFileName(recovered.vmId, recovered.vm);
      await options.unstage(key);
      fs.rmSync(path.join(options.root, key), { recursive: true, force: true });
    },
    isGone: (id) => withHost(async (host) => (await powerState(host, id)) === undefined),
  };
}

/**
 * Restored disk files made visible to a host (`stage`) and a VM created on them there, powered off; `then`
 * runs in the same session (failover powers it on). Failover's recovery site and the restore room (a point
 * restored as a new VM) share it, so both register VMs the same way.
 */
export async function createVmOnRestoredDisks(
  connect: () => Hypervisor,
  stage: HostSiteOptions['stage'],
  spec: { key: string; vm: IsolatedVmSpec },
  signal: AbortSignal,
  then?: (host: Hypervisor, vm: IsolatedVm) => Promise<void>,
): Promise<IsolatedVm> {
  const hostPaths = await stage(spec.vm.disks, spec.key, signal);
  const host = connect();
  try {
    const vm = await host.createIsolatedVm({ ...spec.vm, disks: hostPaths });
    await then?.(host, vm);
    return vm;
  } finally {
    await host.close().catch(() => undefined);
  }
}

/** A hypervisor that connects for each call and closes after it: the recovered VM's checks hold no session open. */
function perCall(connect: () => Hypervisor): Hypervisor {
  // Connecting is only a constructor; it tells the kind and which optional methods (guest checks) the host has.
  const shape = connect();
  void shape.close().catch(() => undefined);
  return new Proxy({} as Hypervisor, {
    get(_target, property) {
      if (property === 'then' || typeof property === 'symbol') return undefined; // not a promise, whatever awaits it
      if (property === 'kind') return shape.kind;
      if (typeof Reflect.get(shape, property) !== 'function') return undefined;
      return async (...args: unknown[]) => {
        const host = connect();
        try {
          return await (Reflect.get(host, property) as (...a: unknown[]) => Promise<unknown>).apply(host, args);
        } finally {
          await host.close().catch(() => undefined);
        }
      };
    },
  });
}

/**
 * The recovery host, seen by failback's replication run: the original VM's change ids mean nothing to the
 * recovered copy, so every allocated block is read (the vault keeps only what changed).
 */
function readOnlyCopySource(host: Hypervisor): Hypervisor {
  return new Proxy(host, {
    get(target, property, receiver) {
      if (property === 'changedAreas')
        return async () => fullRead("a recovered copy is read in full: the original VM's change tracking means nothing to it.");
      // No change references are kept on the recovery host: the checkpoint is released as any other.
      if (property === 'keepChangeReference') return undefined;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A vSphere host as the recovery site: disks restored as ESXi disks and uploaded to `[datastore] lifeboat-failover/<vm>/`. */
export function vsphereRecoverySite(options: {
  hostId: string;
  hostName: string;
  connect(): Hypervisor;
  datastore: string;
  root: string;
  pollSeconds?: number;
}): RecoverySite {
  return hostSite({
    hostId: options.hostId,
    hostName: options.hostName,
    connect: options.connect,
    diskFormat: 'vmdk-esxi',
    root: options.root,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...vsphereDiskStaging(options.connect, options.datastore, 'lifeboat-failover'),
  });
}

/**
 * Restored ESXi disks (descriptor + flat extent) uploaded to `[datastore] <folderName>/<key>/`, the local
 * copies removed once the datastore holds them; unstage deletes that datastore folder.
 */
export function vsphereDiskStaging(
  connect: () => Hypervisor,
  datastore: string,
  folderName: string,
): Pick<HostSiteOptions, 'stage' | 'unstage'> {
  const folder = (key: string): string => `[${datastore}] ${folderName}/${key}`;
  const withDatastores = async <T>(work: (datastores: DatastoreOps) => Promise<T>): Promise<T> => {
    const client = connect();
    try {
      return await work(datastoresOf(client));
    } finally {
      await client.close().catch(() => undefined);
    }
  };
  return {
    stage: (files, key) =>
      withDatastores(async (datastores) => {
        const paths: string[] = [];
        for (const descriptor of files) {
          const flat = descriptor.replace(/\.vmdk$/, '-flat.vmdk');
          for (const file of [descriptor, ...(fs.existsSync(flat) ? [flat] : [])])
            await datastores.uploadFile(file, `${folder(key)}/${path.basename(file)}`);
          paths.push(`${folder(key)}/${path.basename(descriptor)}`);
        }
        for (const file of files) fs.rmSync(path.dirname(file), { recursive: true, force: true }); // the datastore holds them now
        return paths;
      }),
    unstage: (key) => withDatastores((datastores) => datastores.deletePath(folder(key))),
  };
}

/**
 * A Hyper-V host Lifeboat does not run on as the recovery site: disks restored here as VHDX, copied into
 * `<the host's virtual hard disk folder>\Lifeboat\<vm>\` through its administrative share (a marker file first,
 * so cleanup knows the folder is Lifeboat's), then the same scripts as on this computer's host.
 */
export function hypervRemoteSite(options: {
  hostId: string;
  hostName: string;
  connect(): Hypervisor;
  root: string;
  pollSeconds?: number;
}): RecoverySite {
  return hostSite({
    hostId: options.hostId,
    hostName: options.hostName,
    connect: options.connect,
    diskFormat: 'vhdx',
    root: options.root,
    ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    ...hypervDiskStaging(options.connect, options.hostName, options.root),
  });
}

export function hypervDiskStaging(connect: () => Hypervisor, hostName: string, root: string): Pick<HostSiteOptions, 'stage' | 'unstage'> {
  const withFiles = async <T>(work: (files: HostFileOps) => Promise<T>): Promise<T> => {
    const host = connect();
    try {
      if (!host.hostFiles)
        throw new LifeboatError('CONFLICT', `${hostName} is not a remote Hyper-V host: Lifeboat cannot copy restored disks to it.`, {
          fix: 'Choose a remote Hyper-V host as the recovery site, or leave it empty to recover on this machine.',
        });
      return await work(host.hostFiles);
    } finally {
      await host.close().catch(() => undefined);
    }
  };
  const folder = async (files: HostFileOps, key: string) => path.win32.join(await files.diskFolder(), 'Lifeboat', key);
  return {
    stage: (restored, key, signal) =>
      withFiles(async (files) => {
        const target = await folder(files, key);
        const marker = path.join(root, key, 'lifeboat-owned.txt');
        fs.mkdirSync(path.dirname(marker), { recursive: true });
        fs.writeFileSync(
          marker,
          `${ISOLATED_VM_MARKER}\r\nRestored disks of a Lifeboat failover; Lifeboat deletes this folder at failback.\r\n`,
        );
        await files.uploadFile(marker, path.win32.join(target, 'lifeboat-owned.txt'), signal);
        const hostPaths: string[] = [];
        for (const file of restored) {
          const hostPath = path.win32.join(target, path.basename(file));
          await files.uploadFile(file, hostPath, signal);
          fs.rmSync(file, { force: true }); // the host holds it now
          hostPaths.push(hostPath);
        }
        return hostPaths;
      }),
    unstage: (key) =>
      withFiles(async (files) => {
        const target = await folder(files, key);
        if ((await files.deleteOwnedFolder(target)) === 'not-lifeboat')
          throw new LifeboatError(
            'CONFLICT',
            `The folder ${target} on ${hostName} has no Lifeboat marker, so Lifeboat does not delete it.`,
            {
              fix: "Look at the folder on the host and delete it by hand if it holds only the recovered VM's disks.",
            },
          );
      }),
  };
}
