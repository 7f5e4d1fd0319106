import fs from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import { FolderBackend } from './backends/folder';
import { isNotFound, type ObjectInfo } from './backends/types';
import { ID_BYTES, isZeroId } from './block-codec';
import { idOf, keys, prefixes, randomId, sealIndex, type Manifest } from './format';
import { VaultLock } from './lock';
import { ProgressMeter, type RunOptions } from './progress';
import { indexAfterRepack, planRepack, writeRepacked } from './repack';
import { applyRetention, type RetentionPolicy } from './retention';
import { isUnreadable, mapLimit, vaultError, type DamagedPoint } from './support';
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
  /** Packs (and block lists) nothing names that were left because they are younger than the minimum age. */
  packsTooYoung: number;
  indexObjectsReplaced: number;
  blockListsDeleted: number;
  dryRun: boolean;
  seconds: number;
}

export interface PruneOptions extends RunOptions {
  dryRun?: boolean;
  /**
   * Apply the policy to the points this selects only (one VM's, by the VM id its manifests record: names
   * repeat across hosts); every other point stays.
   */
  vm?: (manifest: Manifest) => boolean;
  /** Overrides the minimum age of what prune deletes unreferenced (see MIN_PACK_AGE_MS). */
  minPackAgeMs?: number;
}

/** Temporary files of puts this old cannot belong to a live run (prune holds the exclusive lock anyway). */
const TEMP_FILE_AGE_MS = 10 * 60_000;

/**
 * A pack (or block list) that no point or index needs is deleted only once it is this old: a younger one may
 * belong to a copy in flight on another machine that has not written its index or manifest yet (a lock
 * broken by hand, a clock or lock race: kopia's rule). Repack leaves packs this young whole, too.
 * Overridden by PruneOptions.minPackAgeMs, VaultOptions.minPackAgeMs or, in seconds, the environment
 * variable MIN_PACK_AGE_ENV (tests set 0). Ages come from the backend's object times; an object whose
 * time the backend does not give counts as young unless the minimum age is 0.
 */
export const MIN_PACK_AGE_MS = 60 * 60_000;
export const MIN_PACK_AGE_ENV = 'LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS';

function minPackAge(vault: Vault, options: PruneOptions): number {
  const chosen = options.minPackAgeMs ?? vault.options.minPackAgeMs;
  if (chosen !== undefined) return chosen;
  const text = (vault.options.env ?? process.env)[MIN_PACK_AGE_ENV];
  if (text === undefined || text.trim() === '') return MIN_PACK_AGE_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new LifeboatError('INVALID_INPUT', `${MIN_PACK_AGE_ENV} must be a number of seconds (got "${text}").`, { fix: `Unset it (default ${MIN_PACK_AGE_MS / 1000} s), or set it to e.g. 3600.` });
  }
  return seconds * 1000;
}

/**
 * When each object was last written, in ms since the epoch, or null when the backend does not say: from
 * the listing's `modified` where a backend gives one, else from the file on a folder vault.
 */
async function objectTimes(vault: Vault, objects: readonly ObjectInfo[]): Promise<Map<string, number | null>> {
  const times = new Map<string, number | null>();
  await mapLimit(objects, 16, async (object) => {
    let time: number | null = object.modified ?? null;
    if (time === null && vault.raw instanceof FolderBackend) {
      time = await fs.stat(path.join(vault.raw.root, ...object.key.split('/'))).then(
        (stat) => stat.mtimeMs,
        () => null,
      );
    }
    times.set(object.key, time !== null && Number.isFinite(time) ? time : null);
  });
  return times;
}

/** Prune's refusal: objects that cannot be read or authenticated, so what they name is unknown. */
export class VaultDamagedError extends LifeboatError {
  constructor(
    location: string,
    readonly damagedPoints: DamagedPoint[],
    readonly damagedBlockLists: { key: string; points: { id: string; vm: string; time: string; disk: string }[] }[],
    readonly damagedIndexObjects: string[],
  ) {
    const parts = [
      ...damagedPoints.map((point) => `recovery point ${point.id} (${point.vm ? `VM ${point.vm}` : 'VM unknown'}, time unknown): its manifest ${point.key} cannot be read or authenticated`),
      ...damagedBlockLists.flatMap((list) =>
        list.points.map((point) => `recovery point ${point.id} (VM ${point.vm}, ${point.time}), disk ${point.disk}: its block list ${list.key} is missing or cannot be authenticated`),
      ),
      ...damagedIndexObjects.map((key) => `index object ${key} cannot be read or authenticated`),
    ];
    const pointIds = [...new Set([...damagedPoints.map((point) => point.id), ...damagedBlockLists.flatMap((list) => list.points.map((point) => point.id))])];
    const objectKeys = [...damagedPoints.map((point) => point.key), ...damagedBlockLists.map((list) => list.key), ...damagedIndexObjects];
    const fix =
      `Run \`lifeboat vault verify ${location}\` to see the damage. Restore the damaged objects (${objectKeys.join(', ')}) from a copy of the vault, then prune again` +
      (pointIds.length > 0 ? `; if no copy has them, forget those points with \`lifeboat vault forget ${location} ${pointIds.join(' ')}\` (their data is lost) and prune again` : '') +
      (damagedIndexObjects.length > 0 ? '; a damaged index object no copy has can be deleted, then run a backup (it re-indexes the packs that index named from their own headers) before pruning again' : '') +
      '.';
    super('VAULT_CORRUPT', `Prune deleted nothing: the vault has damaged objects, so what they need cannot be told from garbage. ${parts.join('; ')}.`, { fix });
    this.name = 'VaultDamagedError';
  }
}

/**
 * Forgets recovery points the policy does not keep, then removes what no remaining point needs: packs
 * (including those a killed run left), block lists, and index objects, replaced by one compact index.
 * Order keeps the vault valid if prune itself is killed: manifests go first, the new index is written
 * before the old ones are removed, and packs are deleted only once no index names them.
 * A pack mostly unused is rewritten with only what is still needed (repack.ts); others are kept whole.
 * Nothing at all is deleted while any manifest, block list or index object cannot be read or
 * authenticated (VaultDamagedError): the packs only a damaged point uses would look unused and go.
 * Unreferenced packs and block lists younger than the minimum age stay (MIN_PACK_AGE_MS).
 */
export async function prune(vault: Vault, policy: RetentionPolicy, options: PruneOptions = {}): Promise<PruneReport> {
  const started = performance.now();
  let lock: VaultLock | null = null;
  try {
    applyRetention([], policy); // refuses a policy that keeps nothing, before anything is locked
    const minAge = minPackAge(vault, options);
    lock = await VaultLock.acquire(vault.backend, 'exclusive', 'prune', { log: vault.options.log });
    const { manifests, damaged } = await vault.scanManifests();

    // Every block list of every point, kept or not, must open: a damaged one hides what its point needs.
    const lists = new Map<string, Uint8Array | null>();
    const damagedLists = new Map<string, { id: string; vm: string; time: string; disk: string }[]>();
    for (const manifest of manifests) {
      for (const disk of manifest.disks) {
        if (!lists.has(disk.blockList)) {
          try {
            lists.set(disk.blockList, await vault.readBlockList(disk));
          } catch (error) {
            if (!isUnreadable(error) && !isNotFound(error)) throw error;
            lists.set(disk.blockList, null);
          }
        }
        if (lists.get(disk.blockList) === null) {
          const key = keys.blockList(disk.blockList);
          damagedLists.set(key, [...(damagedLists.get(key) ?? []), { id: manifest.id, vm: manifest.vm, time: manifest.time, disk: disk.name }]);
        }
      }
    }
    vault.forgetIndex(); // what this handle loaded earlier may name packs and indexes another prune removed
    const damagedIndex: string[] = [];
    const indexObjects = [...(await vault.loadIndex(damagedIndex))];
    if (damaged.length > 0 || damagedLists.size > 0 || damagedIndex.length > 0) {
      throw new VaultDamagedError(
        vault.location,
        damaged,
        [...damagedLists].map(([key, points]) => ({ key, points })),
        damagedIndex.sort(),
      );
    }

    // With `vm`, the policy is that VM's (policies differ per VM sharing a vault): every other point stays.
    const selects = options.vm;
    const decided = applyRetention(selects ? manifests.filter((m) => selects(m)) : manifests, policy);
    const keep: Manifest[] = [...decided.keep, ...(selects ? manifests.filter((m) => !selects(m)) : [])];
    const forget = decided.forget;
    const report: PruneReport = {
      kept: keep.map((point) => point.id),
      forgotten: forget.map((point) => point.id),
      packsDeleted: 0,
      bytesFreed: 0,
      packsKept: 0,
      packsRepacked: 0,
      bytesRepacked: 0,
      packsTooYoung: 0,
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
        const ids = lists.get(disk.blockList)!;
        for (let at = 0; at < ids.length; at += ID_BYTES) {
          const id = ids.subarray(at, at + ID_BYTES);
          if (!isZeroId(id)) used.add(Buffer.from(id.buffer, id.byteOffset, ID_BYTES).toString('latin1'));
        }
      }
    }
    const usedPacks = vault.index.packs().filter((pack) => pack.entries.some((entry) => used.has(entry.id.toString('latin1'))));
    const stillUsed = new Set(usedPacks.map((pack) => pack.packId));
    const packs = await vault.backend.list(prefixes.packs);
    const unused = packs.filter((object) => !stillUsed.has(idOf(object.key)));
    const unusedLists = (await vault.backend.list(prefixes.blockLists)).filter((object) => !usedLists.has(idOf(object.key)));

    // Ages: of what would be deleted unreferenced, and of the packs a repack would rewrite and delete.
    const candidates = new Set(planRepack(usedPacks, used).rewrite.map((pack) => keys.pack(pack.packId)));
    const times = await objectTimes(vault, [...unused, ...unusedLists, ...packs.filter((object) => candidates.has(object.key))]);
    const now = vault.now().getTime();
    const young = (key: string): boolean => {
      if (minAge <= 0) return false;
      const time = times.get(key);
      return time === null || time === undefined || now - time < minAge;
    };
    const youngPacks = new Set(packs.filter((object) => young(object.key)).map((object) => idOf(object.key)));
    const repack = planRepack(usedPacks, used, youngPacks);
    const doomed = unused.filter((object) => !young(object.key));
    const doomedLists = unusedLists.filter((object) => !young(object.key));
    // A young pack nothing needs keeps its index entries: the copy it may belong to will name its blocks.
    const spared = vault.index.packs().filter((pack) => !stillUsed.has(pack.packId) && youngPacks.has(pack.packId));
    report.packsDeleted = doomed.length + repack.rewrite.length;
    report.bytesFreed = doomed.reduce((sum, object) => sum + object.size, 0) + doomedLists.reduce((sum, object) => sum + object.size, 0) + repack.bytesFreed;
    report.packsKept = repack.keep.length;
    report.packsRepacked = repack.rewrite.length;
    report.bytesRepacked = repack.bytesMoving;
    report.packsTooYoung = unused.length - doomed.length + (unusedLists.length - doomedLists.length);
    report.indexObjectsReplaced = indexObjects.length;
    report.blockListsDeleted = doomedLists.length;
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
    for (const pack of spared) compact.addPack(pack);
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
    for (const object of doomedLists) await vault.backend.delete(object.key);
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
