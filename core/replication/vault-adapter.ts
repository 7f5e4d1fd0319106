import { LifeboatError } from '../contract/errors';
import type { DiskWriter } from '../disks/types';
import type { RoomDeps } from '../service-context';
import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';
import { RecoveryPointsStore } from '../store/recovery-points';
import { writeAuditAnchor } from '../vault/audit-anchor';
import { backup } from '../vault/backup';
import { prune } from '../vault/prune';
import { applyRetention } from '../vault/retention';
import { restoreDisk } from '../vault/restore';
import { storedCredentials } from '../vault/target-credentials';
import { Vault } from '../vault/vault';
import { verify } from '../vault/verify';
import { sharedTarget, type LimitSource } from './shared-target';
import { ownsPoint, type VaultPort } from './vault-port';

/** What this module needs from the engine (see RoomDeps). */
export type VaultPortDeps = RoomDeps<'audit' | 'clock' | 'db' | 'secrets' | 'targets'>;

export interface VaultPortOptions {
  /** The copy's policy and the upload limit it wants now (bytes/s, null: unlimited), re-read every BANDWIDTH_RECHECK_MS during a run. */
  uploadLimit?: LimitSource;
  /**
   * For ports that only restore and verify (drills, restores, failover): the vault is opened through a
   * read-only view (VaultOptions.readOnly), and a missing one is not created.
   */
  readOnly?: boolean;
}

const BANDWIDTH_RECHECK_MS = 30_000;

/**
 * Opens the vault behind a catalog target with the stored passphrase, as the port runs and drills use.
 * A target that has never held a recovery point gets its vault created on first use (the wizard only
 * records where it lives); one that has held points is never silently re-created.
 */
export async function openVaultPort(ctx: VaultPortDeps, targetId: string, options: VaultPortOptions = {}): Promise<VaultPort> {
  const target = ctx.targets.get(targetId);
  if (!target)
    throw new LifeboatError('NOT_FOUND', `The vault target ${targetId} is no longer configured.`, {
      fix: 'Edit the policy and choose a target from Settings.',
    });
  const passphrase = ctx.secrets.has(VAULT_PASSPHRASE_SECRET) ? ctx.secrets.get(VAULT_PASSPHRASE_SECRET) : undefined;
  if (!passphrase)
    throw new LifeboatError('NOT_SET_UP', 'The vault passphrase is not stored on this machine.', {
      fix: 'Enter it again in Settings → Vault so scheduled copies can open the vault.',
    });
  const location = target.location.path;
  let pointTime: Date | null = null;
  const shared = sharedTarget(ctx, targetId);
  const { bandwidth } = shared;
  const readOnly = options.readOnly ?? false;
  const vaultOptions = { credentials: storedCredentials(ctx, targetId), now: () => pointTime ?? ctx.clock.now(), pacers: bandwidth.pacers };
  const vault = await shared.openSerially(async () => {
    try {
      return await Vault.open(location, passphrase, { ...vaultOptions, readOnly });
    } catch (error) {
      const neverUsed = new RecoveryPointsStore(ctx.db).listForTarget(targetId).length === 0;
      if (readOnly || !(error instanceof LifeboatError) || error.code !== 'VAULT_NOT_FOUND' || !neverUsed) throw error;
      const created = await Vault.init(location, passphrase, vaultOptions);
      ctx.audit.append('system', 'vault.created', location, { targetId });
      return created;
    }
  });

  const leave = options.uploadLimit ? bandwidth.join(options.uploadLimit) : null;
  const recheck = options.uploadLimit ? setInterval(() => bandwidth.apply(), BANDWIDTH_RECHECK_MS) : null;
  recheck?.unref();

  return {
    async latest(owner) {
      const points = (await vault.list()).filter((p) => ownsPoint(owner, p)).sort((a, b) => b.time.localeCompare(a.time));
      const newest = points[0];
      if (!newest) return null;
      const changeIds = (newest.metadata.changeIds ?? {}) as Record<string, string | null>;
      return { id: newest.id, time: newest.time, disks: newest.disks.map((d) => ({ name: d.name, changeId: changeIds[d.name] ?? null })) };
    },

    async backup(input, run) {
      const leaveGate = await shared.gate.enterWrite(run.signal);
      pointTime = input.time;
      try {
        const result = await backup(
          vault,
          {
            vm: input.vm,
            disks: input.disks.map((disk) => ({
              name: disk.name,
              reader: disk.reader,
              ...(disk.changed && disk.parentPointId ? { changedExtents: disk.changed, parent: disk.parentPointId } : {}),
            })),
            // CBT change ids travel in the manifest: the vault alone says where the next incremental starts.
            metadata: { ...input.metadata, changeIds: Object.fromEntries(input.disks.map((d) => [d.name, d.changeId])) },
          },
          {
            signal: run.signal,
            onProgress: (p) =>
              run.onProgress(p.bytesDone, p.bytesTotal, p.phase === 'upload' ? 'send' : 'read', {
                bytesPerSecond: p.bytesPerSecond,
                etaSeconds: p.etaSeconds,
                bytesRead: p.bytesRead ?? p.bytesDone,
                limit: bandwidth.inForce(),
              }),
          },
        );
        // The audit log's end goes with every copy: a log shortened or rewritten later disagrees with it.
        const head = ctx.audit.head();
        if (head) await writeAuditAnchor(vault, { ...head, time: ctx.clock.now().toISOString() });
        return {
          id: result.id,
          time: result.time,
          sizeBytes: result.disks.reduce((sum, d) => sum + d.size, 0),
          storedBytes: result.stats.bytesStored,
          bytesRead: result.stats.bytesRead,
          uploadBytesPerSecond: result.stats.upload.bytesPerSecond,
        };
      } finally {
        pointTime = null;
        leaveGate();
      }
    },

    async prune(owner, retention, signal) {
      const policy = {
        keepLast: retention.keepLast,
        keepDaily: retention.daily,
        keepWeekly: retention.weekly,
        keepMonthly: retention.monthly,
        keepYearly: retention.yearly,
      };
      // Nothing of this VM's to forget: no exclusive lock, so the copy does not wait for others writing beside it.
      if (
        applyRetention(
          (await vault.list()).filter((p) => ownsPoint(owner, p)),
          policy,
        ).forget.length === 0
      )
        return null;
      const report = await shared.gate.exclusive(
        () => prune(vault, policy, { vm: (manifest) => ownsPoint(owner, manifest), ...(signal ? { signal } : {}) }),
        signal,
      );
      return report.kept;
    },

    async pointDisks(pointId) {
      return (await vault.readManifest(pointId)).disks.map((disk) => ({ name: disk.name, size: disk.size }));
    },

    async restoreDisk(pointId, disk, writer, run) {
      // The vault closes what it writes; the port's caller owns the writer, so it gets a view it cannot close.
      const view: DiskWriter = {
        format: writer.format,
        files: writer.files,
        write: (offset, data) => writer.write(offset, data),
        ...(writer.positional ? { positional: writer.positional } : {}),
        close: async () => undefined,
        abort: async () => undefined,
      };
      try {
        await restoreDisk(vault, pointId, disk, view, { signal: run.signal, onProgress: (p) => run.onProgress(p.bytesDone, p.bytesTotal) });
      } catch (error) {
        if (error instanceof LifeboatError || run.signal.aborted) throw error;
        // Decryption or decompression failing means the stored data no longer is what was written.
        throw new LifeboatError(
          'VAULT_CORRUPT',
          `Disk ${disk} of recovery point ${pointId} cannot be restored: its data in the vault is damaged (${(error as Error).message}).`,
          {
            fix: 'Run `lifeboat vault verify <location> --read-data` to see every damaged point, and restore from an older point meanwhile.',
            cause: error,
          },
        );
      }
    },

    async verifyPoint(pointId, signal) {
      const report = await verify(vault, { readData: 'all', points: [pointId], signal });
      if (report.points === 0) return { ok: false, problem: `Recovery point ${pointId} is not in the vault (or its manifest is damaged).` };
      const affected = report.affected.filter((a) => a.pointId === pointId);
      if (affected.length === 0) return { ok: true, problem: null };
      return {
        ok: false,
        problem:
          `${affected.map((a) => `disk ${a.disk}: ${a.badBlocks} damaged block(s)`).join('; ')}. ${report.problems.map((p) => p.message).join(' ')}`.trim(),
      };
    },

    async close() {
      if (recheck) clearInterval(recheck);
      leave?.();
      await vault.close();
    },
  };
}
