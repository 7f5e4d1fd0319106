import { LifeboatError } from '../../contract/errors';
import type { Backend, BackendCapabilities, ByteRange, ObjectInfo, PutData, PutOptions, RequestOptions } from './types';

/**
 * A view of a backend that only reads (kopia's read-only storage): restores, verifies and drills open the
 * vault through it, so a bug on those paths cannot change what the vault holds. Keys under `writable` stay
 * writable: the lock objects a reader takes so that no prune deletes packs from under it.
 */
export class ReadOnlyBackend implements Backend {
  constructor(
    private readonly inner: Backend,
    private readonly writable: readonly string[] = [],
  ) {}

  get location(): string {
    return this.inner.location;
  }

  get capabilities(): BackendCapabilities {
    return {
      ...this.inner.capabilities,
      ensureHolder: () => Promise.reject(this.refused('create the folder, container or bucket', '')),
      removeLeftovers: () => Promise.reject(this.refused('remove leftover temporary files', '')),
    };
  }

  private allows(key: string): boolean {
    return this.writable.some((prefix) => key.startsWith(prefix));
  }

  private refused(operation: string, key: string): LifeboatError {
    return new LifeboatError(
      'INTERNAL',
      `A read-only vault view was asked to ${operation}${key ? ` ${key}` : ''} in ${this.inner.location}: this is a bug, report it.`,
      {
        fix: 'Report this to Lifeboat support with the job log; the vault was not changed.',
      },
    );
  }

  put(key: string, data: PutData, options?: PutOptions): Promise<void> {
    if (!this.allows(key)) return Promise.reject(this.refused('write', key));
    return this.inner.put(key, data, options);
  }

  get(key: string, range?: ByteRange, options?: RequestOptions): Promise<Buffer> {
    return this.inner.get(key, range, options);
  }

  list(prefix: string, options?: RequestOptions): Promise<ObjectInfo[]> {
    return this.inner.list(prefix, options);
  }

  stat(key: string, options?: RequestOptions): Promise<ObjectInfo> {
    return this.inner.stat(key, options);
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    if (!this.allows(key)) return Promise.reject(this.refused('delete', key));
    return this.inner.delete(key, options);
  }

  /** Only writes this view allowed can be waiting to be made durable. */
  sync(options?: RequestOptions): Promise<void> {
    return this.inner.sync(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
