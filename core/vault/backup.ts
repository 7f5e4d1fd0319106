import { LifeboatError } from '../contract/errors';
import type { DiskReader, Extent } from '../disks/types';
import { isNotFound } from './backends/types';
import { ID_BYTES } from './block-codec';
import { blockListId, keys, randomId, sealBlockList, sealManifest, type Manifest, type ManifestDisk } from './format';
import { VaultLock } from './lock';
import { PackSession } from './pack-session';
import { CopyMeter, type RunOptions } from './progress';
import { summarize, vaultError, type RecoveryPointSummary } from './support';
import type { VaultCore } from './vault-core';
import type { HeldBlock } from './worker-pool';

export interface BackupDisk {
  /** Stable name of the disk within the VM (e.g. "disk0", "scsi0:1"); restore asks for it by this name. */
  name: string;
  reader: DiskReader;
  /**
   * Ranges changed since `parent` (VMware CBT, Hyper-V RCT). Only the blocks they touch are read; every
   * other block is taken from the parent's block list. Requires `parent`.
   */
  changedExtents?: Extent[];
  /** Recovery point id whose disk of the same name this one derives from. */
  parent?: string;
}

export interface BackupRequest {
  vm: string;
  disks: BackupDisk[];
  metadata?: Record<string, unknown>;
}

export interface BackupStats {
  /** Disk bytes read and hashed. */
  bytesRead: number;
  /** Plaintext bytes of blocks new to the vault. */
  bytesNew: number;
  /** Encrypted bytes of those blocks as uploaded in packs. */
  bytesStored: number;
  blocksZero: number;
  blocksKnown: number;
  blocksNew: number;
  blocksInherited: number;
  packsUploaded: number;
  packsAdopted: number;
  seconds: number;
  upload: { bytes: number; seconds: number; bytesPerSecond: number };
}

export interface BackupResult extends RecoveryPointSummary {
  stats: BackupStats;
}

/** Blocks in flight between reading and committing: enough to keep every worker busy, few enough to bound memory. */
const PIPELINE_DEPTH_PER_WORKER = 4;
/** Disk reads in flight ahead of the one being hashed. */
const READ_AHEAD = 4;

interface BlockResult {
  slot: number;
  id: Buffer | null;
  sealed: { blob: Buffer; codec: number; rawLength: number } | null;
}

/**
 * One backup: every disk of one VM becomes a block list; new blocks go into packs; the manifest written
 * last is the commit point. Read, hash, compress, encrypt and upload overlap: the main thread reads and
 * uploads, worker threads do the CPU work, and a bounded queue keeps memory flat whatever the disk size.
 */
export async function backup(vault: VaultCore, request: BackupRequest, options: RunOptions = {}): Promise<BackupResult> {
  const started = performance.now();
  if (!request.vm.trim())
    throw new LifeboatError('INVALID_INPUT', 'A backup needs the VM name.', { field: 'vm', fix: 'Pass --vm <name>.' });
  const names = new Set<string>();
  for (const disk of request.disks) {
    if (!disk.name.trim() || names.has(disk.name)) {
      throw new LifeboatError('INVALID_INPUT', `Disk names must be non-empty and unique within a VM ("${disk.name}").`, {
        field: 'disks',
        fix: 'Pass a distinct --disk name for each disk.',
      });
    }
    names.add(disk.name);
  }
  let lock: VaultLock | null = null;
  let session: PackSession | null = null;
  try {
    lock = await VaultLock.acquire(vault.backend, 'write', `backup of ${request.vm}`, { log: vault.options.log });
    vault.backend.reset();
    // Under the write lock no prune runs; one that ran before it may have removed packs this handle knew.
    vault.forgetIndex();
    await vault.loadIndex();
    session = new PackSession(vault, options.signal);
    // A pack another live backup has uploaded but not indexed yet is not an orphan: leave it to that backup.
    const adopted = (await lock.othersWriting()) ? { packs: 0, bytes: 0 } : await session.adoptOrphanPacks();

    const stats: BackupStats = {
      bytesRead: 0,
      bytesNew: 0,
      bytesStored: 0,
      blocksZero: 0,
      blocksKnown: 0,
      blocksNew: 0,
      blocksInherited: 0,
      packsUploaded: 0,
      packsAdopted: adopted.packs,
      seconds: 0,
      upload: { bytes: 0, seconds: 0, bytesPerSecond: 0 },
    };
    const plans = await Promise.all(request.disks.map((disk) => planDisk(vault, disk)));
    const meter = new CopyMeter(
      plans.reduce((sum, plan) => sum + plan.bytesToRead, 0),
      options.onProgress,
    );
    session.onSent = (sealed, raw) => meter.sent(sealed, raw);

    const pointId = randomId(8);
    const stored: number[] = [];
    for (const plan of plans) {
      const storedBefore = stats.bytesStored;
      await backupDisk(vault, session, plan, stats, meter, options.signal);
      stored.push(stats.bytesStored - storedBefore);
    }
    // Under a bandwidth limit the last packs can take most of the run: reported as their own phase.
    meter.readingDone();
    await session.finish();
    meter.finish();
    const disks: ManifestDisk[] = plans.map((plan, i) => ({
      ...plan.manifestDisk(),
      storedBytes: stored[i]!,
      referencedBytes: referencedBytes(vault, plan.ids),
    }));

    for (const [i, plan] of plans.entries()) {
      const key = keys.blockList(disks[i]!.blockList);
      const exists = await vault.backend.stat(key).then(
        () => true,
        (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
      );
      if (!exists) await vault.backend.put(key, sealBlockList(plan.ids, disks[i]!.blockList, vault.keys.encKey));
    }
    const manifest: Manifest = {
      version: 1,
      id: pointId,
      vm: request.vm,
      time: vault.now().toISOString(),
      metadata: request.metadata ?? {},
      disks,
    };
    await vault.backend.put(keys.point(pointId), sealManifest(manifest, vault.keys.encKey));

    const metrics = vault.backend.snapshot();
    stats.packsUploaded = session.packsUploaded;
    stats.seconds = (performance.now() - started) / 1000;
    stats.upload = {
      bytes: metrics.bytesPut,
      seconds: metrics.uploadSeconds,
      bytesPerSecond: metrics.uploadSeconds > 0 ? Math.round(metrics.bytesPut / metrics.uploadSeconds) : 0,
    };
    return { ...summarize(manifest), stats };
  } catch (error) {
    await session?.salvage();
    throw vaultError(options.signal?.aborted ? options.signal.reason : error, vault.location);
  } finally {
    await lock?.release();
  }
}

interface DiskPlan {
  disk: BackupDisk;
  size: number;
  slots: number;
  /** The block list being built: 32 bytes per slot, zeros for an all-zero block. */
  ids: Uint8Array;
  /** The parent's ids where a block is inherited without reading. */
  parentIds: Uint8Array | null;
  /** Slots to read, as [first, end) runs, ascending. */
  runs: [number, number][];
  bytesToRead: number;
  manifestDisk(): Omit<ManifestDisk, 'storedBytes' | 'referencedBytes'>;
}

async function planDisk(vault: VaultCore, disk: BackupDisk): Promise<DiskPlan> {
  const blockSize = vault.blockSize;
  const size = disk.reader.virtualSize;
  const slots = Math.ceil(size / blockSize);
  const ids = new Uint8Array(slots * ID_BYTES);
  let parentIds: Uint8Array | null = null;
  let runs: [number, number][];

  if (disk.changedExtents && !disk.parent) {
    throw new LifeboatError('INVALID_INPUT', `Changed extents for disk ${disk.name} need the recovery point they are relative to.`, {
      field: 'parent',
      fix: 'Pass the parent recovery point, or leave out the changed extents to read the whole disk.',
    });
  }
  const allocated = runsOf(await disk.reader.extents(), blockSize, slots);
  if (disk.parent) {
    const parent = await vault.resolvePoint(disk.parent);
    const parentDisk = parent.disks.find((candidate) => candidate.name === disk.name);
    if (!parentDisk) {
      throw new LifeboatError('INVALID_INPUT', `Recovery point ${parent.id} has no disk named ${disk.name}.`, {
        field: 'parent',
        fix: 'Pass the point this disk was last backed up to.',
      });
    }
    if (parentDisk.blockSize !== blockSize)
      throw new LifeboatError('VAULT_CORRUPT', `Disk ${disk.name} in ${parent.id} has another block size.`);
    const parentList = await vault.readBlockList(parentDisk);
    parentIds = new Uint8Array(slots * ID_BYTES);
    // A partial last block of the parent (the disk grew) must be read again, so it is not inherited.
    const inheritable = Math.min(slots, Math.floor(parentDisk.size / blockSize));
    parentIds.set(parentList.subarray(0, inheritable * ID_BYTES));
    if (disk.changedExtents) {
      ids.set(parentIds);
      const changed = runsOf(disk.changedExtents, blockSize, slots);
      const beyond = allocated
        .map(([first, end]): [number, number] => [Math.max(first, inheritable), end])
        .filter(([first, end]) => first < end);
      runs = mergeRuns([...changed, ...beyond]);
    } else {
      runs = allocated;
    }
  } else {
    runs = allocated;
  }
  const bytesToRead = runs.reduce((sum, [first, end]) => sum + Math.min(end * blockSize, size) - first * blockSize, 0);
  return {
    disk,
    size,
    slots,
    ids,
    parentIds,
    runs,
    bytesToRead,
    manifestDisk: () => ({
      name: disk.name,
      size,
      blockSize,
      blockList: blockListId(vault.keys.idKey, ids),
      ...(disk.parent ? { parent: disk.parent } : {}),
      dataBlocks: countDataBlocks(ids),
    }),
  };
}

/** Block slots touched by extents, as merged [first, end) runs. */
export function runsOf(extents: readonly Extent[], blockSize: number, slots: number): [number, number][] {
  const runs: [number, number][] = [];
  for (const extent of extents) {
    if (extent.length <= 0) continue;
    const first = Math.floor(extent.offset / blockSize);
    const end = Math.min(slots, Math.ceil((extent.offset + extent.length) / blockSize));
    if (first < end) runs.push([first, end]);
  }
  return mergeRuns(runs);
}

function mergeRuns(runs: [number, number][]): [number, number][] {
  const sorted = [...runs].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const run of sorted) {
    const last = out.at(-1);
    if (last && run[0] <= last[1]) last[1] = Math.max(last[1], run[1]);
    else out.push([run[0], run[1]]);
  }
  return out;
}

async function backupDisk(
  vault: VaultCore,
  session: PackSession,
  plan: DiskPlan,
  stats: BackupStats,
  meter: CopyMeter,
  signal?: AbortSignal,
): Promise<void> {
  const { blockSize } = vault;
  const workers = vault.workers();
  const depth = Math.max(2, workers.size * PIPELINE_DEPTH_PER_WORKER);
  const queue: Promise<BlockResult>[] = [];
  const inherited = plan.parentIds && plan.disk.changedExtents ? plan.slots - plan.runs.reduce((sum, [a, b]) => sum + b - a, 0) : 0;
  stats.blocksInherited += inherited;

  const hashAndSeal = async (slot: number, data: Buffer): Promise<BlockResult> => {
    const held: HeldBlock = await workers.hash(data);
    const id = held.id;
    if (!id) return { slot, id: null, sealed: null };
    const key = id.toString('latin1');
    const sameAsParent = plan.parentIds !== null && id.equals(plan.parentIds.subarray(slot * ID_BYTES, (slot + 1) * ID_BYTES));
    if (sameAsParent || vault.index.has(id) || session.pending.has(key)) {
      workers.drop(held);
      return { slot, id, sealed: null };
    }
    session.pending.add(key);
    return { slot, id, sealed: await workers.seal(held) };
  };

  const commit = async (result: BlockResult): Promise<void> => {
    const length = Math.min(blockSize, plan.size - result.slot * blockSize);
    meter.committed(length, result.sealed !== null);
    if (!result.id) {
      stats.blocksZero++;
      plan.ids.fill(0, result.slot * ID_BYTES, (result.slot + 1) * ID_BYTES);
      return;
    }
    plan.ids.set(result.id, result.slot * ID_BYTES);
    if (!result.sealed) {
      stats.blocksKnown++;
      return;
    }
    stats.blocksNew++;
    stats.bytesNew += result.sealed.rawLength;
    stats.bytesStored += result.sealed.blob.length;
    await session.add(result.id, result.sealed.blob, result.sealed.codec, result.sealed.rawLength);
  };

  // Reads run ahead of hashing (the OS serves them in parallel from its thread pool), so a disk read is
  // never waited for while a worker is idle.
  const slots = (function* () {
    for (const [first, end] of plan.runs) for (let slot = first; slot < end; slot++) yield slot;
  })();
  const reads: { slot: number; data: Promise<Buffer> }[] = [];
  const readNext = (): void => {
    const next = slots.next();
    if (next.done) return;
    const offset = next.value * blockSize;
    const data = plan.disk.reader.read(offset, Math.min(blockSize, plan.size - offset));
    data.catch(() => undefined); // observed in order below
    reads.push({ slot: next.value, data });
  };
  try {
    for (let i = 0; i < READ_AHEAD; i++) readNext();
    while (reads.length > 0) {
      signal?.throwIfAborted();
      const { slot, data: pending } = reads.shift()!;
      const data = await pending;
      readNext();
      stats.bytesRead += data.length;
      const result = hashAndSeal(slot, data);
      result.catch(() => undefined); // observed when committed, in order
      queue.push(result);
      while (queue.length >= depth) await commit(await queue.shift()!);
    }
    while (queue.length > 0) await commit(await queue.shift()!);
  } catch (error) {
    await Promise.allSettled([...queue, ...reads.map((read) => read.data)]);
    throw error;
  }
}

function countDataBlocks(ids: Uint8Array): number {
  let count = 0;
  for (let at = 0; at < ids.length; at += ID_BYTES) {
    for (let i = at; i < at + ID_BYTES; i++) {
      if (ids[i] !== 0) {
        count++;
        break;
      }
    }
  }
  return count;
}

function referencedBytes(vault: VaultCore, ids: Uint8Array): number {
  const seen = new Set<string>();
  let total = 0;
  for (let at = 0; at < ids.length; at += ID_BYTES) {
    const id = ids.subarray(at, at + ID_BYTES);
    const key = Buffer.from(id.buffer, id.byteOffset, ID_BYTES).toString('latin1');
    if (seen.has(key)) continue;
    seen.add(key);
    total += vault.index.get(id)?.length ?? 0;
  }
  return total;
}
