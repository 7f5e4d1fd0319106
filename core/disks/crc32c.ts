/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of VHDX headers, region tables and log
 * entries (MS-VHDX 2.2.2). Node's zlib only has the IEEE polynomial. Table-driven, eight bytes per step
 * ("slicing-by-8"), because the log replay checksums whole entries.
 */
const TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    first[i] = c >>> 0;
  }
  for (let t = 1; t < 8; t++) {
    const previous = tables[t - 1]!;
    const table = tables[t]!;
    for (let i = 0; i < 256; i++) table[i] = (previous[i]! >>> 8) ^ first[previous[i]! & 0xff]!;
  }
  return tables;
})();

/** The CRC-32C of `data`; pass the CRC of preceding bytes as `previous` to continue a running checksum. */
export function crc32c(data: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = (previous ^ 0xffffffff) >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The CRC-32C of a structure whose 4-byte checksum field at `checksumAt` counts as zero (VHDX convention). */
export function crc32cWithZeroedField(data: Uint8Array, checksumAt: number): number {
  let c = crc32c(data.subarray(0, checksumAt));
  c = crc32c(new Uint8Array(4), c);
  return crc32c(data.subarray(checksumAt + 4), c);
}
