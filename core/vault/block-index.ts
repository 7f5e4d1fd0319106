import type { IndexedPack, PackEntry } from './format';

export interface BlockLocation {
  packId: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}

/**
 * Every block the vault holds, by id: which pack, where in it. Kept in typed arrays (about 60 bytes a block
 * with the map) so a vault of millions of blocks fits in memory.
 */
export class BlockIndex {
  private readonly slotOf = new Map<string, number>();
  private readonly packIds: string[] = [];
  private readonly packSizes: number[] = [];
  private readonly packNoOf = new Map<string, number>();
  private packNo = new Uint32Array(1024);
  private offset = new Uint32Array(1024);
  private length = new Uint32Array(1024);
  private rawLength = new Uint32Array(1024);
  private codec = new Uint8Array(1024);
  private count = 0;

  get blockCount(): number {
    return this.slotOf.size;
  }

  get packCount(): number {
    return this.packNoOf.size;
  }

  hasPack(packId: string): boolean {
    return this.packNoOf.has(packId);
  }

  /** Adds a pack's entries; a block already indexed in another pack keeps its first location. */
  addPack(pack: IndexedPack): void {
    if (this.packNoOf.has(pack.packId)) return;
    const no = this.packIds.length;
    this.packIds.push(pack.packId);
    this.packSizes.push(pack.size);
    this.packNoOf.set(pack.packId, no);
    for (const entry of pack.entries) this.addEntry(no, entry);
  }

  private addEntry(no: number, entry: PackEntry): void {
    const key = entry.id.toString('latin1');
    if (this.slotOf.has(key)) return;
    if (this.count === this.packNo.length) this.grow();
    const slot = this.count++;
    this.packNo[slot] = no;
    this.offset[slot] = entry.offset;
    this.length[slot] = entry.length;
    this.rawLength[slot] = entry.rawLength;
    this.codec[slot] = entry.codec;
    this.slotOf.set(key, slot);
  }

  private grow(): void {
    const size = this.packNo.length * 2;
    const grow = <T extends Uint32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.packNo = grow(this.packNo, (n) => new Uint32Array(n));
    this.offset = grow(this.offset, (n) => new Uint32Array(n));
    this.length = grow(this.length, (n) => new Uint32Array(n));
    this.rawLength = grow(this.rawLength, (n) => new Uint32Array(n));
    this.codec = grow(this.codec, (n) => new Uint8Array(n));
  }

  has(id: Uint8Array): boolean {
    return this.slotOf.has(Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1'));
  }

  get(id: Uint8Array): BlockLocation | undefined {
    const slot = this.slotOf.get(Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1'));
    if (slot === undefined) return undefined;
    return {
      packId: this.packIds[this.packNo[slot]!]!,
      offset: this.offset[slot]!,
      length: this.length[slot]!,
      rawLength: this.rawLength[slot]!,
      codec: this.codec[slot]!,
    };
  }

  packSize(packId: string): number | undefined {
    const no = this.packNoOf.get(packId);
    return no === undefined ? undefined : this.packSizes[no];
  }

  /** Every pack with the entries the index attributes to it (blocks indexed first elsewhere are left out). */
  packs(): IndexedPack[] {
    const entries: PackEntry[][] = this.packIds.map(() => []);
    for (const [key, slot] of this.slotOf) {
      entries[this.packNo[slot]!]!.push({
        id: Buffer.from(key, 'latin1'),
        offset: this.offset[slot]!,
        length: this.length[slot]!,
        rawLength: this.rawLength[slot]!,
        codec: this.codec[slot]!,
      });
    }
    return this.packIds.map((packId, no) => ({
      packId,
      size: this.packSizes[no]!,
      entries: entries[no]!.sort((a, b) => a.offset - b.offset),
    }));
  }
}
