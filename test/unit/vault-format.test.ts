import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { parseLocation } from '../../core/vault/backends/open';
import { blockId, CODEC_STORED, CODEC_ZSTD, isZero, openBlock, SealBroken, sealBlock } from '../../core/vault/block-codec';
import { BlockIndex } from '../../core/vault/block-index';
import { runsOf } from '../../core/vault/backup';
import {
  blockListId,
  buildPack,
  openBlockList,
  openIndex,
  openManifest,
  parsePack,
  sealBlockList,
  sealIndex,
  sealManifest,
  type Manifest,
  type PackEntry,
} from '../../core/vault/format';
import {
  formatRecoveryKey,
  newKdf,
  newMasterKey,
  parseRecoveryKey,
  splitMasterKey,
  unwrapMasterKey,
  wrapMasterKey,
} from '../../core/vault/keys';
import { formatBytes, parseRate, parseSize } from '../../core/contract/units';

const keys = splitMasterKey(newMasterKey());

describe('vault blocks', () => {
  it('compresses what compresses, stores what does not, and binds each blob to its id', () => {
    const text = Buffer.from('lifeboat '.repeat(100_000));
    const random = crypto.randomBytes(100_000);
    for (const [data, codec] of [
      [text, CODEC_ZSTD],
      [random, CODEC_STORED],
    ] as const) {
      const id = blockId(keys.idKey, data);
      const sealed = sealBlock(keys, id, data);
      expect(sealed.codec).toBe(codec);
      expect(openBlock(keys, id, sealed.blob, sealed.codec, data.length, true).equals(data)).toBe(true);
      const otherId = blockId(keys.idKey, Buffer.from('other'));
      expect(() => openBlock(keys, otherId, sealed.blob, sealed.codec, data.length)).toThrow(SealBroken);
      const flipped = Buffer.from(sealed.blob);
      flipped[20]! ^= 1;
      expect(() => openBlock(keys, id, flipped, sealed.codec, data.length)).toThrow(SealBroken);
    }
    expect(sealBlock(keys, blockId(keys.idKey, text), text).blob.length).toBeLessThan(text.length / 10);
  });

  it('keys block ids: the same content has another id under another vault key', () => {
    const data = Buffer.from('same content');
    expect(blockId(keys.idKey, data).equals(blockId(splitMasterKey(newMasterKey()).idKey, data))).toBe(false);
    expect(blockId(keys.idKey, data).equals(blockId(keys.idKey, Buffer.from('same content')))).toBe(true);
  });

  it('detects zero blocks of any length', () => {
    expect(isZero(Buffer.alloc(3 * 1024 * 1024 + 5))).toBe(true);
    const almost = Buffer.alloc(2 * 1024 * 1024);
    almost[almost.length - 1] = 1;
    expect(isZero(almost)).toBe(false);
  });
});

describe('vault objects', () => {
  const entriesFor = (blobs: Buffer[]): PackEntry[] => {
    let offset = 0;
    return blobs.map((blob, i) => {
      const entry = { id: crypto.randomBytes(32), offset, length: blob.length, rawLength: 1000 + i, codec: i % 2 };
      offset += blob.length;
      return entry;
    });
  };

  it('builds packs that describe themselves', () => {
    const blobs = [crypto.randomBytes(100), crypto.randomBytes(5000), crypto.randomBytes(1)];
    const entries = entriesFor(blobs);
    const pack = buildPack(blobs, entries, keys.encKey);
    const data = Buffer.concat(pack.parts);
    expect(pack.size).toBe(data.length);
    expect(pack.id).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePack(data, keys.encKey)).toEqual(entries);
    const damaged = Buffer.from(data);
    damaged[damaged.length - 20]! ^= 1;
    expect(() => parsePack(damaged, keys.encKey)).toThrow(SealBroken);
  });

  it('round-trips index objects and block lists', () => {
    const packs = [
      { packId: 'ab'.repeat(32), size: 123, entries: entriesFor([Buffer.alloc(10), Buffer.alloc(20)]) },
      { packId: 'cd'.repeat(32), size: 0, entries: [] },
    ];
    expect(openIndex(sealIndex(packs, keys.encKey), keys.encKey)).toEqual(packs);
    const ids = new Uint8Array(32 * 100);
    ids.set(crypto.randomBytes(32), 32 * 7);
    const id = blockListId(keys.idKey, ids);
    const sealed = sealBlockList(ids, id, keys.encKey);
    expect(sealed.length).toBeLessThan(200);
    expect(Buffer.from(openBlockList(sealed, id, keys.encKey, 100)).equals(Buffer.from(ids))).toBe(true);
    expect(() => openBlockList(sealed, 'f'.repeat(64), keys.encKey, 100)).toThrow(SealBroken);
  });

  it('binds a manifest to its id: a point cannot be passed off as another', () => {
    const manifest: Manifest = { version: 1, id: 'aaaa000011112222', vm: 'web', time: new Date().toISOString(), metadata: {}, disks: [] };
    const sealed = sealManifest(manifest, keys.encKey);
    expect(openManifest(sealed, manifest.id, keys.encKey)).toEqual(manifest);
    expect(() => openManifest(sealed, 'bbbb000011112222', keys.encKey)).toThrow(SealBroken);
  });

  it('indexes blocks compactly and keeps the first location of a duplicate', () => {
    const index = new BlockIndex();
    const shared = crypto.randomBytes(32);
    const entries = Array.from({ length: 3000 }, (_, i) => ({
      id: i === 5 ? shared : crypto.randomBytes(32),
      offset: i * 10,
      length: 10,
      rawLength: 20,
      codec: 1,
    }));
    index.addPack({ packId: 'p1', size: 30_000, entries });
    index.addPack({ packId: 'p2', size: 10, entries: [{ id: shared, offset: 0, length: 10, rawLength: 20, codec: 0 }] });
    expect(index.blockCount).toBe(3000);
    expect(index.get(shared)).toEqual({ packId: 'p1', offset: 50, length: 10, rawLength: 20, codec: 1 });
    expect(index.packs().find((pack) => pack.packId === 'p2')!.entries).toEqual([]);
    expect(index.has(crypto.randomBytes(32))).toBe(false);
  });
});

describe('vault keys', () => {
  it('wraps the master key under the passphrase; a wrong one is WRONG_PASSPHRASE', () => {
    const master = newMasterKey();
    const kdf = newKdf();
    const wrapped = wrapMasterKey(master, 'correct horse battery staple', kdf, 'aad');
    expect(unwrapMasterKey(wrapped, 'correct horse battery staple', kdf, 'aad').equals(master)).toBe(true);
    const wrong = (() => {
      try {
        unwrapMasterKey(wrapped, 'Correct horse battery staple', kdf, 'aad');
      } catch (error) {
        return error;
      }
    })();
    expect(wrong).toBeInstanceOf(LifeboatError);
    expect((wrong as LifeboatError).code).toBe('WRONG_PASSPHRASE');
    expect(() => unwrapMasterKey(wrapped, 'correct horse battery staple', kdf, 'other aad')).toThrow(/Wrong passphrase/);
  });

  it('prints recovery keys with a checksum that catches a typo', () => {
    const master = newMasterKey();
    const key = formatRecoveryKey(master);
    expect(key).toMatch(/^([0-9A-F]{8}-){16}[0-9A-F]{4}$/);
    expect(parseRecoveryKey(key.toLowerCase().replaceAll('-', ' ')).equals(master)).toBe(true);
    const typo = key.slice(0, 10) + (key[10] === 'A' ? 'B' : 'A') + key.slice(11);
    expect(() => parseRecoveryKey(typo)).toThrow(/not a valid recovery key/);
  });
});

describe('vault inputs', () => {
  it('parses locations', () => {
    expect(parseLocation('/srv/vault')).toEqual({ kind: 'folder', path: '/srv/vault' });
    expect(parseLocation('azblob://lifeboat')).toEqual({ kind: 'azblob', container: 'lifeboat', prefix: '' });
    expect(parseLocation('azblob://lifeboat/site-a/vms/')).toEqual({ kind: 'azblob', container: 'lifeboat', prefix: 'site-a/vms' });
    expect(parseLocation('s3://my.bucket/x')).toEqual({ kind: 's3', bucket: 'my.bucket', prefix: 'x' });
    for (const bad of ['azblob://Upper', 's3://ab', 'gs://bucket', 's3://bucket/../x', '']) {
      expect(() => parseLocation(bad), bad).toThrow(LifeboatError);
    }
  });

  it('parses sizes and rates', () => {
    expect(parseSize('32MiB')).toBe(32 * 1024 * 1024);
    expect(parseSize('1.5 GB')).toBe(1.5e9);
    expect(parseRate('20MiB/s')).toBe(20 * 1024 * 1024);
    expect(parseRate('100 Mbit/s')).toBe(12_500_000);
    expect(() => parseSize('lots')).toThrow();
    expect(() => parseSize('0')).toThrow();
    expect(formatBytes(1536)).toBe('1.5 KB'); // one unit system with the console: decimal
  });

  it('turns extents into the block slots they touch', () => {
    const MiB = 1024 * 1024;
    expect(runsOf([{ offset: 0, length: 1 }], MiB, 10)).toEqual([[0, 1]]);
    expect(
      runsOf(
        [
          { offset: 5 * MiB - 1, length: 2 },
          { offset: MiB, length: MiB },
          { offset: 2 * MiB, length: 10 },
        ],
        MiB,
        10,
      ),
    ).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(runsOf([{ offset: 9 * MiB, length: 5 * MiB }], MiB, 10)).toEqual([[9, 10]]);
    expect(runsOf([{ offset: 3, length: 0 }], MiB, 10)).toEqual([]);
  });
});
