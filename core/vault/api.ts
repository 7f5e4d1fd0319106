import { randomUUID } from 'node:crypto';
import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import { createDiskWriter, openDisk } from '../disks/index';
import type { ServiceContext } from '../service-context';
import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';
import type { VaultProgress } from './progress';
import { Vault } from './vault';

type VaultApi = Pick<
  ConsoleApi,
  'vaultInit' | 'vaultList' | 'vaultBackupDisk' | 'vaultRestoreDisk' | 'vaultVerify' | 'vaultPrune' | 'vaultRecoveryKit' | 'vaultUnlock' | 'vaultCancel'
>;

/** The vault for the console: defaults come from the catalog (the wizard's vault and stored passphrase). */
export function vaultApi(ctx: ServiceContext): VaultApi {
  const running = new Map<string, AbortController>();
  ctx.onClose(() => {
    for (const controller of running.values()) controller.abort(new LifeboatError('CANCELLED', 'Lifeboat is shutting down.'));
  });

  const resolve = (input: { location?: string | undefined; passphrase?: string | undefined }): { location: string; passphrase: string; env: NodeJS.ProcessEnv } => {
    const fallback = input.location === undefined ? ctx.targets.getDefault() : null;
    const location = input.location ?? fallback?.location.path;
    const passphrase = input.passphrase ?? ctx.secrets.get(VAULT_PASSPHRASE_SECRET);
    if (!location || !passphrase) {
      throw new LifeboatError('NOT_SET_UP', 'No vault is set up yet.', { fix: 'Finish the first-run wizard, or give the vault location and passphrase.' });
    }
    // The default vault's sealed cloud credentials; an explicit location uses the engine's environment.
    const sealed = fallback ? ctx.targets.credentialsSecretId(fallback.id) : null;
    return { location, passphrase, env: sealed ? { ...process.env, ...(JSON.parse(ctx.secrets.get(sealed) ?? '{}') as Record<string, string>) } : process.env };
  };

  const withVault = async <T>(input: { location?: string | undefined; passphrase?: string | undefined }, work: (vault: Vault) => Promise<T>): Promise<T> => {
    const { location, passphrase, env } = resolve(input);
    const vault = await Vault.open(location, passphrase, { env });
    try {
      return await work(vault);
    } finally {
      await vault.close();
    }
  };

  /** Runs a job: progress and the outcome go out as events under its id; vaultCancel aborts it. */
  const job = async <T>(requested: string | undefined, phase: string, work: (id: string, signal: AbortSignal, onProgress: (p: VaultProgress) => void) => Promise<T>): Promise<T> => {
    const id = requested ?? randomUUID();
    if (running.has(id)) throw new LifeboatError('CONFLICT', `A job ${id} is already running.`, { fix: 'Use another job id.' });
    const controller = new AbortController();
    running.set(id, controller);
    const onProgress = (p: VaultProgress): void =>
      ctx.bus.emit({ type: 'job.progress', jobId: id, phase: p.phase || phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds });
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
  };

  return {
    async vaultInit(input) {
      const { location, passphrase, env } = resolve(input);
      try {
        const vault = await Vault.init(location, passphrase, { env });
        await vault.close();
        return { location: vault.location, id: vault.config.id, blockSize: vault.config.blockSize, created: true };
      } catch (error) {
        if (!(error instanceof LifeboatError) || error.code !== 'VAULT_EXISTS') throw error;
        return withVault(input, async (vault) => ({ location: vault.location, id: vault.config.id, blockSize: vault.config.blockSize, created: false }));
      }
    },

    async vaultList(input) {
      return withVault(input, async (vault) =>
        (await vault.listAll()).map((point) => ({
          id: point.id,
          vm: point.vm,
          time: point.time,
          disks: point.disks.map((disk) => ({ name: disk.name, size: disk.size, storedBytes: disk.storedBytes, referencedBytes: disk.referencedBytes })),
          ...(point.damaged !== undefined ? { damaged: point.damaged } : {}),
        })),
      );
    },

    async vaultBackupDisk(input) {
      return job(input.jobId, 'backup', (jobId, signal, onProgress) =>
        withVault(input, async (vault) => {
          const reader = await openDisk(input.diskFile);
          try {
            const point = await vault.backup(
              { vm: input.vm, disks: [{ name: input.disk, reader, ...(input.parent ? { parent: input.parent } : {}) }], metadata: { source: input.diskFile, format: reader.format } },
              { signal, onProgress },
            );
            return {
              jobId,
              id: point.id,
              vm: point.vm,
              time: point.time,
              disks: point.disks.map((disk) => ({ name: disk.name, size: disk.size, storedBytes: disk.storedBytes, referencedBytes: disk.referencedBytes })),
              stats: { bytesRead: point.stats.bytesRead, bytesNew: point.stats.bytesNew, bytesStored: point.stats.bytesStored, seconds: point.stats.seconds },
            };
          } finally {
            await reader.close();
          }
        }),
      );
    },

    async vaultRestoreDisk(input) {
      return job(input.jobId, 'restore', (jobId, signal, onProgress) =>
        withVault(input, async (vault) => {
          const point = await vault.resolvePoint(input.pointId);
          const disk = point.disks.find((candidate) => candidate.name === input.disk);
          if (!disk) {
            throw new LifeboatError('NOT_FOUND', `Recovery point ${point.id} has no disk named "${input.disk}".`, {
              field: 'disk',
              fix: `Its disks are: ${point.disks.map((candidate) => candidate.name).join(', ') || '(none)'}.`,
            });
          }
          const writer = await createDiskWriter(input.format, input.outFile, disk.size);
          const result = await vault.restoreDisk(point.id, input.disk, writer, { signal, onProgress });
          return { jobId, ...result, file: input.outFile, format: input.format };
        }),
      );
    },

    async vaultVerify(input) {
      return job(input.jobId, 'verify', (jobId, signal, onProgress) =>
        withVault(input, async (vault) => {
          const readData = typeof input.readData === 'number' ? { fraction: input.readData } : input.readData;
          const report = await vault.verify({ readData, signal, onProgress });
          return {
            jobId,
            ok: report.ok,
            points: report.points,
            disks: report.disks,
            packs: report.packs,
            packsRead: report.packsRead,
            bytesRead: report.bytesRead,
            problems: report.problems,
            affected: report.affected,
            unreferencedPacks: report.unreferencedPacks,
          };
        }),
      );
    },

    async vaultPrune(input) {
      const policy = Object.fromEntries(
        (['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const).filter((key) => input[key] !== undefined).map((key) => [key, input[key]]),
      );
      return withVault(input, async (vault) => {
        const report = await vault.prune(policy, { dryRun: input.dryRun });
        return { kept: report.kept, forgotten: report.forgotten, packsDeleted: report.packsDeleted, bytesFreed: report.bytesFreed, packsRepacked: report.packsRepacked, bytesRepacked: report.bytesRepacked, dryRun: report.dryRun };
      });
    },

    async vaultRecoveryKit(input) {
      return withVault(input, async (vault) => ({ text: await vault.recoveryKit() }));
    },

    async vaultUnlock(input) {
      return withVault(input, async (vault) => ({ removed: await vault.unlock(input.all) }));
    },

    async vaultCancel(input) {
      const controller = running.get(input.jobId);
      controller?.abort(new LifeboatError('CANCELLED', 'Cancelled from the console.'));
      return { cancelled: controller !== undefined };
    },
  };
}
