import { randomUUID } from 'node:crypto';
import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { VaultTarget } from '../contract/types';
import { createDiskWriter, openDisk } from '../disks/index';
import type { RoomDeps } from '../service-context';
import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';
import { parseLocation } from './backends/open';
import type { BackendCredentials } from './backends/credentials';
import type { ManifestDisk } from './format';
import type { VaultProgress } from './progress';
import type { RecoveryPointSummary } from './support';
import { storedCredentials } from './target-credentials';
import { Vault } from './vault';

/** What this module needs from the engine (see RoomDeps). */
export type VaultApiDeps = RoomDeps<'bus' | 'onClose' | 'secrets' | 'targets'>;

type VaultApi = Pick<
  ConsoleApi,
  | 'vaultInit'
  | 'vaultList'
  | 'vaultBackupDisk'
  | 'vaultRestoreDisk'
  | 'vaultVerify'
  | 'vaultPrune'
  | 'vaultRecoveryKit'
  | 'vaultUnlock'
  | 'vaultCancel'
>;

interface VaultInput {
  location?: string | undefined;
  passphrase?: string | undefined;
}

interface ResolvedVault {
  location: string;
  passphrase: string;
  credentials: BackendCredentials | null;
}

type JobWork<T> = (id: string, signal: AbortSignal, onProgress: (p: VaultProgress) => void) => Promise<T>;

/** The vault for the console: defaults come from the catalog (the wizard's vault and stored passphrase). */
export function vaultApi(ctx: VaultApiDeps): VaultApi {
  const jobs = vaultJobs(ctx);
  const withVault = <T>(input: VaultInput, work: (vault: Vault) => Promise<T>, readOnly = false): Promise<T> =>
    openAndRun(resolveVault(ctx, input), readOnly, work);
  const reading = <T>(input: VaultInput, work: (vault: Vault) => Promise<T>): Promise<T> => withVault(input, work, true);

  return {
    vaultInit: (input) => initVault(resolveVault(ctx, input)),

    vaultList: (input) => reading(input, async (vault) => (await vault.listAll()).map(pointInfo)),

    vaultBackupDisk: (input) =>
      jobs.run(input.jobId, 'backup', (jobId, signal, onProgress) =>
        withVault(input, async (vault) => {
          const reader = await openDisk(input.diskFile);
          try {
            const point = await vault.backup(
              {
                vm: input.vm,
                disks: [{ name: input.disk, reader, ...(input.parent ? { parent: input.parent } : {}) }],
                metadata: { source: input.diskFile, format: reader.format },
              },
              { signal, onProgress },
            );
            const { bytesRead, bytesNew, bytesStored, seconds } = point.stats;
            return { jobId, ...pointInfo(point), stats: { bytesRead, bytesNew, bytesStored, seconds } };
          } finally {
            await reader.close();
          }
        }),
      ),

    vaultRestoreDisk: (input) =>
      jobs.run(input.jobId, 'restore', (jobId, signal, onProgress) =>
        reading(input, async (vault) => {
          const point = await vault.resolvePoint(input.pointId);
          const disk = diskOf(point, input.disk);
          const writer = await createDiskWriter(input.format, input.outFile, disk.size);
          const result = await vault.restoreDisk(point.id, input.disk, writer, { signal, onProgress });
          return { jobId, ...result, file: input.outFile, format: input.format };
        }),
      ),

    vaultVerify: (input) =>
      jobs.run(input.jobId, 'verify', (jobId, signal, onProgress) =>
        reading(input, async (vault) => {
          const readData = typeof input.readData === 'number' ? { fraction: input.readData } : input.readData;
          const { ok, points, disks, packs, packsRead, bytesRead, problems, affected, unreferencedPacks } = await vault.verify({
            readData,
            signal,
            onProgress,
          });
          return { jobId, ok, points, disks, packs, packsRead, bytesRead, problems, affected, unreferencedPacks };
        }),
      ),

    vaultPrune: (input) => {
      const policy = Object.fromEntries(
        (['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const)
          .filter((key) => input[key] !== undefined)
          .map((key) => [key, input[key]]),
      );
      return withVault(input, async (vault) => {
        const { kept, forgotten, packsDeleted, bytesFreed, packsRepacked, bytesRepacked, dryRun } = await vault.prune(policy, {
          dryRun: input.dryRun,
        });
        return { kept, forgotten, packsDeleted, bytesFreed, packsRepacked, bytesRepacked, dryRun };
      });
    },

    vaultRecoveryKit: (input) => reading(input, async (vault) => ({ text: await vault.recoveryKit() })),

    vaultUnlock: (input) => withVault(input, async (vault) => ({ removed: await vault.unlock(input.all) })),

    vaultCancel: async (input) => ({ cancelled: jobs.cancel(input.jobId) }),
  };
}

/**
 * Which vault a call means: the given location, or the default target's; opened with the credentials sealed
 * for the target at that location, never the engine's own environment.
 */
function resolveVault(ctx: VaultApiDeps, input: VaultInput): ResolvedVault {
  const target = input.location === undefined ? ctx.targets.getDefault() : targetAt(ctx, input.location);
  const location = input.location ?? target?.location.path;
  const passphrase = input.passphrase ?? ctx.secrets.get(VAULT_PASSPHRASE_SECRET);
  if (!location || !passphrase) {
    throw new LifeboatError('NOT_SET_UP', 'No vault is set up yet.', {
      fix: 'Finish the first-run wizard, or give the vault location and passphrase.',
    });
  }
  return { location, passphrase, credentials: target ? storedCredentials(ctx, target.id) : null };
}

/** The target whose location this is, as targets record it (a folder's absolute path, a cloud URL as typed). */
function targetAt(ctx: VaultApiDeps, location: string): VaultTarget | null {
  const parsed = parseLocation(location);
  return ctx.targets.findByLocation(parsed.kind === 'folder' ? parsed.path : location.trim());
}

async function openAndRun<T>(resolved: ResolvedVault, readOnly: boolean, work: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await Vault.open(resolved.location, resolved.passphrase, { credentials: resolved.credentials, readOnly });
  try {
    return await work(vault);
  } finally {
    await vault.close();
  }
}

/** Creates the vault, or, when there already is one, proves the passphrase opens it. */
async function initVault(resolved: ResolvedVault): Promise<{ location: string; id: string; blockSize: number; created: boolean }> {
  try {
    const vault = await Vault.init(resolved.location, resolved.passphrase, { credentials: resolved.credentials });
    await vault.close();
    return { location: vault.location, id: vault.config.id, blockSize: vault.config.blockSize, created: true };
  } catch (error) {
    if (!(error instanceof LifeboatError) || error.code !== 'VAULT_EXISTS') throw error;
    return openAndRun(resolved, true, async (vault) => ({
      location: vault.location,
      id: vault.config.id,
      blockSize: vault.config.blockSize,
      created: false,
    }));
  }
}

/** Vault jobs: progress and the outcome go out as events under the job's id; cancel aborts one. */
function vaultJobs(ctx: VaultApiDeps): {
  run<T>(requested: string | undefined, phase: string, work: JobWork<T>): Promise<T>;
  cancel(jobId: string): boolean;
} {
  const running = new Map<string, AbortController>();
  ctx.onClose(() => {
    for (const controller of running.values()) controller.abort(new LifeboatError('CANCELLED', 'Lifeboat is shutting down.'));
  });
  return {
    async run(requested, phase, work) {
      const id = requested ?? randomUUID();
      if (running.has(id)) throw new LifeboatError('CONFLICT', `A job ${id} is already running.`, { fix: 'Use another job id.' });
      const controller = new AbortController();
      running.set(id, controller);
      const onProgress = (p: VaultProgress): void =>
        ctx.bus.emit({
          type: 'job.progress',
          jobId: id,
          phase: p.phase || phase,
          bytesDone: p.bytesDone,
          bytesTotal: p.bytesTotal,
          bytesPerSecond: p.bytesPerSecond,
          etaSeconds: p.etaSeconds,
        });
      try {
        const result = await work(id, controller.signal, onProgress);
        ctx.bus.emit({ type: 'job.finished', jobId: id, status: 'succeeded' });
        return result;
      } catch (error) {
        const cancelled = error instanceof LifeboatError && error.code === 'CANCELLED';
        ctx.bus.emit({ type: 'job.finished', jobId: id, status: cancelled ? 'cancelled' : 'failed', message: (error as Error).message });
        throw error;
      } finally {
        running.delete(id);
      }
    },
    cancel(jobId) {
      const controller = running.get(jobId);
      controller?.abort(new LifeboatError('CANCELLED', 'Cancelled from the console.'));
      return controller !== undefined;
    },
  };
}

function pointInfo(point: RecoveryPointSummary): {
  id: string;
  vm: string;
  time: string;
  disks: { name: string; size: number; storedBytes: number; referencedBytes: number }[];
  damaged?: string;
} {
  return {
    id: point.id,
    vm: point.vm,
    time: point.time,
    disks: point.disks.map((disk) => ({
      name: disk.name,
      size: disk.size,
      storedBytes: disk.storedBytes,
      referencedBytes: disk.referencedBytes,
    })),
    ...(point.damaged !== undefined ? { damaged: point.damaged } : {}),
  };
}

function diskOf(point: { id: string; disks: ManifestDisk[] }, name: string): ManifestDisk {
  const disk = point.disks.find((candidate) => candidate.name === name);
  if (disk) return disk;
  throw new LifeboatError('NOT_FOUND', `Recovery point ${point.id} has no disk named "${name}".`, {
    field: 'disk',
    fix: `Its disks are: ${point.disks.map((candidate) => candidate.name).join(', ') || '(none)'}.`,
  });
}
