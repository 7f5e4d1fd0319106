/**
 * The VMDK descriptor (VMware "Virtual Disk Format 5.0", section "The Descriptor File"): a small text file,
 * or text embedded in a sparse extent, naming the extents, the content ID (CID) and the parent.
 */
import { invalidDisk, unsupportedDisk } from './errors';

export const NO_PARENT_CID = 0xffffffff;
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
/** A 2 GiB-split disk of 8 TiB has 4096 extents; more is a damaged or hostile descriptor. */
export const MAX_EXTENTS = 4096;

export interface VmdkExtentLine {
  access: string;
  sectors: number;
  type: string;
  file: string | undefined;
  /** In sectors, for FLAT extents. */
  offset: number;
}

export interface VmdkDescriptor {
  version: number;
  cid: number;
  parentCid: number;
  createType: string;
  parentFileNameHint: string | undefined;
  extents: VmdkExtentLine[];
  /** The disk database (ddb.*) and any other key we do not interpret. */
  values: Map<string, string>;
}

const EXTENT_LINE = /^(RW|RDONLY|NOACCESS|WRONLY)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/;
const KEY_VALUE = /^([A-Za-z0-9_.]+)\s*=\s*(.*?)\s*$/;

/** True when the first bytes of a file read as a VMDK descriptor (text, not a disk image that happens to contain one). */
export function looksLikeDescriptor(head: Buffer): boolean {
  const text = head.subarray(0, 4096).toString('latin1');
  if (/^\s*#\s*Disk\s+DescriptorFile/i.test(text)) return true;
  const firstNul = text.indexOf('\0');
  const prefix = firstNul === -1 ? text : text.slice(0, firstNul);
  const binary = [...prefix].some((c) => c.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(c));
  return prefix.length > 20 && !binary && /^\s*createType\s*=/m.test(prefix) && /^\s*(RW|RDONLY|NOACCESS)\s+\d+\s+[A-Za-z]+/m.test(prefix);
}

export function parseDescriptor(name: string, text: string): VmdkDescriptor {
  const values = new Map<string, string>();
  const extents: VmdkExtentLine[] = [];
  for (const rawLine of text.replace(/\0.*$/s, '').split('\n')) {
    const line = rawLine.replace(/\r$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      const sectors = Number(extent[2]);
      const offset = extent[5] === undefined ? 0 : Number(extent[5]);
      if (!Number.isSafeInteger(sectors) || !Number.isSafeInteger(offset))
        throw invalidDisk(name, `the descriptor's extent line "${line}" has absurd numbers`);
      if (extents.length >= MAX_EXTENTS)
        throw unsupportedDisk(
          name,
          `the descriptor lists more than ${MAX_EXTENTS} extents`,
          'Convert the disk to a single-file VMDK (vmware-vdiskmanager -r src.vmdk -t 0 dst.vmdk), then retry.',
        );
      extents.push({ access: extent[1]!, sectors, type: extent[3]!.toUpperCase(), file: extent[4], offset });
      continue;
    }
    const kv = KEY_VALUE.exec(line);
    if (kv) {
      values.set(kv[1]!, kv[2]!.replace(/^"(.*)"$/, '$1'));
      continue;
    }
    // A garbled extent line would silently shrink the disk: refuse it. Other noise (a damaged ddb comment)
    // says nothing about the data, so it is skipped.
    if (/^(RW|RDONLY|NOACCESS|WRONLY)\b/i.test(line))
      throw invalidDisk(name, `the descriptor has an extent line it cannot read: "${line.slice(0, 80)}"`);
  }
  const hex = (key: string, fallback: number) => {
    const value = values.get(key);
    if (value === undefined) return fallback;
    if (!/^[0-9a-fA-F]{1,8}$/.test(value)) throw invalidDisk(name, `the descriptor's ${key} "${value}" is not a 32-bit hexadecimal number`);
    return parseInt(value, 16);
  };
  const createType = values.get('createType');
  if (!createType) throw invalidDisk(name, 'the descriptor has no createType');
  if (extents.length === 0) throw invalidDisk(name, 'the descriptor lists no extents');
  return {
    version: Number(values.get('version') ?? 1),
    cid: hex('CID', 0),
    parentCid: hex('parentCID', NO_PARENT_CID),
    createType,
    parentFileNameHint: values.get('parentFileNameHint'),
    extents,
    values,
  };
}

/** Descriptor text; the extent file names are relative to the descriptor's folder. */
export function formatDescriptor(d: {
  cid: number;
  parentCid: number;
  createType: string;
  parentFileNameHint?: string;
  extents: readonly VmdkExtentLine[];
  ddb: readonly [string, string][];
}): string {
  const lines = [
    '# Disk DescriptorFile',
    'version=1',
    'encoding="UTF-8"',
    `CID=${d.cid.toString(16).padStart(8, '0')}`,
    `parentCID=${d.parentCid.toString(16).padStart(8, '0')}`,
    `createType="${d.createType}"`,
  ];
  if (d.parentFileNameHint) lines.push(`parentFileNameHint="${d.parentFileNameHint}"`);
  lines.push('', '# Extent description');
  for (const e of d.extents) {
    const file = e.file === undefined ? '' : ` "${e.file}"`;
    const offset = e.type === 'FLAT' ? ` ${e.offset}` : '';
    lines.push(`${e.access} ${e.sectors} ${e.type}${file}${offset}`);
  }
  lines.push('', '# The Disk Data Base', '#DDB', '');
  for (const [key, value] of d.ddb) lines.push(`${key} = "${value}"`);
  return `${lines.join('\n')}\n`;
}
