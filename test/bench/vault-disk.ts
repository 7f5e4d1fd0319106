/**
 * A deterministic test disk for the vault benchmark: a sparse raw image, about 60% allocated, of random
 * (incompressible) data, text-like data, written zeros, and regions duplicated from earlier ones — half
 * copied at 1 MiB alignment (cloned images, partitions) and half at 4 KiB alignment (file copies inside a
 * filesystem, which fixed-size blocks cannot dedup but content-defined chunking can).
 * Same seed, same bytes: every tool in a run, and every run, sees the same disk.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

const MiB = 1 << 20;
const KiB = 1 << 10;

/** xorshift-style PRNG with a 32-bit state: deterministic layout decisions. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x / 2 ** 32;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** Pseudo-random bytes from AES-CTR keyed by (seed, stream): fast and reproducible. */
export function randomBytes(seed: number, stream: number, length: number): Buffer {
  const key = crypto.createHash('sha256').update(`lifeboat-bench-${seed}`).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(stream, 0);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, iv);
  return cipher.update(Buffer.alloc(length));
}

let vocabulary: Buffer[] | null = null;

function words(): Buffer[] {
  if (vocabulary) return vocabulary;
  const prng = new Prng(42);
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  vocabulary = [];
  for (let i = 0; i < 4096; i++) {
    const length = prng.int(2, 10);
    let word = '';
    for (let j = 0; j < length; j++) word += letters[Math.floor(prng.next() ** 1.6 * letters.length)];
    vocabulary.push(Buffer.from(word));
  }
  return vocabulary;
}

/** Text-like bytes: words from a 4096-word vocabulary, numbers, punctuation and line breaks (zstd: ~0.35). */
export function textBytes(seed: number, stream: number, length: number): Buffer {
  const vocab = words();
  const picks = randomBytes(seed, stream, Math.ceil(length / 2) + 16);
  const out = Buffer.allocUnsafe(length + 32);
  let at = 0;
  let p = 0;
  while (at < length) {
    const r = picks.readUInt16LE(p);
    p = (p + 2) % (picks.length - 2);
    at += vocab[r & 4095]!.copy(out, at);
    const tail = r >>> 12;
    if (tail === 0) at += out.write(String(r % 9973), at);
    out[at++] = tail === 1 ? 0x0a : tail === 2 ? 0x2c : 0x20;
  }
  return out.subarray(0, length);
}

export interface DiskLayout {
  size: number;
  regions: { offset: number; length: number; kind: 'random' | 'text' | 'zeros' | 'dup-aligned' | 'dup-shifted'; from?: number }[];
}

/** Decides regions: holes ~40% of the disk; allocated split random 35%, text 35%, zeros 10%, duplicates 20%. */
export function layout(size: number, seed: number): DiskLayout {
  const prng = new Prng(seed);
  const regions: DiskLayout['regions'] = [];
  let offset = 0;
  while (offset < size) {
    const length = Math.min(size - offset, prng.int(1, 48) * MiB);
    const roll = prng.next();
    if (roll < 0.3) {
      offset += length; // hole
      continue;
    }
    const allocated = regions.filter((region) => region.kind === 'random' || region.kind === 'text');
    const kindRoll = prng.next();
    if (kindRoll < 0.2 && allocated.length > 0) {
      const source = allocated[prng.int(0, allocated.length - 1)]!;
      const aligned = prng.next() < 0.5;
      const dupLength = Math.min(length, source.length);
      if (aligned) {
        regions.push({ offset, length: dupLength, kind: 'dup-aligned', from: source.offset });
      } else {
        const shift = prng.int(1, 255) * 4 * KiB;
        regions.push({
          offset: offset + shift,
          length: Math.min(dupLength, size - offset - shift),
          kind: 'dup-shifted',
          from: source.offset,
        });
      }
    } else if (kindRoll < 0.55) {
      regions.push({ offset, length, kind: 'random' });
    } else if (kindRoll < 0.9) {
      regions.push({ offset, length, kind: 'text' });
    } else {
      regions.push({ offset, length, kind: 'zeros' });
    }
    offset += length;
  }
  return { size, regions: regions.filter((region) => region.length > 0) };
}

/** Writes the disk (sparse: holes are never written). Returns the layout. */
export function writeDisk(file: string, size: number, seed = 1): DiskLayout {
  const plan = layout(size, seed);
  const fd = fs.openSync(file, 'w+');
  try {
    fs.ftruncateSync(fd, size);
    for (const [i, region] of plan.regions.entries()) {
      for (let done = 0; done < region.length; done += 16 * MiB) {
        const length = Math.min(16 * MiB, region.length - done);
        let data: Buffer;
        if (region.kind === 'random') data = randomBytes(seed, i * 4096 + done / MiB, length);
        else if (region.kind === 'text') data = textBytes(seed, i * 4096 + done / MiB, length);
        else if (region.kind === 'zeros') data = Buffer.alloc(length);
        else {
          data = Buffer.alloc(length);
          fs.readSync(fd, data, 0, length, region.from! + done);
        }
        fs.writeSync(fd, data, 0, length, region.offset + done);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return plan;
}

/**
 * Changes about `fraction` of the disk in clustered writes: runs of 4 KiB–1 MiB, grouped in clusters
 * (as a guest's writes are), each new random or text data. Deterministic for a seed.
 */
export function changeDisk(file: string, size: number, fraction: number, seed = 2): number {
  const prng = new Prng(seed);
  const fd = fs.openSync(file, 'r+');
  let changed = 0;
  let stream = 1_000_000;
  try {
    while (changed < size * fraction) {
      let at = Math.floor((prng.next() * (size - 64 * MiB)) / (4 * KiB)) * 4 * KiB;
      const runs = prng.int(1, 16);
      for (let r = 0; r < runs && changed < size * fraction; r++) {
        const length = prng.int(1, 256) * 4 * KiB;
        const data = prng.next() < 0.5 ? randomBytes(seed, stream++, length) : textBytes(seed, stream++, length);
        fs.writeSync(fd, data, 0, length, at);
        changed += length;
        at += length + prng.int(0, 64) * 4 * KiB;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return changed;
}
