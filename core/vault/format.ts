/**
 * Byte layouts of the vault's objects (FORMAT.md is the prose version; keep them in step). Everything here
 * is pure: building and parsing, no I/O.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { ID_BYTES, SealBroken, seal, unseal } from './block-codec';

export const FORMAT_NAME = 'lifeboat-vault';
export const FORMAT_VERSION = 1;

export const keys = {
  config: 'config',
  pack: (id: string) => `packs/${id.slice(0, 2)}/${id}`,
  index: (id: string) => `index/${id}`,
  point: (id: string) => `points/${id}`,
  blockList: (id: string) => `blocklists/${id}`,
  lock: (id: string) => `locks/${id}`,
};

export const prefixes = { packs: 'packs/', index: 'index/', points: 'points/', blockLists: 'blocklists/', locks: 'locks/' };

/** The last segment of a key: the object's id. */
export function idOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export function randomId(bytes = 16): string {
  return crypto.randomBytes(bytes).toString('hex');
}

/** One blob inside a pack. */
export interface PackEntry {
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}

export const ENTRY_BYTES = ID_BYTES + 4 + 4 + 4 + 1;
const PACK_MAGIC = Buffer.from('LBP1');
export const PACK_TRAILER_BYTES = 8;
const PACK_HEADER_AAD = Buffer.from('lifeboat-pack-header-v1');

function writeEntries(entries: readonly PackEntry[], out: Buffer, at: number): number {
  for (const entry of entries) {
    entry.id.copy(out, at);
    out.writeUInt32LE(entry.offset, at + 32);
    out.writeUInt32LE(entry.length, at + 36);
    out.writeUInt32LE(entry.rawLength, at + 40);
    out.writeUInt8(entry.codec, at + 44);
    at += ENTRY_BYTES;
  }
  return at;
}

function readEntries(data: Buffer, at: number, count: number): PackEntry[] {
  if (at + count * ENTRY_BYTES > data.length) throw new SealBroken('entry table truncated');
  const entries: PackEntry[] = [];
  for (let i = 0; i < count; i++, at += ENTRY_BYTES) {
    entries.push({
      id: Buffer.from(data.subarray(at, at + 32)),
      offset: data.readUInt32LE(at + 32),
      length: data.readUInt32LE(at + 36),
      rawLength: data.readUInt32LE(at + 40),
      codec: data.readUInt8(at + 44),
    });
  }
  return entries;
}

/**
 * A pack: blobs back to back, then the sealed header (entry table), its length and a magic. The header
 * makes a pack self-describing: the index can be rebuilt from packs alone (crash recovery does).
 * The pack id is random; every blob and the header carry their own GCM tag, so damage is found blob by
 * blob (hashing whole packs as well cost 6% of a backup's CPU and found nothing the tags do not).
 * Returned as parts, written back to back, so a pack is never copied into one buffer.
 */
export function buildPack(
  blobs: readonly Buffer[],
  entries: readonly PackEntry[],
  encKey: Buffer,
): { id: string; parts: Buffer[]; size: number } {
  const table = Buffer.allocUnsafe(4 + entries.length * ENTRY_BYTES);
  table.writeUInt32LE(entries.length, 0);
  writeEntries(entries, table, 4);
  const header = seal(encKey, table, PACK_HEADER_AAD);
  const trailer = Buffer.allocUnsafe(PACK_TRAILER_BYTES);
  trailer.writeUInt32LE(header.length, 0);
  PACK_MAGIC.copy(trailer, 4);
  const parts = [...blobs, header, trailer];
  return { id: randomId(32), parts, size: parts.reduce((sum, part) => sum + part.length, 0) };
}

/** Length of the sealed header from a pack's last 8 bytes. */
export function parsePackTrailer(trailer: Buffer): number {
  if (trailer.length !== PACK_TRAILER_BYTES || !trailer.subarray(4).equals(PACK_MAGIC)) throw new SealBroken('not a pack');
  return trailer.readUInt32LE(0);
}

export function parsePackHeader(sealedHeader: Buffer, encKey: Buffer): PackEntry[] {
  const table = unseal(encKey, sealedHeader, PACK_HEADER_AAD);
  return readEntries(table, 4, table.readUInt32LE(0));
}

/** Entries of a complete pack held in memory (verify --read-data). */
export function parsePack(data: Buffer, encKey: Buffer): PackEntry[] {
  const headerLength = parsePackTrailer(data.subarray(data.length - PACK_TRAILER_BYTES));
  const headerStart = data.length - PACK_TRAILER_BYTES - headerLength;
  if (headerStart < 0) throw new SealBroken('header longer than pack');
  return parsePackHeader(data.subarray(headerStart, data.length - PACK_TRAILER_BYTES), encKey);
}

/** An index object: which blocks each pack holds, so a run need not read pack headers. */
export interface IndexedPack {
  packId: string;
  size: number;
  entries: PackEntry[];
}

const INDEX_MAGIC = Buffer.from('LBI1');
const INDEX_AAD = Buffer.from('lifeboat-index-v1');

export function sealIndex(packs: readonly IndexedPack[], encKey: Buffer): Buffer {
  const total = packs.reduce((sum, pack) => sum + 32 + 8 + pack.entries.length * ENTRY_BYTES, 8);
  const out = Buffer.allocUnsafe(total);
  INDEX_MAGIC.copy(out, 0);
  out.writeUInt32LE(packs.length, 4);
  let at = 8;
  for (const pack of packs) {
    Buffer.from(pack.packId, 'hex').copy(out, at);
    out.writeUInt32LE(pack.size, at + 32);
    out.writeUInt32LE(pack.entries.length, at + 36);
    at = writeEntries(pack.entries, out, at + 40);
  }
  return seal(encKey, out, INDEX_AAD);
}

export function openIndex(sealed: Buffer, encKey: Buffer): IndexedPack[] {
  const data = unseal(encKey, sealed, INDEX_AAD);
  if (!data.subarray(0, 4).equals(INDEX_MAGIC)) throw new SealBroken('not an index');
  const count = data.readUInt32LE(4);
  const packs: IndexedPack[] = [];
  let at = 8;
  for (let i = 0; i < count; i++) {
    if (at + 40 > data.length) throw new SealBroken('index truncated');
    const packId = data.subarray(at, at + 32).toString('hex');
    const size = data.readUInt32LE(at + 32);
    const entryCount = data.readUInt32LE(at + 36);
    packs.push({ packId, size, entries: readEntries(data, at + 40, entryCount) });
    at += 40 + entryCount * ENTRY_BYTES;
  }
  return packs;
}

/**
 * A disk's block list: one 32-byte id per block slot, all zeros for an all-zero block. Compressed (runs of
 * zero ids shrink to nothing) and sealed. Content-addressed by the keyed hash of its plaintext, so an
 * unchanged disk's list is not stored twice.
 */
export function blockListId(idKey: Buffer, ids: Uint8Array): string {
  return crypto.createHmac('sha256', idKey).update('lifeboat-blocklist-v1').update(ids).digest('hex');
}

export function sealBlockList(ids: Uint8Array, id: string, encKey: Buffer): Buffer {
  return seal(encKey, zlib.zstdCompressSync(ids), Buffer.from(`lifeboat-blocklist-v1:${id}`));
}

export function openBlockList(sealed: Buffer, id: string, encKey: Buffer, slots: number): Uint8Array {
  const ids = zlib.zstdDecompressSync(unseal(encKey, sealed, Buffer.from(`lifeboat-blocklist-v1:${id}`)), {
    maxOutputLength: Math.max(1, slots * ID_BYTES),
  });
  if (ids.length !== slots * ID_BYTES) throw new SealBroken(`block list has ${ids.length / ID_BYTES} slots, expected ${slots}`);
  return ids;
}

/** A recovery point's manifest: sealed JSON, the commit point of a backup. */
export interface Manifest {
  version: 1;
  id: string;
  vm: string;
  time: string;
  metadata: Record<string, unknown>;
  disks: ManifestDisk[];
}

export interface ManifestDisk {
  name: string;
  size: number;
  blockSize: number;
  /** Id of the blocklists/ object. */
  blockList: string;
  /** Point this disk's block list was derived from, if any. */
  parent?: string;
  /** Non-zero blocks. */
  dataBlocks: number;
  /** Encrypted bytes this backup added to the vault for this disk (what it cost). */
  storedBytes: number;
  /** Encrypted bytes of every distinct block this disk references (what it holds on to). */
  referencedBytes: number;
}

export function sealManifest(manifest: Manifest, encKey: Buffer): Buffer {
  return seal(encKey, Buffer.from(JSON.stringify(manifest)), Buffer.from(`lifeboat-point-v1:${manifest.id}`));
}

export function openManifest(sealed: Buffer, id: string, encKey: Buffer): Manifest {
  const manifest = JSON.parse(unseal(encKey, sealed, Buffer.from(`lifeboat-point-v1:${id}`)).toString('utf8')) as Manifest;
  if (manifest.version !== 1 || manifest.id !== id) throw new SealBroken('manifest id or version mismatch');
  return manifest;
}

/** The vault's one plaintext object: what is needed to derive keys, and the parameters every run must share. */
export interface VaultConfig {
  format: typeof FORMAT_NAME;
  version: number;
  id: string;
  created: string;
  blockSize: number;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  /** First 16 bytes (hex) of HMAC-SHA256(masterKey, "lifeboat-key-check-v1"): checks a recovery key. */
  keyCheck: string;
  /** base64 of seal(scrypt(passphrase), masterKey, aad = masterKeyAad(config)). */
  masterKey: string;
}

/** Binds the wrapped key to the config's immutable fields: changing the block size breaks the unwrap. */
export function masterKeyAad(config: Pick<VaultConfig, 'id' | 'version' | 'blockSize'>): string {
  return `lifeboat-vault-v${config.version}:${config.id}:${config.blockSize}`;
}
