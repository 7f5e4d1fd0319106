const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** "32MiB", "1.5 GB", "4096" → bytes. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new RangeError(`"${text}" is not a size`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (!(bytes > 0)) throw new RangeError(`"${text}" is not a positive size`);
  return bytes;
}

/** "20MiB/s", "100 Mbit/s", "5MB" → bytes per second. */
export function parseRate(text: string): number {
  const bits = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)bit(?:\/s|ps)?\s*$/i.exec(text);
  if (bits) return Math.round((Number(bits[1]) * (UNITS[bits[2]!.toLowerCase()] ?? 1)) / 8);
  return parseSize(text.replace(/\s*(?:\/s|ps)\s*$/i, ''));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
