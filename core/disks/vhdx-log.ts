/**
 * VHDX metadata log (MS-VHDX 2.3): finding the active sequence and replaying it, in memory.
 *
 * A VHDX whose header carries a non-zero LogGuid was not closed cleanly: its BAT or metadata may only be
 * right once the log is replayed. Lifeboat reads frozen checkpoints and remote datastore files, which it must
 * never modify, so replay happens in memory: the log's writes become an overlay on the file's bytes
 * (LogOverlaySource) and every structure is parsed through it. The file itself is left untouched.
 */
import { readExact, readGuid } from './bytes';
import { crc32cWithZeroedField } from './crc32c';
import { invalidDisk, MiB, unsupportedDisk } from './errors';
import type { VhdxHeader } from './vhdx-format';
import type { ByteSource } from './types';

const SECTOR = 4096;
const ENTRY_HEADER_SIZE = 64;
const DESCRIPTOR_SIZE = 32;
/** Logs are 1 MiB in practice (Hyper-V and qemu); a dirty log beyond this is not replayed in memory. */
const MAX_REPLAY_LOG = 64 * MiB;

export type LogOp =
  { kind: 'zero'; fileOffset: number; length: number } | { kind: 'data'; fileOffset: number; length: number; data: Buffer };

export interface ActiveLog {
  ops: LogOp[];
  /** Entries replayed (for diagnostics and tests). */
  entries: number;
  /** The file must be treated as at least this long after replay (new blocks the log allocated). */
  lastFileOffset: number;
}

interface LogEntry {
  position: number;
  length: number;
  tail: number;
  sequence: bigint;
  flushedFileOffset: number;
  lastFileOffset: number;
  ops: LogOp[];
}

/** Reads the log of a file whose current header has a non-zero LogGuid; null if no valid sequence exists. */
export async function readActiveLog(source: ByteSource, header: VhdxHeader, fileSize: number): Promise<ActiveLog | null> {
  const { logOffset, logLength } = header;
  if (logLength === 0) return null;
  if (logLength > MAX_REPLAY_LOG) {
    throw unsupportedDisk(
      source.name,
      `the file was not closed cleanly and its ${logLength / MiB} MiB log is too large to replay in memory`,
      'Attach the disk to Hyper-V once (or mount it in Windows) so the log is replayed, then retry.',
    );
  }
  // Sector by sector: only entries that look valid are read whole, so memory follows the entries, not the log.
  const entries = new Map<number, LogEntry>();
  const readLog = async (position: number, length: number): Promise<Buffer> => {
    const first = Math.min(length, logLength - position);
    const head = await readExact(source, logOffset + position, first, 'the log');
    return first === length ? head : Buffer.concat([head, await readExact(source, logOffset, length - first, 'the log')]);
  };
  for (let position = 0; position < logLength; position += SECTOR) {
    const entry = await parseEntry(readLog, logLength, position, header.logGuid);
    if (entry) entries.set(position, entry);
  }
  // The active sequence ends at the valid entry with the highest sequence number whose tail (the oldest entry
  // still needed) leads to it through entries with consecutive sequence numbers (MS-VHDX 2.3.3).
  let best: LogEntry[] | null = null;
  for (const head of entries.values()) {
    if (best && head.sequence <= best.at(-1)!.sequence) continue;
    const sequence = walk(entries, head, logLength);
    if (sequence) best = sequence;
  }
  if (!best) return null;
  const head = best.at(-1)!;
  if (head.flushedFileOffset > fileSize) {
    throw invalidDisk(
      source.name,
      `the log says the file was at least ${head.flushedFileOffset} bytes long when it was last flushed, but it is ${fileSize} bytes: the file was truncated`,
    );
  }
  return {
    ops: best.flatMap((entry) => entry.ops),
    entries: best.length,
    lastFileOffset: best.reduce((n, entry) => Math.max(n, entry.lastFileOffset), 0),
  };
}

function walk(entries: Map<number, LogEntry>, head: LogEntry, logLength: number): LogEntry[] | null {
  const sequence: LogEntry[] = [];
  let position = head.tail;
  for (let steps = 0; steps <= logLength / SECTOR; steps++) {
    const entry = entries.get(position);
    if (!entry) return null;
    const previous = sequence.at(-1);
    if (previous && entry.sequence !== previous.sequence + 1n) return null;
    sequence.push(entry);
    if (entry === head) return sequence;
    position = (position + entry.length) % logLength;
  }
  return null;
}

/** Reads `length` bytes of the circular log from `position`, wrapping at its end. */
type LogReader = (position: number, length: number) => Promise<Buffer>;

async function parseEntry(readLog: LogReader, logLength: number, position: number, logGuid: string): Promise<LogEntry | null> {
  const head = await readLog(position, SECTOR);
  if (head.toString('latin1', 0, 4) !== 'loge') return null;
  const length = head.readUInt32LE(8);
  const tail = head.readUInt32LE(12);
  const sequenceNumber = head.readBigUInt64LE(16);
  const descriptorCount = head.readUInt32LE(24);
  if (length === 0 || length % SECTOR || length > logLength || tail % SECTOR || tail >= logLength || sequenceNumber === 0n) return null;
  if (readGuid(head, 32) !== logGuid) return null;
  const descriptorSectors = Math.ceil((ENTRY_HEADER_SIZE + descriptorCount * DESCRIPTOR_SIZE) / SECTOR);
  if (descriptorSectors * SECTOR > length) return null;
  const entry = await readLog(position, length);
  if (entry.readUInt32LE(4) !== crc32cWithZeroedField(entry, 4)) return null;
  const ops: LogOp[] = [];
  let dataSector = descriptorSectors;
  for (let i = 0; i < descriptorCount; i++) {
    const d = ENTRY_HEADER_SIZE + i * DESCRIPTOR_SIZE;
    const signature = entry.toString('latin1', d, d + 4);
    const fileOffset = Number(entry.readBigUInt64LE(d + 16));
    if (entry.readBigUInt64LE(d + 24) !== sequenceNumber || fileOffset % SECTOR) return null;
    if (signature === 'zero') {
      const zeroLength = Number(entry.readBigUInt64LE(d + 8));
      if (zeroLength % SECTOR || !Number.isSafeInteger(fileOffset + zeroLength)) return null;
      ops.push({ kind: 'zero', fileOffset, length: zeroLength });
    } else if (signature === 'desc') {
      if ((dataSector + 1) * SECTOR > length) return null;
      const sector = entry.subarray(dataSector * SECTOR, (dataSector + 1) * SECTOR);
      const sectorSequence = (BigInt(sector.readUInt32LE(4)) << 32n) | BigInt(sector.readUInt32LE(SECTOR - 4));
      if (sector.toString('latin1', 0, 4) !== 'data' || sectorSequence !== sequenceNumber) return null;
      // A data sector keeps bytes 8..4091 of the 4 KiB it restores; the first 8 and last 4 live in the descriptor.
      const data = Buffer.alloc(SECTOR);
      entry.copy(data, 0, d + 8, d + 16);
      sector.copy(data, 8, 8, SECTOR - 4);
      entry.copy(data, SECTOR - 4, d + 4, d + 8);
      ops.push({ kind: 'data', fileOffset, length: SECTOR, data });
      dataSector++;
    } else {
      return null;
    }
  }
  return {
    position,
    length,
    tail,
    sequence: sequenceNumber,
    flushedFileOffset: Number(head.readBigUInt64LE(48)),
    lastFileOffset: Number(head.readBigUInt64LE(56)),
    ops,
  };
}

/** The file as it reads once the log is replayed: file bytes, then every log write applied in order. */
export class LogOverlaySource implements ByteSource {
  private readonly lowest: number;
  private readonly highest: number;

  constructor(
    private readonly inner: ByteSource,
    private readonly physicalSize: number,
    private readonly log: ActiveLog,
  ) {
    // Loops, not spreads: a crafted log may hold millions of descriptors.
    let lowest = Infinity;
    let highest = 0;
    for (const op of log.ops) {
      lowest = Math.min(lowest, op.fileOffset);
      highest = Math.max(highest, op.fileOffset + op.length);
    }
    this.lowest = lowest;
    this.highest = highest;
  }

  get name(): string {
    return this.inner.name;
  }

  async size(): Promise<number> {
    // Payload blocks are whole MiBs, so the file a replay extends grows to the next MiB, as qemu extends it.
    return Math.max(this.physicalSize, Math.ceil(this.log.lastFileOffset / MiB) * MiB, this.highest);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, await this.size());
    if (end <= offset) return Buffer.alloc(0);
    const physical = Math.max(0, Math.min(end, this.physicalSize) - offset);
    let data = physical > 0 ? await this.inner.read(offset, physical) : Buffer.alloc(0);
    if (data.length < end - offset) {
      const padded = Buffer.alloc(end - offset);
      data.copy(padded);
      data = padded;
    }
    if (end <= this.lowest || offset >= this.highest) return data;
    let copied = physical < end - offset;
    for (const op of this.log.ops) {
      const from = Math.max(offset, op.fileOffset);
      const to = Math.min(end, op.fileOffset + op.length);
      if (from >= to) continue;
      // Never patch a buffer the inner source may share with others.
      if (!copied) {
        data = Buffer.from(data);
        copied = true;
      }
      if (op.kind === 'zero') data.fill(0, from - offset, to - offset);
      else op.data.copy(data, from - offset, from - op.fileOffset, to - op.fileOffset);
    }
    return data;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
