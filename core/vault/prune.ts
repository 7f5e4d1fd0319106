import fs from 'node:fs/promises';
import { FolderBackend } from './backends/folder';
import { ID_BYTES } from './block-codec';
import { idOf, keys, prefixes, randomId, sealIndex } from './format';
import { VaultLock } from './lock';
import { ProgressMeter, type RunOptions } from './progress';
import { indexAfterRepack, planRepack, writeRepacked } from './repack';
import { applyRetention, type RetentionPolicy } from './retention';
import { isZeroId } from './restore';
import { vaultError } from './support';
import type { Vault } from './vault';

export interface PruneReport {
  kept: string[];
  forgotten: string[];
  packsDeleted: number;
  bytesFreed: number;
  packsKept: number;
  /** Packs rewritten because most of what they held is no longer needed, and the live bytes moved. */
  packsRepacked: number;
  bytesRepacked: number;
  indexObjectsReplaced: number;
  blockListsDeleted: number;
  dryRun: boolean;
  seconds: number;
}

/** Temporary files of puts this old cannot belong to a live run (prune holds the exclusive lock anyway). */
const TEMP_FILE_AGE_MS = 10 * 60_000;

/**
 * Forgets recovery points the policy does not keep, then removes what no remaining point needs: packs
 * (including those a killed run left), block lists, and index objects, replaced by one compact index.
 * Order keeps the vault valid if prune itself is killed: manifests go first, the new index is written
 * before the old ones are removed, and packs are deleted only once no index names them.
 * A pack mostly unused is rewritten with only what is still needed (repack.ts); others are kept whole.
 */
export async function prune(vault: Vault, policy: RetentionPolicy, options: RunOptions & { dryRun?: boolean; vm?: string } = {}): Promise<PruneReport> {
  const started = performance.now();
  let lock: VaultLock | null = null;
  try {
    applyRetention([], policy); // refuses a policy that keeps nothing, before anything is locked
    lock = await VaultLock.acquire(vault.backend, 'exclusive', 'prune');
    // With `vm`, the policy is that VM's (policies differ per VM sharing a vault): every other point stays.
    const manifests = await vault.manifests();
    const decided = applyRetention(manifests.filter((m) => options.vm === undefined || m.vm === options.vm), policy);
    const keep = [...decided.keep, ...manifests.filter((m) => options.vm !== undefined && m.vm !== options.vm)];
    const forget = decided.forget;
    const report: PruneReport = {
      kept: keep.map((point) => point.id),
      forgotten: forget.map((point) => point.id),
      packsDeleted: 0,
      bytesFreed: 0,
      packsKept: 0,
      packsRepacked: 0,
      bytesRepacked: 0,
      indexObjectsReplaced: 0,
      blockListsDeleted: 0,
      dryRun: options.dryRun ?? false,
      seconds: 0,
    };

    const used = new Set<string>();
    const usedLists = new Set<string>();
    for (const manifest of keep) {
      for (const disk of manifest.disks) {
        usedLists.add(disk.blockList);
        const ids = await vault.readBlockList(disk);
        for (let at = 0; at < ids.length; at += ID_BYTES) {
          const id = ids.subarray(at, at + ID_BYTES);
          if (!isZeroId(id)) used.add(Buffer.from(id.buffer, id.byteOffset, ID_BYTES).toString('latin1'));
        }
      }
    }
    vault.forgetIndex(); // what this handle loaded earlier may name packs and indexes another prune removed
    const indexObjects = [...(await vault.loadIndex())];
    const usedPacks = vault.index.packs().filter((pack) => pack.entries.some((entry) => used.has(entry.id.toString('latin1'))));
    const repack = planRepack(usedPacks, used);
    const stillUsed = new Set(usedPacks.map((pack) => pack.packId));
    const packs = await vault.backend.list(prefixes.packs);
    const doomed = packs.filter((object) => !stillUsed.has(idOf(object.key)));
    const lists = (await vault.backend.list(prefixes.blockLists)).filter((object) => !usedLists.has(idOf(object.key)));
    report.packsDeleted = doomed.length + repack.rewrite.length;
    report.bytesFreed = doomed.reduce((sum, object) => sum + object.size, 0) + lists.reduce((sum, object) => sum + object.size, 0) + repack.bytesFreed;
    report.packsKept = repack.keep.length;
    report.packsRepacked = repack.rewrite.length;
    report.bytesRepacked = repack.bytesMoving;
    report.indexObjectsReplaced = indexObjects.length;
    report.blockListsDeleted = lists.length;
    if (options.dryRun) return { ...report, seconds: (performance.now() - started) / 1000 };

    const meter = new ProgressMeter('prune', forget.length + repack.bytesMoving + doomed.length + repack.rewrite.length, options.onProgress);
    for (const point of forget) {
      await vault.backend.delete(keys.point(point.id));
      meter.add(1);
    }
    // New packs, then an index naming them instead of the old ones, then the old packs go: killed at any
    // step, the vault still opens every kept point.
    const written = await writeRepacked(vault, repack, options.signal, (bytes) => meter.add(bytes));
    const compact = indexAfterRepack(repack, written);
    report.packsKept += written.length;
    await vault.backend.sync();
    const newIndex = randomId(16);
    await vault.backend.put(keys.index(newIndex), sealIndex(compact.packs(), vault.keys.encKey));
    for (const id of indexObjects) await vault.backend.delete(keys.index(id));
    for (const object of [...doomed, ...repack.rewrite.map((pack) => ({ key: keys.pack(pack.packId) }))]) {
      options.signal?.throwIfAborted();
      await vault.backend.delete(object.key);
      meter.add(1);
    }
    for (const object of lists) await vault.backend.delete(object.key);
    if (vault.raw instanceof FolderBackend) {
      for (const file of await vault.raw.staleTemporaryFiles(TEMP_FILE_AGE_MS)) await fs.rm(file, { force: true });
    }
    meter.finish();
    return { ...report, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    throw vaultError(error, vault.location);
  } finally {
    await lock?.release();
  }
}
