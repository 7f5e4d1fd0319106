import path from 'node:path/posix';
import { LifeboatError } from '../../contract/errors';
import type { ByteSource, SourceResolver } from '../../disks/types';
import { hostUnreachable } from '../errors';
import type { PinnedHttp } from './http';
import { parseDatastorePath } from './inventory';

export interface DatastoreLocation {
  /** The datacenter's inventory path ("DC0", or "Folder/DC1"), as /folder's dcPath wants it. */
  dcPath: string;
  dsName: string;
}

/** The datastore file's URL path: each segment escaped, datacenter and datastore as query parameters. */
export function folderUrl(location: DatastoreLocation, file: string): string {
  const encodedPath = file
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/');
  const query = new URLSearchParams({ dcPath: location.dcPath, dsName: location.dsName });
  return `/folder/${encodedPath}?${query.toString()}`;
}

/**
 * A file on a vSphere datastore as a ByteSource: HTTP Range GETs on `/folder`, signed in with the API
 * session's cookie. The disk-format parsers read VMDK headers, grain tables and extents through it
 * exactly as they read local files, fetching only the bytes they ask for.
 */
export class DatastoreSource implements ByteSource {
  private cachedSize: number | null = null;
  /** Bytes fetched over the network, for tests and progress. */
  bytesFetched = 0;

  constructor(
    private readonly http: PinnedHttp,
    private readonly cookie: () => string | null,
    readonly location: DatastoreLocation,
    /** Path inside the datastore, e.g. "vm1/disk1-flat.vmdk". */
    readonly file: string,
  ) {}

  get name(): string {
    return `[${this.location.dsName}] ${this.file}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = this.cookie();
    return cookie ? { ...extra, cookie } : extra;
  }

  async size(): Promise<number> {
    if (this.cachedSize !== null) return this.cachedSize;
    const response = await this.http.request('HEAD', folderUrl(this.location, this.file), this.headers());
    this.check(response.status);
    const length = Number(response.headers['content-length']);
    if (!Number.isFinite(length))
      throw new LifeboatError('PROVIDER_OUTPUT_INVALID', `${this.name}: the datastore did not say how large the file is.`, {
        fix: 'Update the host; its /folder service answered without a Content-Length.',
      });
    this.cachedSize = length;
    return length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const response = await this.http.request(
      'GET',
      folderUrl(this.location, this.file),
      this.headers({ range: `bytes=${offset}-${offset + length - 1}` }),
    );
    if (response.status === 416) return Buffer.alloc(0); // past the end
    this.check(response.status);
    this.bytesFetched += response.body.length;
    if (response.status === 200) {
      // A server that ignores Range sends the whole file: take the slice asked for.
      return response.body.subarray(offset, offset + length);
    }
    return response.body.length > length ? response.body.subarray(0, length) : response.body;
  }

  async close(): Promise<void> {}

  private check(status: number): void {
    if (status === 200 || status === 206) return;
    if (status === 404) {
      throw new LifeboatError('NOT_FOUND', `The datastore has no file ${this.name}.`, {
        fix: "The VM's disks moved (Storage vMotion?) or the snapshot was removed: run discovery and try again.",
      });
    }
    if (status === 401 || status === 403) {
      throw new LifeboatError('ACCESS_DENIED', `The datastore refused to give ${this.name} (HTTP ${status}).`, {
        fix: 'Give the account the Datastore.Browse and Datastore.FileManagement privileges.',
      });
    }
    throw hostUnreachable(this.http.origin, `the datastore answered HTTP ${status} for ${this.name}`);
  }
}

/**
 * Opens datastore files by "[ds] path" or, for files a VMDK descriptor names (extents, parents), relative
 * to the referring file's folder on the same datastore.
 */
export function datastoreResolver(
  http: PinnedHttp,
  cookie: () => string | null,
  locate: (dsName: string) => Promise<DatastoreLocation>,
): SourceResolver {
  return {
    async open(name, relativeTo) {
      const absolute = parseDatastorePath(name);
      if (absolute) return new DatastoreSource(http, cookie, await locate(absolute.datastore), absolute.path);
      // Parsers may wrap the referring source (metering), so go by its name, "[ds] folder/file.vmdk".
      const referrer = relativeTo ? parseDatastorePath(relativeTo.name) : null;
      if (referrer) {
        const location = relativeTo instanceof DatastoreSource ? relativeTo.location : await locate(referrer.datastore);
        return new DatastoreSource(http, cookie, location, path.join(path.dirname(referrer.path), name));
      }
      throw new LifeboatError('NOT_FOUND', `Cannot tell which datastore holds ${name}.`, {
        fix: 'Name datastore files as "[datastore] folder/file.vmdk".',
      });
    },
  };
}
