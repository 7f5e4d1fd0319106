/**
 * Block- and object-level cryptography and compression: the CPU-heavy work of the vault. Imported by the
 * worker threads (worker.ts) and by the main thread for small objects. See FORMAT.md for the byte layouts.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export const ID_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes a sealed payload adds: nonce in front, GCM tag behind. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export const CODEC_STORED = 0;
export const CODEC_ZSTD = 1;
export type Codec = typeof CODEC_STORED | typeof CODEC_ZSTD;

/** zstd level 2: on the benchmark disk 5% smaller than level 1 for 15% more CPU (FORMAT.md). */
export const ZSTD_LEVEL = 2;
/** Compression must save at least this fraction, or the block is stored as is (cheaper to restore). */
const MIN_SAVING = 1 / 32;

export interface BlockKeys {
  /** AES-256-GCM key for every sealed blob and object. */
  encKey: Buffer;
  /** HMAC-SHA256 key for block ids: ids reveal nothing about content to someone without the key. */
  idKey: Buffer;
}

export function blockId(idKey: Buffer, data: Uint8Array): Buffer {
  return crypto.createHmac('sha256', idKey).update(data).digest();
}

const ZEROS = Buffer.alloc(1 << 20);

export function isZero(data: Buffer): boolean {
  for (let offset = 0; offset < data.length; offset += ZEROS.length) {
    const end = Math.min(data.length, offset + ZEROS.length);
    if (!data.subarray(offset, end).equals(ZEROS.subarray(0, end - offset))) return false;
  }
  return true;
}

/** nonce ‖ AES-256-GCM(plaintext, aad) ‖ tag. Random nonces: a key seals far fewer than 2^32 payloads. */
export function seal(key: Buffer, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const out = Buffer.allocUnsafe(NONCE_BYTES + plaintext.length + TAG_BYTES);
  nonce.copy(out, 0);
  let written = NONCE_BYTES;
  written += cipher.update(plaintext).copy(out, written);
  written += cipher.final().copy(out, written);
  cipher.getAuthTag().copy(out, written);
  return out;
}

export class SealBroken extends Error {
  constructor(message = 'authentication failed') {
    super(message);
    this.name = 'SealBroken';
  }
}

export function unseal(key: Buffer, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (sealed.length < SEAL_OVERHEAD) throw new SealBroken('too short');
  const view = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, view.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(view.subarray(view.length - TAG_BYTES));
  try {
    const body = decipher.update(view.subarray(NONCE_BYTES, view.length - TAG_BYTES));
    const tail = decipher.final();
    return tail.length ? Buffer.concat([body, tail]) : body;
  } catch {
    throw new SealBroken();
  }
}

export function compress(data: Buffer): { payload: Buffer; codec: Codec } {
  // One output chunk: zlib's default 16 KiB chunks cost a concat and are measurably slower.
  const packed = zlib.zstdCompressSync(data, {
    chunkSize: data.length + 1024,
    params: {
      // A window that holds the whole block keeps zstd on its contiguous fast path (measured ~18% faster).
      [zlib.constants.ZSTD_c_windowLog]: Math.min(27, Math.max(20, Math.ceil(Math.log2(data.length || 1)))),
      [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
      [zlib.constants.ZSTD_c_checksumFlag]: 0,
    },
  });
  if (packed.length > data.length * (1 - MIN_SAVING)) return { payload: data, codec: CODEC_STORED };
  return { payload: packed, codec: CODEC_ZSTD };
}

export function decompress(payload: Buffer, codec: number, rawLength: number): Buffer {
  if (codec === CODEC_STORED) return payload;
  if (codec !== CODEC_ZSTD) throw new SealBroken(`unknown codec ${codec}`);
  // chunkSize = rawLength: one exact output buffer that a worker can hand over without a copy.
  const data = zlib.zstdDecompressSync(payload, { maxOutputLength: Math.max(rawLength, 1), chunkSize: Math.max(rawLength, 64) });
  if (data.length !== rawLength) throw new SealBroken(`decompressed to ${data.length} bytes, expected ${rawLength}`);
  return data;
}

/** Compress, then seal with the block id as associated data: a blob cannot be passed off as another block. */
export function sealBlock(keys: BlockKeys, id: Uint8Array, data: Buffer): { blob: Buffer; codec: Codec } {
  const { payload, codec } = compress(data);
  return { blob: seal(keys.encKey, payload, id), codec };
}

/** The inverse of sealBlock; with `checkId` also recomputes the keyed hash (verify --read-data). */
export function openBlock(keys: BlockKeys, id: Uint8Array, blob: Uint8Array, codec: number, rawLength: number, checkId = false): Buffer {
  const data = decompress(unseal(keys.encKey, blob, id), codec, rawLength);
  if (checkId && !blockId(keys.idKey, data).equals(id)) throw new SealBroken('content does not match its id');
  return data;
}

/** The id a zero block has in a block list: all zero bytes (nothing stored). */
export function isZeroId(id: Uint8Array): boolean {
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}
