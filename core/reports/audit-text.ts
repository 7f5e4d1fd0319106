/**
 * An audit entry's details as a reader takes them in: one "Label: value" line per field, nested objects
 * flattened ("Summary, RPO compliance percent: 99.8"). The JSON stays beside it, because the JSON is what
 * the entry's hash covers; this text is only a reading aid and is never hashed.
 */

/** Enough lines to read the gist in a printed row; the JSON beside it has the rest. */
const MAX_LINES = 10;
const MAX_VALUE = 160;

export function auditDetailsText(details: string | null): string {
  if (details === null || details === '') return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return details;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return valueText(parsed);
  const lines: string[] = [];
  flatten(parsed as Record<string, unknown>, [], lines);
  if (lines.length === 0) return '(no details)';
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES), `… ${lines.length - MAX_LINES} more in the JSON`].join('\n')
    : lines.join('\n');
}

function flatten(object: Record<string, unknown>, path: string[], lines: string[]): void {
  for (const [key, value] of Object.entries(object)) {
    const here = [...path, words(key)];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Record<string, unknown>, here, lines);
    else lines.push(`${capitalise(here.join(', '))}: ${valueText(value)}`);
  }
}

function valueText(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '—';
  else if (typeof value === 'boolean') text = value ? 'yes' : 'no';
  else if (Array.isArray(value))
    text =
      value.length === 0 ? 'none' : value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : valueText(v))).join(', ');
  else text = String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** "rpoCompliancePercent" → "RPO compliance percent"; "vm_id" → "VM id". */
function words(key: string): string {
  return key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\b(rpo|rto|vm|vms|sha256|id|url|smtp|cbt)\b/g, (w) =>
      w === 'id' ? 'id' : w === 'vms' ? 'VMs' : w === 'sha256' ? 'SHA-256' : w.toUpperCase(),
    );
}

function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
