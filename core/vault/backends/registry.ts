import path from 'node:path';
import { LifeboatError } from '../../contract/errors';
import { AzureBlobBackend } from './azure';
import type { AzureCredentials, BackendCredentials, S3Credentials } from './credentials';
import { FolderBackend } from './folder';
import { S3Backend } from './s3';
import type { Backend } from './types';

export type ParsedLocation =
  { kind: 'folder'; path: string } | { kind: 'azblob'; container: string; prefix: string } | { kind: 's3'; bucket: string; prefix: string };

type Kind = ParsedLocation['kind'];
type LocationOf<K extends Kind> = Extract<ParsedLocation, { kind: K }>;

/**
 * One kind of storage (kopia's storage provider registry): how its locations are written, what it needs to
 * open, and how it opens. Adding a kind is one entry here; nothing else branches on the kind.
 */
interface Provider<K extends Kind> {
  /** Whether it opens only with credentials (a folder uses this account's own access). */
  readonly needsCredentials: boolean;
  /** `<scheme>://<authority>[/<prefix>]` taken apart; the folder provider gets the whole path as `authority`. */
  parse(authority: string, prefix: string, location: string): LocationOf<K>;
  open(location: LocationOf<K>, credentials: BackendCredentials | null, typed: string): Backend;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

const providers: { [K in Kind]: Provider<K> } = {
  folder: {
    needsCredentials: false,
    parse: (authority) => ({ kind: 'folder', path: path.resolve(authority) }),
    open: (location) => new FolderBackend(location.path),
  },
  azblob: {
    needsCredentials: true,
    parse(container, prefix, location) {
      if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
        throw invalid(location, `"${container}" is not a valid Azure container name (3-63 lowercase letters, digits and single hyphens).`);
      }
      return { kind: 'azblob', container, prefix };
    },
    open(location, credentials, typed) {
      const azure = required<AzureCredentials>(
        credentials,
        typed,
        (value) => Boolean((value as Partial<AzureCredentials>).connectionString),
        'an Azure storage connection string',
      );
      return new AzureBlobBackend(azure.connectionString, location.container, location.prefix);
    },
  },
  s3: {
    needsCredentials: true,
    parse(bucket, prefix, location) {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
        throw invalid(location, `"${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens).`);
      }
      return { kind: 's3', bucket, prefix };
    },
    open(location, credentials, typed) {
      const s3 = required<S3Credentials>(
        credentials,
        typed,
        (value) => Boolean((value as Partial<S3Credentials>).accessKeyId && (value as Partial<S3Credentials>).secretAccessKey),
        'an S3 access key and secret',
      );
      return new S3Backend({
        bucket: location.bucket,
        prefix: location.prefix,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
        ...(s3.region ? { region: s3.region } : {}),
      });
    },
  },
};

const SCHEMES: Record<string, Exclude<Kind, 'folder'>> = { azblob: 'azblob', s3: 's3' };

/** `<path>`, `azblob://<container>[/<prefix>]` or `s3://<bucket>[/<prefix>]`. */
export function parseLocation(location: string): ParsedLocation {
  const match = /^([a-z0-9]+):\/\/([^/]*)\/?(.*)$/.exec(location.trim());
  if (!match) {
    if (!location.trim()) throw invalid(location, 'The vault location is empty.');
    return providers.folder.parse(location.trim(), '', location);
  }
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const prefix = rest.replace(/\/+$/, '');
  if (prefix && !prefix.split('/').every((part) => SEGMENT.test(part) && part !== '.' && part !== '..')) {
    throw invalid(location, `The prefix "${prefix}" may only use letters, digits, '.', '_' and '-' between slashes.`);
  }
  const kind = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (!kind) throw invalid(location, `Unknown vault scheme "${scheme}://".`);
  return providers[kind].parse(authority, prefix, location);
}

/** Whether the storage at `location` opens only with credentials (an object store) or without (a folder). */
export function needsCredentials(location: string): boolean {
  return providers[parseLocation(location).kind].needsCredentials;
}

/** The storage backend alone, without wrappers, opened with `credentials` (null: none are stored for it). */
export function openProvider(location: string, credentials: BackendCredentials | null): Backend {
  const parsed = parseLocation(location);
  const provider = providers[parsed.kind] as Provider<Kind>;
  return provider.open(parsed, credentials, location.trim());
}

function required<T extends BackendCredentials>(
  credentials: BackendCredentials | null,
  location: string,
  fits: (value: BackendCredentials) => boolean,
  what: string,
): T {
  if (!credentials) {
    throw new LifeboatError('NOT_SET_UP', `No credentials are stored for the vault ${location}.`, {
      fix: `Open Settings → Vault and enter ${what} for this target (from the command line: set them in the environment of \`lifeboat vault\`).`,
    });
  }
  if (!fits(credentials)) {
    throw new LifeboatError('INVALID_INPUT', `The credentials for the vault ${location} are not ${what}.`, {
      field: 'credentials',
      fix: `Give ${what} for ${location}.`,
    });
  }
  return credentials as T;
}

function invalid(location: string, message: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', message, {
    field: 'location',
    fix: `Use a folder path, azblob://<container>[/<prefix>] or s3://<bucket>[/<prefix>] (got "${location}").`,
  });
}
