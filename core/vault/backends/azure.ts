import type { ContainerClient } from '@azure/storage-blob';
import { progressBody, readAll } from './streams';
import {
  BackendError,
  byteLength,
  checkKey,
  isTransientNetworkError,
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  type ObjectInfo,
  type PutData,
  type PutOptions,
  type RequestOptions,
} from './types';

/** Single-shot uploads up to this size are one Put Blob call, which Azure makes atomic; packs stay well below. */
const SINGLE_SHOT_LIMIT = 256 * 1024 * 1024;

/**
 * Azure Blob Storage (or Azurite): one block blob per object under an optional prefix. Put Blob replaces a
 * blob atomically, so a reader never sees half a pack. The SDK's own retries are off: the vault's retry
 * wrapper decides, so that "backend down" fails after a known, bounded time. Every call carries the request's
 * abortSignal (the SDK then destroys the socket) and reports bytes as they move, body chunks as the socket
 * takes them and response chunks as they arrive, for the deadline wrapper.
 */
export class AzureBlobBackend implements Backend {
  private client: Promise<ContainerClient> | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly containerName: string,
    private readonly prefix: string,
  ) {}

  get location(): string {
    return `azblob://${this.containerName}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  get capabilities(): BackendCapabilities {
    return {
      localRoot: null,
      holder: 'container',
      tornUntilSynced: false,
      ensureHolder: async (options) => {
        await this.ensureContainer(options);
        return [];
      },
      removeLeftovers: async () => undefined,
    };
  }

  /** The SDK is loaded on first use: it costs a third of a second, which commands on other vaults need not pay. */
  private container(): Promise<ContainerClient> {
    return (this.client ??= import('@azure/storage-blob').then(({ BlobServiceClient }) =>
      BlobServiceClient.fromConnectionString(this.connectionString, {
        retryOptions: { maxTries: 1, tryTimeoutInMs: 120_000 },
      }).getContainerClient(this.containerName),
    ));
  }

  private name(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Creates the container if needed (vault init). */
  async ensureContainer(options: RequestOptions = {}): Promise<void> {
    try {
      await (await this.container()).createIfNotExists(signal(options));
    } catch (error) {
      throw mapError(error, this.containerName);
    }
  }

  async put(key: string, parts: PutData, options: PutOptions = {}): Promise<void> {
    const length = byteLength(parts);
    try {
      if (length > SINGLE_SHOT_LIMIT)
        throw new BackendError('permanent', `${key} is larger than one Put Blob call takes (${length} bytes).`);
      // One Put Blob call, its body streamed (in the parts as they are, never joined) so progress is reported.
      await (
        await this.container()
      )
        .getBlockBlobClient(this.name(key))
        .upload(() => progressBody(parts, options.onProgress), length, signal(options));
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async get(key: string, range?: ByteRange, options: RequestOptions = {}): Promise<Buffer> {
    const name = this.name(key);
    // The SDK's own re-reads of a broken download are off, as its retries are.
    const download = { ...signal(options), maxRetryRequests: 0 };
    try {
      const blob = (await this.container()).getBlobClient(name);
      if (range) {
        if (range.length === 0) {
          const size = (await blob.getProperties(signal(options))).contentLength ?? 0;
          if (range.offset > size) throw new BackendError('invalid-range', `Range ${range.offset}+0 is outside ${key}.`);
          return Buffer.alloc(0);
        }
        const response = await blob.download(range.offset, range.length, download);
        const body = await readAll(response.readableStreamBody, options.onProgress);
        if (body.length !== range.length)
          throw new BackendError('invalid-range', `Range ${range.offset}+${range.length} is outside ${key}.`);
        return body;
      }
      const response = await blob.download(0, undefined, download);
      return await readAll(response.readableStreamBody, options.onProgress);
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async list(prefix: string, options: RequestOptions = {}): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      const pages = (await this.container())
        .listBlobsFlat({ prefix: this.prefix ? `${this.prefix}/${prefix}` : prefix, ...signal(options) })
        .byPage();
      for await (const page of pages) {
        options.onProgress?.(0);
        for (const blob of page.segment.blobItems)
          out.push({
            key: blob.name.slice(strip),
            size: blob.properties.contentLength ?? 0,
            ...(blob.properties.lastModified ? { modified: blob.properties.lastModified.getTime() } : {}),
          });
      }
    } catch (error) {
      throw mapError(error, prefix || '(root)');
    }
    return out;
  }

  async stat(key: string, options: RequestOptions = {}): Promise<ObjectInfo> {
    try {
      const properties = await (await this.container()).getBlobClient(this.name(key)).getProperties(signal(options));
      return { key, size: properties.contentLength ?? 0 };
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    try {
      await (await this.container()).getBlobClient(this.name(key)).deleteIfExists(signal(options));
    } catch (error) {
      throw mapError(error, key);
    }
  }

  /** Every put is durable when it returns. */
  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}

function signal(options: RequestOptions): { abortSignal?: AbortSignal } {
  return options.signal ? { abortSignal: options.signal } : {};
}

function mapError(error: unknown, key: string): BackendError {
  if (error instanceof BackendError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message?.split('\n')[0] ?? String(error);
  if ((error as Error).name === 'AbortError') return new BackendError('permanent', 'Cancelled.', { cause: error });
  if (status === 404) return new BackendError('not-found', `${key} does not exist (${code ?? 404}).`, { cause: error });
  if (status === 416) return new BackendError('invalid-range', `Range outside ${key}.`, { cause: error });
  if (status === 401 || status === 403) return new BackendError('access-denied', `Azure refused access: ${message}`, { cause: error });
  if (
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    isTransientNetworkError(error) ||
    status === undefined
  ) {
    return new BackendError('transient', `Azure Blob: ${message}`, { cause: error });
  }
  return new BackendError('permanent', `Azure Blob: ${message}`, { cause: error });
}
