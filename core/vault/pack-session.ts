import { release } from './block-jobs';
import { isNotFound } from './backends/types';
import type { Backend } from './backends/types';
import { SealBroken } from './block-codec';
import {
  buildPack,
  keys,
  PACK_TRAILER_BYTES,
  parsePackHeader,
  parsePackTrailer,
  prefixes,
  idOf,
  randomId,
  sealIndex,
  type IndexedPack,
  type PackEntry,
} from './format';
import type { VaultCore } from './vault-core';
import { BlockBroken } from './worker-pool';

/** Packs uploaded but not yet named by an index object are flushed into one after this many. */
const INDEX_EVERY_PACKS = 16;
const MAX_UPLOADS = 2;

/**
 * Collects sealed blocks of one backup into packs, uploads them (at most two at a time, which is also the
 * back-pressure on the pipeline), and names them in index objects. Order on the backend is what makes a
 * killed run harmless: a pack is uploaded whole before any index names it, and the index before any
 * manifest uses it.
 */
export class PackSession {
  /** Ids sealed this run whose pack is not uploaded yet: duplicates of them are dropped, not sealed again. */
  readonly pending = new Set<string>();
  private blobs: Buffer[] = [];
  private entries: PackEntry[] = [];
  private size = 0;
  private readonly uploads = new Set<Promise<void>>();
  private unindexed: IndexedPack[] = [];
  private failure: unknown = null;
  packsUploaded = 0;
  bytesUploaded = 0;
  private bytesQueued = 0;
  private bytesSent = 0;
  /** Told of pack bytes as they go out (paced slices under a bandwidth limit), with the plain bytes they carry. */
  onSent: ((sealed: number, raw: number) => void) | null = null;

  constructor(
    private readonly vault: VaultCore,
    private readonly signal?: AbortSignal,
  ) {}

  /** Packs a killed or failed run uploaded without indexing them: read their headers and adopt them. */
  async adoptOrphanPacks(): Promise<{ packs: number; bytes: number }> {
    const backend = this.vault.backend;
    const orphans = (await backend.list(prefixes.packs)).filter((object) => !this.vault.index.hasPack(idOf(object.key)));
    let adopted = 0;
    let bytes = 0;
    for (const object of orphans) {
      try {
        const entries = await readPackEntries(backend, object.key, object.size, this.vault.keys.encKey);
        // Packs are put with deferDurability: where that can leave one torn by a power cut (a folder flushes
        // them in batches), every blob of an unindexed pack must still open. Object stores never show part of one.
        if (backend.capabilities.tornUntilSynced && !(await blobsOpen(this.vault, object.key, entries))) continue;
        const pack = { packId: idOf(object.key), size: object.size, entries };
        this.vault.index.addPack(pack);
        this.unindexed.push(pack);
        adopted++;
        bytes += object.size;
      } catch (error) {
        // A pack whose header cannot be read is left for prune; the blocks it held are simply stored again.
        if (!(error instanceof SealBroken) && !isNotFound(error) && !(error instanceof RangeError)) throw error;
      }
    }
    return { packs: adopted, bytes };
  }

  async add(id: Buffer, blob: Buffer, codec: number, rawLength: number): Promise<void> {
    this.throwIfFailed();
    this.entries.push({ id, offset: this.size, length: blob.length, rawLength, codec });
    this.blobs.push(blob);
    this.size += blob.length;
    if (this.size >= this.vault.packSize) await this.flushPack();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private async flushPack(): Promise<void> {
    if (this.entries.length === 0) return;
    while (this.uploads.size >= MAX_UPLOADS) await Promise.race(this.uploads);
    this.throwIfFailed();
    const entries = this.entries;
    const { id, parts, size } = buildPack(this.blobs, entries, this.vault.keys.encKey);
    const rawPerByte = entries.reduce((sum, entry) => sum + entry.rawLength, 0) / size;
    this.blobs = [];
    this.entries = [];
    this.size = 0;
    this.bytesQueued += size;
    const onSent = (bytes: number): void => {
      this.bytesSent += bytes;
      this.onSent?.(bytes, bytes * rawPerByte);
    };
    const upload = this.vault.backend
      .put(keys.pack(id), parts, { deferDurability: true, onSent, ...(this.signal ? { signal: this.signal } : {}) })
      .then(async () => {
        const pack = { packId: id, size, entries };
        this.vault.index.addPack(pack);
        for (const entry of entries) this.pending.delete(entry.id.toString('latin1'));
        for (const part of parts) release(part);
        this.unindexed.push(pack);
        this.packsUploaded++;
        this.bytesUploaded += size;
        if (this.unindexed.length >= INDEX_EVERY_PACKS) await this.writeIndex();
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      });
    this.uploads.add(upload);
    void upload.finally(() => this.uploads.delete(upload));
  }

  private async writeIndex(): Promise<void> {
    if (this.unindexed.length === 0) return;
    const packs = this.unindexed;
    this.unindexed = [];
    const id = randomId(16);
    try {
      await this.vault.backend.sync(); // the packs are durable before an index names them
      await this.vault.backend.put(keys.index(id), sealIndex(packs, this.vault.keys.encKey));
      this.vault.noteIndexObject(id);
    } catch (error) {
      this.unindexed.push(...packs);
      throw error;
    }
  }

  /** Sealed bytes not sent yet: packs still uploading and the one being filled. */
  get bytesUnsent(): number {
    return this.bytesQueued - this.bytesSent + this.size;
  }

  /** Uploads the last pack, waits for every upload, and indexes all of them. */
  async finish(): Promise<void> {
    await this.flushPack();
    while (this.uploads.size > 0) await Promise.race(this.uploads);
    this.throwIfFailed();
    await this.writeIndex();
  }

  /**
   * After a failure or cancel: let uploads already under way end, then index what did arrive so the next
   * run need not read pack headers. Best effort: if the backend is down, the next run adopts the packs.
   */
  async salvage(): Promise<void> {
    await Promise.allSettled([...this.uploads]);
    await this.writeIndex().catch(() => undefined);
  }
}

async function readPackEntries(backend: Backend, key: string, size: number, encKey: Buffer): Promise<PackEntry[]> {
  if (size < PACK_TRAILER_BYTES) throw new SealBroken('pack too small');
  const headerLength = parsePackTrailer(await backend.get(key, { offset: size - PACK_TRAILER_BYTES, length: PACK_TRAILER_BYTES }));
  const headerStart = size - PACK_TRAILER_BYTES - headerLength;
  if (headerStart < 0) throw new SealBroken('pack header longer than pack');
  const entries = parsePackHeader(await backend.get(key, { offset: headerStart, length: headerLength }), encKey);
  if (entries.some((entry) => entry.offset + entry.length > headerStart)) throw new SealBroken('pack entry outside pack');
  return entries;
}

/** Whether every blob of a pack decrypts (GCM tags): a torn pack fails at once. */
async function blobsOpen(vault: VaultCore, key: string, entries: PackEntry[]): Promise<boolean> {
  if (entries.length === 0) return true;
  const end = Math.max(...entries.map((entry) => entry.offset + entry.length));
  const data = await vault.backend.get(key, { offset: 0, length: end });
  try {
    await vault.workers().openRange(
      data,
      entries.map((entry) => ({ id: entry.id, at: entry.offset, length: entry.length, codec: entry.codec, rawLength: entry.rawLength })),
    );
    return true;
  } catch (error) {
    if (error instanceof BlockBroken) return false;
    throw error;
  }
}
