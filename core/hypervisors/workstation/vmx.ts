/**
 * VMware's .vmx / .vmls format: one `key = "value"` per line, `#` comments, keys case-insensitive. Inside a
 * value, VMware escapes special characters as `|XX` (hex), e.g. `|22` for a double quote and `|7C` for `|`.
 */

export type VmxEntries = Map<string, string>;

export function parseVmx(text: string): VmxEntries {
  const entries: VmxEntries = new Map();
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1]!.toLowerCase();
    let value = match[2]!.trim();
    if (value.startsWith('"')) {
      const end = value.indexOf('"', 1);
      value = end > 0 ? value.slice(1, end) : value.slice(1);
    }
    entries.set(key, unescapeValue(value));
  }
  return entries;
}

function unescapeValue(value: string): string {
  return value.replace(/\|([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Escapes what would end the quoted value or break the line; everything else is written as is. */
function escapeValue(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would break the line
  return value.replace(/[|"#\x00-\x1f\x7f]/g, (ch) => `|${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function serializeVmx(entries: readonly (readonly [string, string])[]): string {
  const lines = ['.encoding = "UTF-8"'];
  for (const [key, value] of entries) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(key)) throw new RangeError(`Not a valid vmx key: ${key}`);
    lines.push(`${key} = "${escapeValue(value)}"`);
  }
  return lines.join('\n') + '\n';
}

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|1)$/i.test(value);
}
