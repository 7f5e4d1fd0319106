/**
 * Sizes and rates in words, one unit system for the console, the CLI, job logs and error messages alike:
 * decimal (1 GB = 1000³ bytes, as disk vendors and cloud bills count). Parsing still accepts binary units
 * (KiB, MiB, …) because people type them.
 */

const DISPLAY_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 4294967296 → "4.3 GB"; 999 → "999 B"; 1500000 → "1.5 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const exponent = Math.min(Math.floor(Math.log10(bytes) / 3), DISPLAY_UNITS.length - 1);
  const value = bytes / 1000 ** exponent;
  return `${value >= 100 || exponent === 0 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')} ${DISPLAY_UNITS[exponent]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

const PARSE_UNITS: Record<string, number> = {
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
  const unit = match ? PARSE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new RangeError(`"${text}" is not a size`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (!(bytes > 0)) throw new RangeError(`"${text}" is not a positive size`);
  return bytes;
}

/** "20MiB/s", "100 Mbit/s", "5MB" → bytes per second. */
export function parseRate(text: string): number {
  const bits = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)bit(?:\/s|ps)?\s*$/i.exec(text);
  if (bits) return Math.round((Number(bits[1]) * (PARSE_UNITS[bits[2]!.toLowerCase()] ?? 1)) / 8);
  return parseSize(text.replace(/\s*(?:\/s|ps)\s*$/i, ''));
}
