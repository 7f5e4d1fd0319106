/**
 * VMDK reader (VMware "Virtual Disk Format 5.0"): a descriptor (a text file, or text embedded in a sparse
 * extent) lists extents: SPARSE (hosted sparse, vmdk-sparse.ts), FLAT and VMFS (raw bytes in another file:
 * monolithicFlat, twoGbMaxExtentFlat, ESXi "-flat.vmdk") and ZERO. A snapshot (`-000001.vmdk`) names its
 * parent with parentFileNameHint and parentCID; grains it does not hold come from the parent, whose CID must
 * match. ESXi snapshots on VMFS5 ("vmfsSparse": a VMFSSPARSE "-delta.vmdk" in COWD format) read the same
 * way; SEsparse deltas (unpublished format) and raw device mappings are refused.
 */
import path from 'node:path';
import { readExact } from './bytes';
import { descend, rootContext, type ChainContext } from './chain';
import { invalidDisk, MAX_VIRTUAL_SIZE, unsupportedDisk } from './errors';
import { shiftExtents, unionExtents } from './extents';
import { MappedReader, type Piece } from './mapped-reader';
import { MeteredSource } from './metered-source';
import type { ByteSource, Extent, ReadStats, SourceResolver } from './types';
import { looksLikeDescriptor, MAX_DESCRIPTOR_BYTES, NO_PARENT_CID, parseDescriptor, type VmdkDescriptor } from './vmdk-descriptor';
import { looksLikeCowdExtent, looksLikeSparseExtent, SECTOR, SparseExtent } from './vmdk-sparse';

export function looksLikeVmdk(head: Buffer): boolean {
  return looksLikeSparseExtent(head) || (head.length >= 4 && head.toString('latin1', 0, 4) === 'COWD') || looksLikeDescriptor(head);
}

type Part =
  | { kind: 'sparse'; start: number; length: number; extent: SparseExtent }
  | { kind: 'flat'; start: number; length: number; source: ByteSource; offset: number }
  | { kind: 'zero'; start: number; length: number };

export class VmdkReader extends MappedReader {
  readonly format = 'vmdk' as const;

  private constructor(
    private readonly source: ByteSource,
    readonly descriptor: VmdkDescriptor | undefined,
    private readonly parts: Part[],
    readonly virtualSize: number,
    stats: ChainContext['stats'],
    parent: VmdkReader | undefined,
  ) {
    super(stats, parent);
  }

  get name(): string {
    return this.source.name;
  }

  /** The content ID a child's parentCID must match. */
  get cid(): number | undefined {
    return this.descriptor?.cid;
  }

  static async open(raw: ByteSource, resolver: SourceResolver, ctx: ChainContext = rootContext()): Promise<VmdkReader> {
    const source = new MeteredSource(raw, ctx.stats);
    const name = source.name;
    const parentCtx = descend(ctx, name, []);
    const opened: ByteSource[] = [];
    try {
      const size = await source.size();
      const head = await source.read(0, Math.min(size, SECTOR));
      let descriptor: VmdkDescriptor | undefined;
      let parts: Part[];
      if (looksLikeSparseExtent(head)) {
        // monolithicSparse / streamOptimized / a Workstation snapshot: the file is its own only extent, whatever
        // name its embedded descriptor gives it (files get renamed).
        const extent = await SparseExtent.open(source);
        descriptor = extent.descriptorText ? parseDescriptor(name, extent.descriptorText) : undefined;
        parts = [{ kind: 'sparse', start: 0, length: extent.capacityBytes, extent }];
      } else if (looksLikeCowdExtent(head)) {
        throw unsupportedDisk(
          name,
          'this is the data file of an ESXi snapshot ("-delta.vmdk"); it is read through its descriptor',
          `Open the snapshot's descriptor (the ".vmdk" without "-delta") instead.`,
        );
      } else {
        if (size > MAX_DESCRIPTOR_BYTES) throw invalidDisk(name, `the file is ${size} bytes, too large for a VMDK descriptor`);
        descriptor = parseDescriptor(name, (await readExact(source, 0, size, 'the descriptor')).toString('utf8'));
        parts = await openExtents(source, descriptor, resolver, opened, ctx.stats);
      }
      const virtualSize = parts.reduce((n, p) => n + p.length, 0);
      if (virtualSize > MAX_VIRTUAL_SIZE)
        throw invalidDisk(name, `the extents add up to ${virtualSize} bytes, an absurd size (over 64 TiB)`);
      const parent =
        descriptor && descriptor.parentCid !== NO_PARENT_CID ? await openParent(source, descriptor, resolver, parentCtx) : undefined;
      return new VmdkReader(source, descriptor, parts, virtualSize, ctx.stats, parent);
    } catch (error) {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      throw error;
    }
  }

  protected async ownExtents(): Promise<Extent[]> {
    let all: Extent[] = [];
    for (const part of this.parts) {
      if (part.kind === 'zero') continue;
      const own = part.kind === 'sparse' ? shiftExtents(part.extent.extents(), part.start) : [{ offset: part.start, length: part.length }];
      all = unionExtents(
        all,
        own.filter((e) => e.offset < part.start + part.length),
      );
    }
    return all;
  }

  protected async map(offset: number, length: number): Promise<Piece[]> {
    const pieces: Piece[] = [];
    const end = offset + length;
    for (const part of this.parts) {
      const from = Math.max(offset, part.start);
      const to = Math.min(end, part.start + part.length);
      if (from >= to) continue;
      if (part.kind === 'sparse')
        for (const piece of await part.extent.map(from - part.start, to - from, this.parent ? 'parent' : 'zero')) pieces.push(piece);
      else if (part.kind === 'flat')
        pieces.push({ kind: 'file', source: part.source, at: part.offset + from - part.start, length: to - from });
      else pieces.push({ kind: 'zero', length: to - from });
    }
    return pieces;
  }

  protected async closeOwn(): Promise<void> {
    const sources = new Set<ByteSource>([this.source]);
    for (const part of this.parts) {
      if (part.kind === 'sparse') sources.add(part.extent.source);
      if (part.kind === 'flat') sources.add(part.source);
    }
    await Promise.all([...sources].map((s) => s.close()));
  }
}

/** VMware writes names relative to the descriptor; Windows hosts may write backslashes or absolute paths. */
function candidates(name: string): string[] {
  const local = name.replace(/\\/g, '/');
  return [...new Set([local, path.win32.basename(name.replace(/\//g, '\\'))])];
}

async function openFile(
  resolver: SourceResolver,
  descriptor: ByteSource,
  name: string,
  what: string,
  stats: ReadStats,
): Promise<ByteSource> {
  for (const candidate of candidates(name)) {
    try {
      return new MeteredSource(await resolver.open(candidate, descriptor), stats);
    } catch {
      // Try the next spelling.
    }
  }
  throw invalidDisk(
    descriptor.name,
    `its ${what} "${name}" is missing`,
    `Copy "${name}" next to ${path.basename(descriptor.name)} (a VMDK descriptor and its extent files travel together), then retry.`,
  );
}

async function openExtents(
  descriptorSource: ByteSource,
  d: VmdkDescriptor,
  resolver: SourceResolver,
  opened: ByteSource[],
  stats: ReadStats,
): Promise<Part[]> {
  const name = descriptorSource.name;
  const parts: Part[] = [];
  let start = 0;
  for (const line of d.extents) {
    const length = line.sectors * SECTOR;
    if (start + length > MAX_VIRTUAL_SIZE) throw invalidDisk(name, `the extents add up to more than 64 TiB, an absurd size`);
    if (line.type === 'ZERO') {
      parts.push({ kind: 'zero', start, length });
    } else if (line.type === 'FLAT' || line.type === 'VMFS' || line.type === 'SPARSE' || line.type === 'VMFSSPARSE') {
      if (!line.file) throw invalidDisk(name, `a ${line.type} extent line names no file`);
      const source = await openFile(resolver, descriptorSource, line.file, 'extent', stats);
      opened.push(source);
      if (line.type === 'SPARSE' || line.type === 'VMFSSPARSE') {
        const extent = await SparseExtent.open(source);
        if (extent.capacityBytes < length)
          throw invalidDisk(
            source.name,
            `the sparse extent holds ${extent.capacityBytes} bytes but the descriptor ${name} gives it ${length}`,
          );
        parts.push({ kind: 'sparse', start, length, extent });
      } else {
        const offset = line.offset * SECTOR;
        const size = await source.size();
        if (offset + length > size) {
          throw invalidDisk(
            source.name,
            `the flat extent is ${size} bytes but the descriptor ${name} needs ${offset + length}: it is truncated`,
          );
        }
        parts.push({ kind: 'flat', start, length, source, offset });
      }
    } else if (line.type === 'SESPARSE') {
      throw unsupportedDisk(
        name,
        `its extent "${line.file}" is an ESXi SEsparse snapshot delta, whose format VMware does not publish`,
        "Delete or consolidate the VM's older snapshots in vSphere (Lifeboat takes its own snapshot for each backup), then retry.",
      );
    } else if (line.type === 'VMFSRDM' || line.type === 'VMFSRAW') {
      throw unsupportedDisk(
        name,
        `its extent "${line.file}" is a raw device mapping (${line.type})`,
        "A raw device mapping is a LUN on the storage array: protect it with the array's own replication.",
      );
    } else {
      throw unsupportedDisk(
        name,
        `its extent type ${line.type} is not supported`,
        'Convert the disk to monolithicSparse or an ESXi flat disk, then retry.',
      );
    }
    start += length;
  }
  return parts;
}

async function openParent(child: ByteSource, d: VmdkDescriptor, resolver: SourceResolver, ctx: ChainContext): Promise<VmdkReader> {
  const hint = d.parentFileNameHint;
  if (!hint)
    throw invalidDisk(child.name, `it is a snapshot (parentCID ${d.parentCid.toString(16)}) but names no parent (parentFileNameHint)`);
  let source: ByteSource | undefined;
  for (const candidate of candidates(hint)) {
    try {
      source = await resolver.open(candidate, child);
      break;
    } catch {
      // Try the next spelling.
    }
  }
  if (!source) {
    throw invalidDisk(
      child.name,
      `its parent disk "${hint}" is missing`,
      `Copy the parent disk (${path.win32.basename(hint)}) next to ${path.basename(child.name)}, or back up the whole snapshot chain together.`,
    );
  }
  const head = await source.read(0, 4096).catch(() => Buffer.alloc(0));
  if (!looksLikeVmdk(head)) {
    await source.close();
    throw invalidDisk(child.name, `its parent "${hint}" is not a VMDK file`);
  }
  const parent = await VmdkReader.open(source, resolver, ctx).catch(async (error: unknown) => {
    await source.close().catch(() => undefined);
    throw error;
  });
  if (parent.cid !== d.parentCid) {
    await parent.close();
    throw invalidDisk(
      child.name,
      `its parent ${parent.name} was modified after the snapshot was taken (parent CID ${parent.cid?.toString(16)}, expected ${d.parentCid.toString(16)})`,
      'The snapshot chain is broken: restore the chain from a copy taken together, or consolidate the snapshots and back up the result.',
    );
  }
  return parent;
}
