import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureContainer, openRawBackend } from '../../core/vault/backends/open';
import { BackendError, type Backend } from '../../core/vault/backends/types';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { startS3, type S3Server } from '../helpers/s3';
import { tempDirManual } from '../helpers/temp';

/**
 * The contract every storage backend keeps (core/vault/backends/types.ts), run against each real one:
 * a folder, Azurite, and s3rver.
 */
function backendSuite(name: string, open: () => Promise<Backend>): void {
  describe(`${name} backend`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await open();
    });
    afterAll(async () => {
      await backend?.close();
    });

    const kind = async (work: Promise<unknown>): Promise<string> => {
      try {
        await work;
        return 'ok';
      } catch (error) {
        return error instanceof BackendError ? error.kind : `unexpected ${String(error)}`;
      }
    };

    it('puts and gets whole objects and byte ranges, read after write', async () => {
      const data = randomBytes(300_000);
      await backend.put('packs/ab/abcdef', data);
      expect((await backend.get('packs/ab/abcdef')).equals(data)).toBe(true);
      expect((await backend.get('packs/ab/abcdef', { offset: 1000, length: 5000 })).equals(data.subarray(1000, 6000))).toBe(true);
      expect((await backend.get('packs/ab/abcdef', { offset: data.length - 8, length: 8 })).equals(data.subarray(-8))).toBe(true);
      expect(await backend.stat('packs/ab/abcdef')).toEqual({ key: 'packs/ab/abcdef', size: data.length });
    });

    it('replaces an object whole on a second put', async () => {
      await backend.put('config', Buffer.from('first version, longer'));
      await backend.put('config', Buffer.from('second'));
      expect((await backend.get('config')).toString()).toBe('second');
      expect((await backend.stat('config')).size).toBe(6);
    });

    it('stores empty objects', async () => {
      await backend.put('locks/empty', Buffer.alloc(0));
      expect((await backend.get('locks/empty')).length).toBe(0);
      expect((await backend.stat('locks/empty')).size).toBe(0);
    });

    it('fails missing objects with not-found, and out-of-range reads with invalid-range', async () => {
      expect(await kind(backend.get('points/nope'))).toBe('not-found');
      expect(await kind(backend.stat('points/nope'))).toBe('not-found');
      await backend.put('index/small', Buffer.from('0123456789'));
      expect(await kind(backend.get('index/small', { offset: 5, length: 10 }))).toBe('invalid-range');
    });

    it('deletes, and deleting a missing object succeeds', async () => {
      await backend.put('blocklists/x1', Buffer.from('x'));
      await backend.delete('blocklists/x1');
      expect(await kind(backend.get('blocklists/x1'))).toBe('not-found');
      await backend.delete('blocklists/x1');
    });

    it('lists by prefix with sizes, across nested keys, and only under the prefix', async () => {
      await backend.put('packs/01/0111', Buffer.alloc(11));
      await backend.put('packs/02/0222', Buffer.alloc(22));
      await backend.put('packsnot/x', Buffer.alloc(1));
      const packs = (await backend.list('packs/')).sort((a, b) => a.key.localeCompare(b.key));
      expect(packs.map((object) => object.key)).toEqual(['packs/01/0111', 'packs/02/0222', 'packs/ab/abcdef']);
      expect(packs[0]!.size).toBe(11);
      // Every listing carries the write time: prune's minimum age for unreferenced packs depends on it.
      for (const object of packs) expect(Math.abs(Date.now() - object.modified!)).toBeLessThan(10 * 60_000);
      expect(await backend.list('nothing-here/')).toEqual([]);
    });

    it('rejects keys that could escape the vault', async () => {
      expect(await kind(backend.put('../outside', Buffer.from('x')))).toBe('permanent');
      expect(await kind(backend.get('packs/../../etc'))).toBe('permanent');
    });
  });
}

const folder = tempDirManual('lifeboat-backend-');
afterAll(() => folder.remove());
backendSuite('folder', async () => {
  // Like a container or bucket, the vault folder is made by `vault init` (ensureContainer), never by a put.
  const backend = openRawBackend(`${folder.dir}/vault`);
  await ensureContainer(backend);
  return backend;
});

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite?.dispose());
backendSuite('Azure Blob (Azurite)', async () => {
  const backend = openRawBackend('azblob://lifeboat-test/some/prefix', { connectionString: azurite.connectionString });
  await ensureContainer(backend);
  return backend;
});

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => s3?.close());
backendSuite('S3 (s3rver)', async () => {
  const backend = openRawBackend('s3://lifeboat-test/vault', s3.credentials);
  await ensureContainer(backend);
  return backend;
});
