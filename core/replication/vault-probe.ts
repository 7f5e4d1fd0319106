import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { LifeboatError } from '../contract/errors';
import type { BackendCredentials } from '../vault/backends/credentials';
import { ensureContainer, openRawBackend } from '../vault/backends/open';
import { isNotFound, type Backend } from '../vault/backends/types';

export interface WriteProof {
  /** What was done to prove it, in words for the user. */
  proof: string;
  /** A container or bucket that did not exist and was created (kept: the vault goes there next). */
  createdContainer: boolean;
}

/**
 * Proves a vault location can hold a vault before anything depends on it: the folder, container or bucket
 * is reached (made where missing), and a probe object is written, read back byte for byte and deleted. A
 * folder the probe had to make is removed again afterwards — only the folders it made, and only empty.
 * "It answered" is not proof: /proc accepts a directory listing, a path under a file fails only on write.
 */
export async function proveWritable(location: string, credentials: BackendCredentials | null): Promise<WriteProof> {
  const backend = openRawBackend(location, credentials);
  try {
    const root = backend.capabilities.localRoot;
    if (root !== null) return await proveFolder(backend, root);
    return await proveCloud(backend, location);
  } finally {
    await backend.close().catch(() => undefined);
  }
}

async function proveFolder(backend: Backend, root: string): Promise<WriteProof> {
  const existing = await fs.stat(root).catch(() => null);
  if (existing && !existing.isDirectory()) {
    throw new LifeboatError('INVALID_INPUT', `${root} is a file, not a folder.`, {
      field: 'location',
      fix: 'Choose a folder (or a new folder name) for the vault.',
    });
  }
  let made: string[];
  try {
    made = await backend.capabilities.ensureHolder();
  } catch (error) {
    throw folderRefused(root, error);
  }
  try {
    await roundTrip(backend, root);
  } finally {
    for (const folder of made.reverse()) await fs.rmdir(folder).catch(() => undefined);
  }
  return {
    proof:
      made.length > 0
        ? 'created the folder, wrote, read back and deleted a test file, and removed the folder again'
        : 'wrote, read back and deleted a test file',
    createdContainer: false,
  };
}

async function proveCloud(backend: Backend, location: string): Promise<WriteProof> {
  let createdContainer = false;
  try {
    await backend.list('config');
  } catch (error) {
    if (!isNotFound(error)) throw unreachable(location, error);
    try {
      await ensureContainer(backend);
      createdContainer = true;
    } catch (creating) {
      throw unreachable(location, creating, backend.capabilities.holder);
    }
  }
  try {
    await roundTrip(backend, location);
  } catch (error) {
    throw error instanceof LifeboatError ? error : unreachable(location, error);
  }
  return {
    proof: `${createdContainer ? `created the ${backend.capabilities.holder}, ` : ''}wrote, read back and deleted a test object`,
    createdContainer,
  };
}

/** Writes a random probe object, reads it back and deletes it; anything else than the same bytes fails. */
async function roundTrip(backend: Backend, location: string): Promise<void> {
  const key = `lifeboat-probe-${randomBytes(8).toString('hex')}`;
  const data = randomBytes(4096);
  try {
    await backend.put(key, data);
    const back = await backend.get(key);
    if (!back.equals(data)) {
      throw new LifeboatError('BACKEND_UNAVAILABLE', `${location} does not keep what is written: a test file read back different bytes.`, {
        fix: 'Use a folder on a normal disk or share, or a container or bucket Lifeboat can write to.',
      });
    }
  } catch (error) {
    if (error instanceof LifeboatError) throw error;
    throw new LifeboatError(
      'BACKEND_UNAVAILABLE',
      `Lifeboat could reach ${location} but could not write a test file there and read it back: ${(error as Error).message}`,
      {
        field: 'location',
        fix: 'Check the account or share lets this computer write and read there, and that the disk is not full or read-only.',
        cause: error,
      },
    );
  } finally {
    await backend.delete(key).catch(() => undefined);
  }
}

function folderRefused(root: string, error: unknown): LifeboatError {
  const code = ((error as { cause?: NodeJS.ErrnoException }).cause ?? (error as NodeJS.ErrnoException)).code;
  const fix =
    'Choose a folder on a local disk or a share (e.g. D:\\Lifeboat or \\\\nas\\backups\\lifeboat) that this computer can write to.';
  const message =
    code === 'ENOTDIR'
      ? `${root} cannot be a folder: part of that path is a file.`
      : code === 'ENOENT' || code === 'EPERM' || code === 'EROFS' || code === 'EACCES'
        ? `Lifeboat cannot create a folder at ${root}: ${code === 'ENOENT' || code === 'EPERM' ? 'nothing can be stored there (a system or virtual location, or a drive that is not there)' : 'it is read-only or access is denied'}.`
        : `Lifeboat cannot create the folder ${root}: ${(error as Error).message}`;
  return new LifeboatError('INVALID_INPUT', message, { field: 'location', fix, cause: error });
}

function unreachable(location: string, error: unknown, creating?: string): LifeboatError {
  if (error instanceof LifeboatError) return error;
  return new LifeboatError(
    'BACKEND_UNAVAILABLE',
    creating
      ? `Lifeboat cannot create the ${creating} for ${location}: ${(error as Error).message}`
      : `Lifeboat cannot reach ${location}: ${(error as Error).message}`,
    {
      fix: 'Check the account, container or bucket name, the credentials (they must allow writing), and the network.',
      cause: error,
    },
  );
}
