import { readExact } from './bytes';
import type { ByteSource } from './types';

/**
 * A table of fixed-size entries in a file (a VHDX or VHD block allocation table, a VMDK grain directory) read
 * in pages on demand, so that memory stays bounded however large the disk claims to be.
 */
export class PagedTable<T> {
  private readonly pages = new Map<number, Buffer>();
  private readonly entriesPerPage: number;

  constructor(
    private readonly source: ByteSource,
    private readonly offset: number,
    readonly count: number,
    private readonly entryBytes: number,
    private readonly decode: (page: Buffer, at: number) => T,
    private readonly what: string,
    pageBytes = 64 * 1024,
    private readonly maxPages = 64,
  ) {
    this.entriesPerPage = Math.max(1, Math.floor(pageBytes / entryBytes));
  }

  async get(index: number): Promise<T> {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`${this.what} entry ${index} out of range`);
    const pageIndex = Math.floor(index / this.entriesPerPage);
    let page = this.pages.get(pageIndex);
    if (page) {
      // Refresh its place in the insertion-ordered map: least recently used goes first.
      this.pages.delete(pageIndex);
    } else {
      page = await this.loadPage(pageIndex);
      if (this.pages.size >= this.maxPages) this.pages.delete(this.pages.keys().next().value!);
    }
    this.pages.set(pageIndex, page);
    return this.decode(page, (index - pageIndex * this.entriesPerPage) * this.entryBytes);
  }

  /** Visits every entry in order, one page in memory at a time, without disturbing the cache. */
  async scan(visit: (entry: T, index: number) => void): Promise<void> {
    const pageCount = Math.ceil(this.count / this.entriesPerPage);
    for (let p = 0; p < pageCount; p++) {
      const page = this.pages.get(p) ?? (await this.loadPage(p));
      const first = p * this.entriesPerPage;
      const n = Math.min(this.entriesPerPage, this.count - first);
      for (let i = 0; i < n; i++) visit(this.decode(page, i * this.entryBytes), first + i);
    }
  }

  private loadPage(pageIndex: number): Promise<Buffer> {
    const first = pageIndex * this.entriesPerPage;
    const n = Math.min(this.entriesPerPage, this.count - first);
    return readExact(this.source, this.offset + first * this.entryBytes, n * this.entryBytes, this.what);
  }
}
