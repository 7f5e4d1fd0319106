import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { progressBody, readAll } from './streams';
import {
  BackendError,
  checkKey,
  isTransientNetworkError,
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  type ObjectInfo,
  type PutData,
  type PutOptions,
  type RequestOptions,
  joined,
} from './types';

export interface S3Settings {
  bucket: string;
  prefix: string;
  /** AWS_ENDPOINT_URL: MinIO, Wasabi, a NAS… Path-style addressing is used whenever an endpoint is set. */
  endpoint?: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * S3 and S3-compatible stores. PutObject is atomic by S3's contract. Checksums are only computed when the
 * operation requires them: several S3-compatible servers mishandle the SDK's default streaming checksums.
 * The SDK's retries are off; the vault's retry wrapper decides. Every send carries the request's abortSignal
 * (the SDK then destroys the socket) and bytes are reported as they move, for the deadline wrapper.
 */
type Sdk = typeof S3Sdk;

export class S3Backend implements Backend {
  private loaded: Promise<{ sdk: Sdk; client: S3Client }> | null = null;

  constructor(private readonly settings: S3Settings) {}

  /** The SDK is loaded on first use, so commands on other vaults start faster. */
  private sdk(): Promise<{ sdk: Sdk; client: S3Client }> {
    return (this.loaded ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.settings.region ?? 'us-east-1',
        ...(this.settings.endpoint ? { endpoint: this.settings.endpoint, forcePathStyle: true } : {}),
        credentials: { accessKeyId: this.settings.accessKeyId, secretAccessKey: this.settings.secretAccessKey },
        maxAttempts: 1,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    })));
  }

  get location(): string {
    return `s3://${this.settings.bucket}${this.settings.prefix ? `/${this.settings.prefix}` : ''}`;
  }

  get capabilities(): BackendCapabilities {
    return {
      localRoot: null,
      holder: 'bucket',
      tornUntilSynced: false,
      ensureHolder: async (options) => {
        await this.ensureBucket(options);
        return [];
      },
      removeLeftovers: async () => undefined,
    };
  }

  private name(key: string): string {
    checkKey(key);
    return this.settings.prefix ? `${this.settings.prefix}/${key}` : key;
  }

  /** Creates the bucket if it does not exist (vault init). */
  async ensureBucket(options: RequestOptions = {}): Promise<void> {
    try {
      const { sdk, client } = await this.sdk();
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.settings.bucket }), send(options));
    } catch (error) {
      const mapped = mapError(error, this.settings.bucket);
      if (mapped.kind !== 'not-found') throw mapped;
      try {
        const { sdk, client } = await this.sdk();
        await client.send(new sdk.CreateBucketCommand({ Bucket: this.settings.bucket }), send(options));
      } catch (createError) {
        throw mapError(createError, this.settings.bucket);
      }
    }
  }

  async put(key: string, parts: PutData, options: PutOptions = {}): Promise<void> {
    const data = joined(parts);
    try {
      const { sdk, client } = await this.sdk();
      const command = new sdk.PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.name(key),
        Body: data,
        ContentLength: data.length,
      });
      // Signed over the whole buffer, then sent as a stream of chunks, each reported as the socket takes it.
      command.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { body?: unknown };
          if (Buffer.isBuffer(request.body)) request.body = progressBody(request.body, options.onProgress);
          return next(args);
        },
        { step: 'deserialize', name: 'lifeboatUploadProgress' },
      );
      await client.send(command, send(options));
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async get(key: string, range?: ByteRange, options: RequestOptions = {}): Promise<Buffer> {
    try {
      const { sdk, client } = await this.sdk();
      if (range && range.length === 0) {
        const size = (await this.stat(key, options)).size;
        if (range.offset > size) throw new BackendError('invalid-range', `Range ${range.offset}+0 is outside ${key}.`);
        return Buffer.alloc(0);
      }
      const response = await client.send(
        new sdk.GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.name(key),
          ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
        }),
        send(options),
      );
      options.onProgress?.(0);
      const body = await readAll(response.Body as AsyncIterable<unknown> | undefined, options.onProgress);
      if (range && body.length !== range.length)
        throw new BackendError('invalid-range', `Range ${range.offset}+${range.length} is outside ${key}.`);
      return body;
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async list(prefix: string, options: RequestOptions = {}): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const strip = this.settings.prefix ? this.settings.prefix.length + 1 : 0;
    let token: string | undefined;
    try {
      const { sdk, client } = await this.sdk();
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: this.settings.prefix ? `${this.settings.prefix}/${prefix}` : prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
          send(options),
        );
        options.onProgress?.(0);
        for (const item of page.Contents ?? [])
          if (item.Key)
            out.push({
              key: item.Key.slice(strip),
              size: item.Size ?? 0,
              ...(item.LastModified ? { modified: item.LastModified.getTime() } : {}),
            });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw mapError(error, prefix || '(root)');
    }
    return out;
  }

  async stat(key: string, options: RequestOptions = {}): Promise<ObjectInfo> {
    try {
      const { sdk, client } = await this.sdk();
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.name(key) }), send(options));
      return { key, size: head.ContentLength ?? 0 };
    } catch (error) {
      throw mapError(error, key);
    }
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    try {
      const { sdk, client } = await this.sdk();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.name(key) }), send(options));
    } catch (error) {
      const mapped = mapError(error, key);
      if (mapped.kind !== 'not-found') throw mapped;
    }
  }

  /** Every put is durable when it returns. */
  async sync(): Promise<void> {}

  async close(): Promise<void> {
    if (this.loaded) (await this.loaded).client.destroy();
  }
}

function send(options: RequestOptions): { abortSignal?: AbortSignal } {
  return options.signal ? { abortSignal: options.signal } : {};
}

function mapError(error: unknown, key: string): BackendError {
  if (error instanceof BackendError) return error;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as Error).name;
  const message = (error as Error).message || name;
  if (name === 'AbortError') return new BackendError('permanent', 'Cancelled.', { cause: error });
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket') {
    return new BackendError('not-found', `${key} does not exist.`, { cause: error });
  }
  if (status === 416 || name === 'InvalidRange') return new BackendError('invalid-range', `Range outside ${key}.`, { cause: error });
  if (status === 401 || status === 403) return new BackendError('access-denied', `S3 refused access: ${message}`, { cause: error });
  if (
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    isTransientNetworkError(error) ||
    status === undefined
  ) {
    return new BackendError('transient', `S3: ${message}`, { cause: error });
  }
  return new BackendError('permanent', `S3: ${message}`, { cause: error });
}
