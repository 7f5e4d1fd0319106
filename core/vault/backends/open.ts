import path from 'node:path';
import { LifeboatError } from '../../contract/errors';
import { AzureBlobBackend } from './azure';
import { DeadlineBackend, defaultTimeouts, runWithDeadline, type Timeouts } from './deadline';
import { FolderBackend } from './folder';
import { MeteredBackend } from './metrics';
import { defaultRetry, RetryingBackend, type RetryOptions } from './retry';
import { S3Backend } from './s3';
import { ThrottledBackend, type SharedPacers } from './throttle';
import type { Backend } from './types';

export type ParsedLocation =
  | { kind: 'folder'; path: string }
  | { kind: 'azblob'; container: string; prefix: string }
  | { kind: 's3'; bucket: string; prefix: string };

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** `<path>`, `azblob://<container>[/<prefix>]` or `s3://<bucket>[/<prefix>]`. */
export function parseLocation(location: string): ParsedLocation {
  const match = /^([a-z0-9]+):\/\/([^/]*)\/?(.*)$/.exec(location.trim());
  if (!match) {
    if (!location.trim()) throw invalid(location, 'The vault location is empty.');
    return { kind: 'folder', path: path.resolve(location.trim()) };
  }
  const [, scheme, container, rest] = match as unknown as [string, string, string, string];
  const prefix = rest.replace(/\/+$/, '');
  if (prefix && !prefix.split('/').every((part) => SEGMENT.test(part) && part !== '.' && part !== '..')) {
    throw invalid(location, `The prefix "${prefix}" may only use letters, digits, '.', '_' and '-' between slashes.`);
  }
  if (scheme === 'azblob') {
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
      throw invalid(location, `"${container}" is not a valid Azure container name (3-63 lowercase letters, digits and single hyphens).`);
    }
    return { kind: 'azblob', container, prefix };
  }
  if (scheme === 's3') {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(container)) {
      throw invalid(location, `"${container}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens).`);
    }
    return { kind: 's3', bucket: container, prefix };
  }
  throw invalid(location, `Unknown vault scheme "${scheme}://".`);
}

function invalid(location: string, message: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', message, {
    field: 'location',
    fix: `Use a folder path, azblob://<container>[/<prefix>] or s3://<bucket>[/<prefix>] (got "${location}").`,
  });
}

/** The storage backend alone, without wrappers; credentials come from the environment. */
export function openRawBackend(location: string, env: NodeJS.ProcessEnv = process.env): Backend {
  const parsed = parseLocation(location);
  switch (parsed.kind) {
    case 'folder':
      return new FolderBackend(parsed.path);
    case 'azblob': {
      const connection = env.AZURE_STORAGE_CONNECTION_STRING;
      if (!connection) {
        throw new LifeboatError('INVALID_INPUT', 'AZURE_STORAGE_CONNECTION_STRING is not set.', {
          fix: 'Set it to the storage account connection string (Azure portal: Storage account > Access keys).',
        });
      }
      return new AzureBlobBackend(connection, parsed.container, parsed.prefix);
    }
    case 's3': {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) {
        throw new LifeboatError('INVALID_INPUT', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set for an s3:// vault.', {
          fix: 'Set both to an access key allowed to read and write the bucket (and AWS_ENDPOINT_URL for a non-AWS store).',
        });
      }
      return new S3Backend({
        bucket: parsed.bucket,
        prefix: parsed.prefix,
        accessKeyId,
        secretAccessKey,
        ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
        ...(env.AWS_REGION || env.AWS_DEFAULT_REGION ? { region: (env.AWS_REGION || env.AWS_DEFAULT_REGION)! } : {}),
      });
    }
  }
}

export interface BackendStackOptions {
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryOptions>;
  uploadBytesPerSecond?: number | null;
  downloadBytesPerSecond?: number | null;
  /** Pacers shared with other vaults open on the same location (the limits above are then ignored). */
  pacers?: SharedPacers;
  /**
   * Per-request deadlines (deadline.ts): a request with no byte moving for `stallMs` (default 60 s) is
   * abandoned and retried. Without this option, LIFEBOAT_VAULT_STALL_SECONDS in `env` may set `stallMs`.
   */
  timeouts?: Partial<Timeouts>;
  /** Tests wrap the raw backend to inject faults beneath the deadlines and retries. */
  wrapRaw?: (backend: Backend) => Backend;
}

/** The timeouts a stack uses: the option, else LIFEBOAT_VAULT_STALL_SECONDS, else the defaults. */
export function stackTimeouts(options: BackendStackOptions = {}): Timeouts {
  const fromEnv = Number((options.env ?? process.env).LIFEBOAT_VAULT_STALL_SECONDS);
  const stallMs = options.timeouts?.stallMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : defaultTimeouts.stallMs);
  return { stallMs, requestDeadlineMs: options.timeouts?.requestDeadlineMs ?? defaultTimeouts.requestDeadlineMs };
}

/**
 * The stack every vault uses: metrics outermost (what the user experiences), then throttling, then retries,
 * then the per-request deadline (each try gets its own), then the backend.
 */
export interface BackendStack {
  backend: MeteredBackend;
  throttle: ThrottledBackend;
  raw: Backend;
}

export function openBackendStack(location: string, options: BackendStackOptions = {}): BackendStack {
  const raw = openRawBackend(location, options.env);
  const wrapped = options.wrapRaw ? options.wrapRaw(raw) : raw;
  const retrying = new RetryingBackend(new DeadlineBackend(wrapped, stackTimeouts(options)), { ...defaultRetry, ...options.retry });
  const throttle = new ThrottledBackend(retrying, {
    uploadBytesPerSecond: options.uploadBytesPerSecond ?? null,
    downloadBytesPerSecond: options.downloadBytesPerSecond ?? null,
    ...(options.pacers ? { pacers: options.pacers } : {}),
  });
  return { backend: new MeteredBackend(throttle), throttle, raw };
}

/** Vault folders, containers and buckets are created by `vault init`, never implicitly by a backup; under the same deadline. */
export async function ensureContainer(raw: Backend, timeouts: Timeouts = stackTimeouts()): Promise<void> {
  if (raw instanceof FolderBackend) await runWithDeadline(timeouts, 'create the vault folder', '', {}, (options) => raw.ensureRoot(options));
  if (raw instanceof AzureBlobBackend) await runWithDeadline(timeouts, 'create container', '', {}, (options) => raw.ensureContainer(options));
  if (raw instanceof S3Backend) await runWithDeadline(timeouts, 'create bucket', '', {}, (options) => raw.ensureBucket(options));
}
