import crypto from 'node:crypto';
import { isNotFound } from './backends/types';
import { ID_BYTES, isZeroId, SealBroken } from './block-codec';
import { idOf, keys, parsePack, prefixes, type Manifest, type PackEntry } from './format';
import { VaultLock } from './lock';
import { ProgressMeter, type RunOptions } from './progress';
import { mapLimit, vaultError } from './support';
import type { VaultCore } from './vault-core';
import { BlockBroken } from './worker-pool';

export interface VerifyOptions extends RunOptions {
  /** 'none': structure only (every block named by a point is indexed in a pack that exists, of the right size). */
  readData?: 'none' | 'all' | { fraction: number };
  /** Only these recovery points (a drill's "vault data" check); every point when absent. */
  points?: readonly string[];
}

export interface VerifyProblem {
  kind:
    | 'manifest-unreadable'
    | 'blocklist-unreadable'
    | 'block-missing'
    | 'pack-missing'
    | 'pack-damaged'
    | 'block-damaged'
    | 'index-unreadable';
  message: string;
}

export interface AffectedDisk {
  pointId: string;
  vm: string;
  time: string;
  disk: string;
  badBlocks: number;
}

export interface VerifyReport {
  ok: boolean;
  points: number;
  disks: number;
  packs: number;
  packsRead: number;
  bytesRead: number;
  blocksChecked: number;
  problems: VerifyProblem[];
  /** Recovery points and disks that cannot be fully restored. */
  affected: AffectedDisk[];
  /** Packs no recovery point needs (left by a killed run or a forgotten point): prune removes them. */
  unreferencedPacks: number;
  seconds: number;
}

/**
 * Checks that every recovery point can be restored: structure always; with readData, also downloads packs
 * and proves each block decrypts and hashes to its id. Damage is reported by recovery point and disk.
 */
export async function verify(vault: VaultCore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  let lock: VaultLock | null = null;
  try {
    lock = await VaultLock.acquire(vault.backend, 'read', 'verify', { log: vault.options.log });
    const problems: VerifyProblem[] = [];
    const points = await readPoints(vault, options.points, problems);
    // Index and packs are read after the points: a backup committing meanwhile indexed its packs before it
    // wrote its manifest, so every point listed above finds its blocks (copies may be running).
    try {
      await vault.loadIndex();
    } catch (error) {
      if (!(error instanceof SealBroken)) throw error;
      problems.push({ kind: 'index-unreadable', message: `An index object is damaged: ${error.message}` });
    }
    const listedPacks = new Map((await vault.backend.list(prefixes.packs)).map((object) => [idOf(object.key), object.size]));
    const structure = checkStructure(vault, points, listedPacks, problems);
    const toRead = packsToRead(structure, options.readData ?? 'none');
    const bytesRead = await checkData(vault, toRead, listedPacks, structure.bad, problems, options);
    return {
      ok: problems.length === 0,
      points: points.length,
      disks: points.reduce((sum, point) => sum + point.manifest.disks.length, 0),
      packs: listedPacks.size,
      packsRead: toRead.length,
      bytesRead,
      blocksChecked: structure.blocksChecked,
      problems,
      affected: affectedDisks(points, structure.bad),
      unreferencedPacks: [...listedPacks.keys()].filter((packId) => !structure.referencedPacks.has(packId)).length,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    throw vaultError(options.signal?.aborted ? options.signal.reason : error, vault.location);
  } finally {
    await lock?.release();
  }
}

interface CheckedPoint {
  manifest: Manifest;
  /** One per disk; empty when the block list cannot be read. */
  lists: Uint8Array[];
}

/** Every point's block lists (of `wanted` only, when given), kept to map damaged blocks back to points and disks. */
async function readPoints(vault: VaultCore, wanted: readonly string[] | undefined, problems: VerifyProblem[]): Promise<CheckedPoint[]> {
  const only = wanted ? new Set(wanted) : null;
  const points: CheckedPoint[] = [];
  for (const id of (await vault.pointIds()).filter((candidate) => !only || only.has(candidate))) {
    let manifest: Manifest;
    try {
      manifest = await vault.readManifest(id);
    } catch (error) {
      if (!(error instanceof SealBroken) && !isNotFound(error)) throw error;
      problems.push({ kind: 'manifest-unreadable', message: `Recovery point ${id}: its manifest is damaged.` });
      continue;
    }
    const lists: Uint8Array[] = [];
    for (const disk of manifest.disks) {
      try {
        lists.push(await vault.readBlockList(disk));
      } catch (error) {
        if (!(error instanceof SealBroken) && !isNotFound(error)) throw error;
        problems.push({
          kind: 'blocklist-unreadable',
          message: `Recovery point ${id}, disk ${disk.name}: its block list is missing or damaged.`,
        });
        lists.push(new Uint8Array(0));
      }
    }
    points.push({ manifest, lists });
  }
  return points.sort((a, b) => a.manifest.time.localeCompare(b.manifest.time));
}

interface Structure {
  /** Block ids (latin1) that cannot be restored. */
  bad: Set<string>;
  referencedPacks: Set<string>;
  missingPacks: Set<string>;
  blocksChecked: number;
}

/** Every referenced block indexed, in a pack that exists with the indexed size. */
function checkStructure(vault: VaultCore, points: CheckedPoint[], listedPacks: Map<string, number>, problems: VerifyProblem[]): Structure {
  const structure: Structure = { bad: new Set(), referencedPacks: new Set(), missingPacks: new Set(), blocksChecked: 0 };
  const { bad, referencedPacks, missingPacks } = structure;
  for (const { manifest, lists } of points) {
    for (const [d, ids] of lists.entries()) {
      for (let at = 0; at < ids.length; at += ID_BYTES) {
        const id = ids.subarray(at, at + ID_BYTES);
        if (isZeroId(id)) continue;
        structure.blocksChecked++;
        const key = Buffer.from(id.buffer, id.byteOffset, ID_BYTES).toString('latin1');
        const where = vault.index.get(id);
        if (!where) {
          if (!bad.has(key))
            problems.push({
              kind: 'block-missing',
              message: `Recovery point ${manifest.id}, disk ${manifest.disks[d]!.name}: block at offset ${(at / ID_BYTES) * manifest.disks[d]!.blockSize} is in no pack.`,
            });
          bad.add(key);
          continue;
        }
        referencedPacks.add(where.packId);
        const size = listedPacks.get(where.packId);
        if (size === undefined || size !== vault.index.packSize(where.packId)) {
          if (!missingPacks.has(where.packId)) {
            missingPacks.add(where.packId);
            problems.push({
              kind: 'pack-missing',
              message:
                size === undefined
                  ? `Pack ${where.packId} is missing.`
                  : `Pack ${where.packId} has ${size} bytes, the index says ${vault.index.packSize(where.packId)}.`,
            });
          }
          bad.add(key);
        }
      }
    }
  }
  return structure;
}

function packsToRead(structure: Structure, mode: NonNullable<VerifyOptions['readData']>): string[] {
  if (mode === 'none') return [];
  const present = [...structure.referencedPacks].filter((packId) => !structure.missingPacks.has(packId));
  if (mode === 'all') return present;
  return shuffle(present).slice(0, Math.min(present.length, Math.max(1, Math.ceil(present.length * mode.fraction))));
}

/** Downloads the packs, checks their header, decrypts and re-hashes every block; returns the bytes read. */
async function checkData(
  vault: VaultCore,
  toRead: string[],
  listedPacks: Map<string, number>,
  bad: Set<string>,
  problems: VerifyProblem[],
  options: VerifyOptions,
): Promise<number> {
  const meter = new ProgressMeter(
    'verify',
    toRead.reduce((sum, packId) => sum + (listedPacks.get(packId) ?? 0), 0),
    options.onProgress,
  );
  let bytesRead = 0;
  const indexedEntries = new Map(vault.index.packs().map((pack) => [pack.packId, pack.entries]));
  await mapLimit(toRead, 2, async (packId) => {
    options.signal?.throwIfAborted();
    const data = await vault.backend.get(keys.pack(packId));
    bytesRead += data.length;
    await checkPack(vault, packId, data, indexedEntries.get(packId) ?? [], bad, problems);
    meter.add(data.length);
  });
  meter.finish();
  return bytesRead;
}

async function checkPack(
  vault: VaultCore,
  packId: string,
  data: Buffer,
  indexed: PackEntry[],
  bad: Set<string>,
  problems: VerifyProblem[],
): Promise<void> {
  let entries;
  try {
    entries = parsePack(data, vault.keys.encKey);
  } catch {
    entries = null;
  }
  let damaged = 0;
  for (const expected of indexed) {
    const entry = entries?.find(
      (candidate) => candidate.offset === expected.offset && candidate.length === expected.length && candidate.id.equals(expected.id),
    );
    let ok = entry !== undefined && expected.offset + expected.length <= data.length;
    if (ok) {
      try {
        await vault
          .workers()
          .open(expected.id, data.subarray(expected.offset, expected.offset + expected.length), expected.codec, expected.rawLength, true);
      } catch (error) {
        if (!(error instanceof BlockBroken)) throw error;
        ok = false;
      }
    }
    if (!ok) {
      damaged++;
      bad.add(expected.id.toString('latin1'));
    }
  }
  if (damaged > 0 || entries === null) {
    problems.push({
      kind: 'pack-damaged',
      message: `Pack ${packId} is damaged: ${entries === null ? 'its header is unreadable' : `${damaged} block(s) fail to decrypt or match their id`}.`,
    });
  }
}

function affectedDisks(points: CheckedPoint[], bad: Set<string>): AffectedDisk[] {
  const affected: AffectedDisk[] = [];
  for (const { manifest, lists } of points) {
    for (const [d, ids] of lists.entries()) {
      let badBlocks = 0;
      for (let at = 0; at < ids.length; at += ID_BYTES) {
        if (bad.has(Buffer.from(ids.buffer, ids.byteOffset + at, ID_BYTES).toString('latin1'))) badBlocks++;
      }
      const unreadable = ids.length === 0 && manifest.disks[d]!.size > 0;
      if (badBlocks > 0 || unreadable)
        affected.push({ pointId: manifest.id, vm: manifest.vm, time: manifest.time, disk: manifest.disks[d]!.name, badBlocks });
    }
  }
  return affected;
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
