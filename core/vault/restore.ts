import fs from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../contract/errors';
import { BackendError } from './backends/types';
import type { DiskWriter } from '../disks/types';
import { ID_BYTES, isZeroId } from './block-codec';
import { keys } from './format';
import { VaultLock } from './lock';
import { ProgressMeter, type RunOptions } from './progress';
import { vaultError } from './support';
import { formatBytes } from '../contract/units';
import type { VaultCore } from './vault-core';
import { BlockBroken } from './worker-pool';

export interface RestoreResult {
  pointId: string;
  disk: string;
  size: number;
  bytesWritten: number;
  seconds: number;
}

/** One ranged GET: blobs that sit back to back in one pack, for consecutive slots. */
interface Fetch {
  packId: string;
  offset: number;
  length: number;
  blocks: { slot: number; id: Buffer; at: number; length: number; rawLength: number; codec: number }[];
}

const MAX_FETCH = 4 * 1024 * 1024;
/** Measured: 3 ranged reads of 4 MiB in flight restore fastest here and keep memory lowest. */
const FETCHES_IN_FLIGHT = 3;

/**
 * Restores one disk of a recovery point into `writer`, in ascending offset order — or, when the writer has a
 * positional target (raw images), written by the worker threads that decrypt the blocks, in any order: the
 * decrypted data then never crosses back to this thread (whose garbage collector it kept busy), which
 * restores the benchmark disk in about half the time. All-zero blocks are not written (they stay holes or unallocated blocks). Closes the writer on
 * success, aborts it on failure.
 */
export async function restoreDisk(
  vault: VaultCore,
  reference: string,
  diskName: string,
  writer: DiskWriter,
  options: RunOptions = {},
): Promise<RestoreResult> {
  const started = performance.now();
  let lock: VaultLock | null = null;
  let needed = 0;
  let pointId = reference;
  try {
    lock = await VaultLock.acquire(vault.backend, 'read', 'restore', { log: vault.options.log });
    const manifest = await vault.resolvePoint(reference);
    pointId = manifest.id;
    const disk = manifest.disks.find((candidate) => candidate.name === diskName);
    if (!disk) {
      throw new LifeboatError('NOT_FOUND', `Recovery point ${manifest.id} has no disk named "${diskName}".`, {
        fix: `Its disks are: ${manifest.disks.map((candidate) => candidate.name).join(', ') || '(none)'}.`,
      });
    }
    const ids = await vault.readBlockList(disk);
    await vault.loadIndex();
    const fetches = planFetches(vault, ids, disk.size, disk.blockSize, manifest.id);
    needed = fetches.reduce((sum, fetch) => sum + fetch.blocks.reduce((s, b) => s + b.rawLength, 0), 0);
    await ensureRoom(writer.files[0], needed);
    const meter = new ProgressMeter('restore', needed, options.onProgress);
    const workers = vault.workers();

    const target = writer.positional;
    const load = async (fetch: Fetch): Promise<Buffer[] | number> => {
      options.signal?.throwIfAborted();
      const data = await vault.backend.get(keys.pack(fetch.packId), { offset: fetch.offset, length: fetch.length });
      if (target)
        return workers.writeRange(
          data,
          fetch.blocks.map((block) => ({ ...block, position: block.slot * disk.blockSize })),
          target.file,
        );
      return workers.openRange(data, fetch.blocks);
    };

    let bytesWritten = 0;
    const queue: Promise<Buffer[] | number>[] = [];
    let next = 0;
    const fill = (): void => {
      while (queue.length < FETCHES_IN_FLIGHT && next < fetches.length) {
        const pending = load(fetches[next++]!);
        pending.catch(() => undefined);
        queue.push(pending);
      }
    };
    try {
      fill();
      for (const fetch of fetches) {
        const done = await queue.shift()!;
        fill();
        if (typeof done === 'number') {
          target!.written(done);
          bytesWritten += done;
          meter.add(done);
          continue;
        }
        for (const [i, block] of fetch.blocks.entries()) {
          options.signal?.throwIfAborted();
          await writer.write(block.slot * disk.blockSize, done[i]!);
          bytesWritten += block.rawLength;
          meter.add(block.rawLength);
        }
      }
    } catch (error) {
      await Promise.allSettled(queue);
      throw error;
    }
    await writer.close();
    meter.finish();
    return { pointId: manifest.id, disk: disk.name, size: disk.size, bytesWritten, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw restoreError(
      vaultError(options.signal?.aborted ? options.signal.reason : error, vault.location),
      pointId,
      diskName,
      writer.files[0] ?? writer.positional?.file,
      needed,
    );
  } finally {
    await lock?.release();
  }
}

/** Fails before anything is written when the target's file system cannot hold the disk's data. */
async function ensureRoom(file: string | undefined, needed: number): Promise<void> {
  if (!file) return;
  const stats = await fs.statfs(path.dirname(file)).catch(() => null);
  if (!stats) return; // a file system that cannot say: the write itself will tell
  const free = stats.bavail * stats.bsize;
  if (free < needed) throw noRoom(file, needed, free);
}

function noRoom(file: string | undefined, needed: number, free: number | null, cause?: unknown): LifeboatError {
  const where = file ? path.dirname(file) : 'the restore target';
  return new LifeboatError(
    'STORAGE_FULL',
    `There is not enough room in ${where} for the restored disk: it needs ${formatBytes(needed)}${free === null ? '' : `, ${formatBytes(free)} is free`}.`,
    {
      fix: 'Free space there, or restore to a folder on a larger disk.',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** Damaged blocks (found by the worker threads) and a full target, in words that say what to do. */
function restoreError(error: unknown, pointId: string, diskName: string, file: string | undefined, needed: number): unknown {
  if (error instanceof BlockBroken) {
    return new LifeboatError(
      'VAULT_CORRUPT',
      `Disk ${diskName} of recovery point ${pointId} cannot be restored: its data in the vault is damaged (${error.message}).`,
      {
        fix: 'Run `lifeboat vault verify --read-data` to see every damaged recovery point, and restore an older one meanwhile.',
        cause: error,
      },
    );
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (!(error instanceof BackendError) && (code === 'ENOSPC' || code === 'EDQUOT')) return noRoom(file, needed, null, error);
  return error;
}

function planFetches(vault: VaultCore, ids: Uint8Array, size: number, blockSize: number, pointId: string): Fetch[] {
  const fetches: Fetch[] = [];
  const slots = Math.ceil(size / blockSize);
  let current: Fetch | null = null;
  for (let slot = 0; slot < slots; slot++) {
    const id = Buffer.from(ids.buffer, ids.byteOffset + slot * ID_BYTES, ID_BYTES);
    if (isZeroId(id)) continue;
    const where = vault.index.get(id);
    if (!where) {
      throw new LifeboatError(
        'VAULT_CORRUPT',
        `Recovery point ${pointId} needs a block the vault does not have (at offset ${slot * blockSize}).`,
        {
          fix: 'Run `lifeboat vault verify` to see every affected recovery point; restore an older one.',
        },
      );
    }
    if (where.rawLength > Math.min(blockSize, size - slot * blockSize)) {
      // Writers trust offsets and lengths (worker threads write raw files directly): never past the disk's end.
      throw new LifeboatError(
        'VAULT_CORRUPT',
        `Recovery point ${pointId} lists a block longer than its place on the disk (at offset ${slot * blockSize}).`,
        {
          fix: 'Run `lifeboat vault verify` to see every affected recovery point; restore an older one.',
        },
      );
    }
    const block = { slot, id: Buffer.from(id), at: 0, length: where.length, rawLength: where.rawLength, codec: where.codec };
    if (
      current &&
      current.packId === where.packId &&
      current.offset + current.length === where.offset &&
      current.length + where.length <= MAX_FETCH
    ) {
      block.at = current.length;
      current.length += where.length;
      current.blocks.push(block);
    } else {
      current = { packId: where.packId, offset: where.offset, length: where.length, blocks: [block] };
      fetches.push(current);
    }
  }
  return fetches;
}
