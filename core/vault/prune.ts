import { LifeboatError } from '../contract/errors';
import { isNotFound, type ObjectInfo } from './backends/types';
import { ID_BYTES, isZeroId } from './block-codec';
import { idOf, keys, prefixes, randomId, sealIndex, type IndexedPack, type Manifest } from './format';
import { VaultLock } from './lock';
import { ProgressMeter, type RunOptions } from './progress';
import { indexAfterRepack, planRepack, writeRepacked, type RepackPlan } from './repack';
import { applyRetention, type RetentionPolicy } from './retention';
import { isUnreadable, vaultError, type DamagedPoint } from './support';
import type { VaultCore } from './vault-core';

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
 * Overridden by PruneOptions.minPackAgeMs, VaultOptions.minPackAgeMs or, in seconds, the tunable
 * MIN_PACK_AGE_ENV (VaultOptions.tunables, default the process environment; tests set 0). Ages come from
 * the backend's listings; an object whose time the backend does not give counts as young unless the
 * minimum age is 0.
 */
export const MIN_PACK_AGE_MS = 60 * 60_000;
export const MIN_PACK_AGE_ENV = 'LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS';

function minPackAge(vault: VaultCore, options: PruneOptions): number {
  const chosen = options.minPackAgeMs ?? vault.options.minPackAgeMs;
  if (chosen !== undefined) return chosen;
  const text = (vault.options.tunables ?? process.env)[MIN_PACK_AGE_ENV];
  if (text === undefined || text.trim() === '') return MIN_PACK_AGE_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new LifeboatError('INVALID_INPUT', `${MIN_PACK_AGE_ENV} must be a number of seconds (got "${text}").`, {
      fix: `Unset it (default ${MIN_PACK_AGE_MS / 1000} s), or set it to e.g. 3600.`,
    });
  }
  return seconds * 1000;
}

/** When each object was last written, in ms since the epoch, from its listing; null when the backend does not say. */
function objectTimes(objects: readonly ObjectInfo[]): Map<string, number | null> {
  return new Map(
    objects.map((object) => [object.key, object.modified !== undefined && Number.isFinite(object.modified) ? object.modified : null]),
  );
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
      ...damagedPoints.map(
        (point) =>
          `recovery point ${point.id} (${point.vm ? `VM ${point.vm}` : 'VM unknown'}, time unknown): its manifest ${point.key} cannot be read or authenticated`,
      ),
      ...damagedBlockLists.flatMap((list) =>
        list.points.map(
          (point) =>
            `recovery point ${point.id} (VM ${point.vm}, ${point.time}), disk ${point.disk}: its block list ${list.key} is missing or cannot be authenticated`,
        ),
      ),
      ...damagedIndexObjects.map((key) => `index object ${key} cannot be read or authenticated`),
    ];
    const pointIds = [
      ...new Set([...damagedPoints.map((point) => point.id), ...damagedBlockLists.flatMap((list) => list.points.map((point) => point.id))]),
    ];
    const objectKeys = [...damagedPoints.map((point) => point.key), ...damagedBlockLists.map((list) => list.key), ...damagedIndexObjects];
    const fix =
      `Run \`lifeboat vault verify ${location}\` to see the damage. Restore the damaged objects (${objectKeys.join(', ')}) from a copy of the vault, then prune again` +
      (pointIds.length > 0
        ? `; if no copy has them, forget those points with \`lifeboat vault forget ${location} ${pointIds.join(' ')}\` (their data is lost) and prune again`
        : '') +
      (damagedIndexObjects.length > 0
        ? '; a damaged index object no copy has can be deleted, then run a backup (it re-indexes the packs that index named from their own headers) before pruning again'
        : '') +
      '.';
    super(
      'VAULT_CORRUPT',
      `Prune deleted nothing: the vault has damaged objects, so what they need cannot be told from garbage. ${parts.join('; ')}.`,
      { fix },
    );
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
export async function prune(vault: VaultCore, policy: RetentionPolicy, options: PruneOptions = {}): Promise<PruneReport> {
  const started = performance.now();
  let lock: VaultLock | null = null;
  try {
    applyRetention([], policy); // refuses a policy that keeps nothing, before anything is locked
    const minAge = minPackAge(vault, options);
    lock = await VaultLock.acquire(vault.backend, 'exclusive', 'prune', { log: vault.options.log });
    const { manifests, damaged } = await vault.scanManifests();
    const { lists, damagedLists } = await readBlockLists(vault, manifests);
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
    const { keep, forget } = decide(manifests, policy, options.vm);
    const plan = await planDeletions(vault, usedBy(keep, lists), minAge);
    const report = reportOf(keep, forget, plan, indexObjects, options.dryRun ?? false);
    if (!options.dryRun) report.packsKept += await carryOut(vault, forget, plan, indexObjects, options);
    return { ...report, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    throw vaultError(error, vault.location);
  } finally {
    await lock?.release();
  }
}

type DamagedListPoint = { id: string; vm: string; time: string; disk: string };

/** Every block list of every point, kept or not: each must open, as a damaged one hides what its point needs. */
async function readBlockLists(
  vault: VaultCore,
  manifests: Manifest[],
): Promise<{ lists: Map<string, Uint8Array | null>; damagedLists: Map<string, DamagedListPoint[]> }> {
  const lists = new Map<string, Uint8Array | null>();
  const damagedLists = new Map<string, DamagedListPoint[]>();
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
        damagedLists.set(key, [
          ...(damagedLists.get(key) ?? []),
          { id: manifest.id, vm: manifest.vm, time: manifest.time, disk: disk.name },
        ]);
      }
    }
  }
  return { lists, damagedLists };
}

/** With `selects`, the policy is that VM's (policies differ per VM sharing a vault): every other point stays. */
function decide(manifests: Manifest[], policy: RetentionPolicy, selects: PruneOptions['vm']): { keep: Manifest[]; forget: Manifest[] } {
  const decided = applyRetention(selects ? manifests.filter((m) => selects(m)) : manifests, policy);
  return { keep: [...decided.keep, ...(selects ? manifests.filter((m) => !selects(m)) : [])], forget: decided.forget };
}

interface Used {
  /** Block ids (latin1) the kept points use. */
  blocks: Set<string>;
  /** Block list ids the kept points use. */
  lists: Set<string>;
}

function usedBy(keep: Manifest[], lists: Map<string, Uint8Array | null>): Used {
  const used: Used = { blocks: new Set(), lists: new Set() };
  for (const manifest of keep) {
    for (const disk of manifest.disks) {
      used.lists.add(disk.blockList);
      const ids = lists.get(disk.blockList)!;
      for (let at = 0; at < ids.length; at += ID_BYTES) {
        const id = ids.subarray(at, at + ID_BYTES);
        if (!isZeroId(id)) used.blocks.add(Buffer.from(id.buffer, id.byteOffset, ID_BYTES).toString('latin1'));
      }
    }
  }
  return used;
}

interface DeletionPlan {
  repack: RepackPlan;
  /** Packs and block lists nothing needs, old enough to go. */
  doomed: ObjectInfo[];
  doomedLists: ObjectInfo[];
  /** Unreferenced objects left because they are younger than the minimum age. */
  tooYoung: number;
  /** A young pack nothing needs keeps its index entries: the copy it may belong to will name its blocks. */
  spared: IndexedPack[];
}

async function planDeletions(vault: VaultCore, used: Used, minAge: number): Promise<DeletionPlan> {
  const usedPacks = vault.index.packs().filter((pack) => pack.entries.some((entry) => used.blocks.has(entry.id.toString('latin1'))));
  const stillUsed = new Set(usedPacks.map((pack) => pack.packId));
  const packs = await vault.backend.list(prefixes.packs);
  const unused = packs.filter((object) => !stillUsed.has(idOf(object.key)));
  const unusedLists = (await vault.backend.list(prefixes.blockLists)).filter((object) => !used.lists.has(idOf(object.key)));

  // Ages: of what would be deleted unreferenced, and of the packs a repack would rewrite and delete.
  const candidates = new Set(planRepack(usedPacks, used.blocks).rewrite.map((pack) => keys.pack(pack.packId)));
  const times = objectTimes([...unused, ...unusedLists, ...packs.filter((object) => candidates.has(object.key))]);
  const now = vault.now().getTime();
  const young = (key: string): boolean => {
    if (minAge <= 0) return false;
    const time = times.get(key);
    return time === null || time === undefined || now - time < minAge;
  };
  const youngPacks = new Set(packs.filter((object) => young(object.key)).map((object) => idOf(object.key)));
  const doomed = unused.filter((object) => !young(object.key));
  const doomedLists = unusedLists.filter((object) => !young(object.key));
  return {
    repack: planRepack(usedPacks, used.blocks, youngPacks),
    doomed,
    doomedLists,
    tooYoung: unused.length - doomed.length + (unusedLists.length - doomedLists.length),
    spared: vault.index.packs().filter((pack) => !stillUsed.has(pack.packId) && youngPacks.has(pack.packId)),
  };
}

function reportOf(keep: Manifest[], forget: Manifest[], plan: DeletionPlan, indexObjects: string[], dryRun: boolean): PruneReport {
  const { repack, doomed, doomedLists } = plan;
  const bytes = (objects: ObjectInfo[]): number => objects.reduce((sum, object) => sum + object.size, 0);
  return {
    kept: keep.map((point) => point.id),
    forgotten: forget.map((point) => point.id),
    packsDeleted: doomed.length + repack.rewrite.length,
    bytesFreed: bytes(doomed) + bytes(doomedLists) + repack.bytesFreed,
    packsKept: repack.keep.length,
    packsRepacked: repack.rewrite.length,
    bytesRepacked: repack.bytesMoving,
    packsTooYoung: plan.tooYoung,
    indexObjectsReplaced: indexObjects.length,
    blockListsDeleted: doomedLists.length,
    dryRun,
    seconds: 0,
  };
}

/**
 * Manifests go first; then new packs, then an index naming them instead of the old ones, then the old packs
 * go: killed at any step, the vault still opens every kept point. Returns the number of packs written.
 */
async function carryOut(
  vault: VaultCore,
  forget: Manifest[],
  plan: DeletionPlan,
  indexObjects: string[],
  options: PruneOptions,
): Promise<number> {
  const { repack, doomed, doomedLists } = plan;
  const meter = new ProgressMeter('prune', forget.length + repack.bytesMoving + doomed.length + repack.rewrite.length, options.onProgress);
  for (const point of forget) {
    await vault.backend.delete(keys.point(point.id));
    meter.add(1);
  }
  const written = await writeRepacked(vault, repack, options.signal, (bytes) => meter.add(bytes));
  const compact = indexAfterRepack(repack, written);
  for (const pack of plan.spared) compact.addPack(pack);
  await vault.backend.sync();
  await vault.backend.put(keys.index(randomId(16)), sealIndex(compact.packs(), vault.keys.encKey));
  for (const id of indexObjects) await vault.backend.delete(keys.index(id));
  for (const object of [...doomed, ...repack.rewrite.map((pack) => ({ key: keys.pack(pack.packId) }))]) {
    options.signal?.throwIfAborted();
    await vault.backend.delete(object.key);
    meter.add(1);
  }
  for (const object of doomedLists) await vault.backend.delete(object.key);
  await vault.backend.capabilities.removeLeftovers(TEMP_FILE_AGE_MS);
  meter.finish();
  return written.length;
}
