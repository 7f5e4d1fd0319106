import type { ContainerClient } from '@azure/storage-blob';
import { BackendError, checkKey, isTransientNetworkError, type Backend, type ByteRange, type ObjectInfo, type PutData, type PutOptions, joined } from './types';

/** Single-shot uploads up to this size are one Put Blob call, which Azure makes atomic; packs stay well below. */
const SINGLE_SHOT_LIMIT = 256 * 1024 * 1024;

/**
 * Azure Blob Storage (or Azurite): one block blob per object under an optional prefix. Put Blob replaces a
 * blob atomically, so a reader never sees half a pack. The SDK's own retries are off: the vault's retry
 * wrapper decides, so that "backend down" fails after a known, bounded time.
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

  /** The SDK is loaded on first use: it costs a third of a second, which commands on other vaults need not pay. */
  private container(): Promise<ContainerClient> {
    return (this.client ??= import('@azure/storage-blob').then(({ BlobServiceClient }) =>
      BlobServiceClient.fromConnectionString(this.connectionString, { retryOptions: { maxTries: 1, tryTimeoutInMs: 120_000 } }).getContainerClient(this.containerName),
    ));
  }

  private name(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Creates the container if needed (vault init). */
  async ensureContainer(): Promise<void> {
    try {
      await (await this.container()).createIfNotExists();
    } catch (error) {
      throw mapError(error, this.containerName);
    }
  }

  async put(key: string, parts: PutData, options: PutOptions = {}): Promise<void> {
    const data = joined(parts);
    try {
      await (await this.container()).getBlockBlobClient(this.name(key)).uploadData(data, {
        maxSingleShotSize: SINGLE_SHOT_LIMIT,
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    const name = this.name(key);
    try {
      const blob = (await this.container()).getBlobClient(name);
      if (range) {
        if (range.length === 0) {
          const size = (await blob.getProperties()).contentLength ?? 0;
          if (range.offset > size) throw new BackendError('invalid-range', `Range ${range.offset}+0 is outside ${key}.`);
          return Buffer.alloc(0);
        }
        const response = await blob.download(range.offset, range.length);
        const body = await readAll(response.readableStreamBody);
        if (body.length !== range.length) throw new BackendError('invalid-range', `Range ${range.offset}+${range.length} is outside ${key}.`);
        return body;
      }
      const response = await blob.download(0);
      return await readAll(response.readableStreamBody);
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      for await (const blob of (await this.container()).listBlobsFlat({ prefix: this.prefix ? `${this.prefix}/${prefix}` : prefix })) {
        out.push({ key: blob.name.slice(strip), size: blob.properties.contentLength ?? 0 });
      }
    } catch (error) {
      throw mapError(error, prefix || '(root)');
    }
    return out;
  }

  async stat(key: string): Promise<ObjectInfo> {
    try {
      const properties = await (await this.container()).getBlobClient(this.name(key)).getProperties();
      return { key, size: properties.contentLength ?? 0 };
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await (await this.container()).getBlobClient(this.name(key)).deleteIfExists();
    } catch (error) {
      throw mapError(error, key);
    }
  }

  /** Every put is durable when it returns. */
  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
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
  if (status === 408 || status === 429 || (status !== undefined && status >= 500) || isTransientNetworkError(error) || status === undefined) {
    return new BackendError('transient', `Azure Blob: ${message}`, { cause: error });
  }
  return new BackendError('permanent', `Azure Blob: ${message}`, { cause: error });
}
