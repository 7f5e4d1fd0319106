import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { tuneAllocator } from './allocator';
import type { BlockKeys } from './block-codec';
import { WriteTurn } from './write-turn';
import { asBuffer, createBlockHandler, movable, type BlockReply, type BlockRequest, type RangeBlock } from './block-jobs';

/** A hashed block still held by the worker that hashed it, until it is sealed or dropped. */
export interface HeldBlock {
  readonly id: Buffer | null;
  readonly lane: Lane;
  readonly seq: number;
}

export class BlockBroken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockBroken';
  }
}

interface Lane {
  post(request: BlockRequest, transfer: ArrayBuffer[]): void;
  waiting: Map<number, { resolve(reply: BlockReply): void; reject(error: Error): void }>;
  terminate(): Promise<void>;
}

/**
 * Where the built worker lives: next to the bundle that imports this module (dist/cli.js), one folder up
 * (dist/bench/*.js), or — running from sources under vitest — in the repository's dist/.
 */
function workerFile(): string | null {
  const candidates = ['./vault-worker.js', '../vault-worker.js', '../../dist/vault-worker.js'];
  for (const candidate of candidates) {
    const file = fileURLToPath(new URL(candidate, import.meta.url));
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/**
 * The CPU side of backup, restore and verify: worker threads (one per core by default) that hash, compress,
 * encrypt, decrypt and decompress blocks, fed by the main thread that does the I/O. Blocks move between
 * threads (transferred, not copied).
 */
export class BlockWorkers {
  private seq = 0;
  private readonly lanes: Lane[];
  readonly threaded: boolean;

  constructor(keys: BlockKeys, count = Math.max(1, os.availableParallelism())) {
    tuneAllocator();
    const file = workerFile();
    this.threaded = file !== null;
    const turn = new WriteTurn();
    this.lanes = file ? Array.from({ length: count }, () => threadLane(file, keys, turn)) : [inThreadLane(keys)];
  }

  get size(): number {
    return this.lanes.length;
  }

  private pick(): Lane {
    let best = this.lanes[0]!;
    for (const lane of this.lanes) if (lane.waiting.size < best.waiting.size) best = lane;
    return best;
  }

  private call(lane: Lane, request: BlockRequest, transfer: ArrayBuffer[]): Promise<BlockReply> {
    return new Promise((resolve, reject) => {
      lane.waiting.set(request.seq, { resolve, reject });
      lane.post(request, transfer);
    }).then((reply) => {
      const answer = reply as BlockReply;
      if (answer.op === 'error')
        throw answer.broken
          ? new BlockBroken(answer.message)
          : Object.assign(new Error(answer.message), answer.code ? { code: answer.code } : {});
      return answer;
    });
  }

  /** Zero check and keyed hash; the data moves to a worker and stays there (id null: an all-zero block). */
  async hash(data: Buffer): Promise<HeldBlock> {
    const lane = this.pick();
    const seq = ++this.seq;
    const moved = movable(data);
    const reply = await this.call(lane, { op: 'hash', seq, data: moved.data }, moved.transfer);
    if (reply.op !== 'hash') throw new Error('unexpected worker reply');
    return { id: reply.id ? asBuffer(reply.id) : null, lane, seq };
  }

  /** Compress and encrypt a held block. */
  async seal(block: HeldBlock): Promise<{ blob: Buffer; codec: number; rawLength: number }> {
    const reply = await this.call(block.lane, { op: 'seal', seq: block.seq }, []);
    if (reply.op !== 'seal') throw new Error('unexpected worker reply');
    return { blob: asBuffer(reply.blob), codec: reply.codec, rawLength: reply.rawLength };
  }

  /** Forget a held block (a duplicate, or unchanged since the parent). */
  drop(block: HeldBlock): void {
    if (block.id) block.lane.post({ op: 'drop', seq: block.seq }, []);
  }

  /** Decrypt and decompress a blob; with checkId, also prove its content hashes to its id. */
  async open(id: Buffer, blob: Buffer, codec: number, rawLength: number, checkId = false): Promise<Buffer> {
    const seq = ++this.seq;
    const moved = movable(blob);
    const reply = await this.call(this.pick(), { op: 'open', seq, id, blob: moved.data, codec, rawLength, checkId }, moved.transfer);
    if (reply.op !== 'open') throw new Error('unexpected worker reply');
    return asBuffer(reply.data);
  }

  /** Decrypt and decompress every blob of one ranged read (restore). The range buffer moves to the worker. */
  async openRange(data: Buffer, blocks: RangeBlock[]): Promise<Buffer[]> {
    const seq = ++this.seq;
    const moved = movable(data);
    const reply = await this.call(this.pick(), { op: 'openRange', seq, data: moved.data, blocks }, moved.transfer);
    if (reply.op !== 'openRange') throw new Error('unexpected worker reply');
    return reply.datas.map(asBuffer);
  }

  /** Decrypt and decompress every blob of one ranged read and write each into `file` at its position. */
  async writeRange(data: Buffer, blocks: (RangeBlock & { position: number })[], file: string): Promise<number> {
    const seq = ++this.seq;
    const moved = movable(data);
    const reply = await this.call(this.pick(), { op: 'writeRange', seq, data: moved.data, blocks, file }, moved.transfer);
    if (reply.op !== 'writeRange') throw new Error('unexpected worker reply');
    return reply.bytes;
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.terminate()));
  }
}

function threadLane(file: string, keys: BlockKeys, turn: WriteTurn): Lane {
  const worker = new Worker(file, {
    workerData: { encKey: new Uint8Array(keys.encKey), idKey: new Uint8Array(keys.idKey), writeTurn: turn.shared },
  });
  const waiting: Lane['waiting'] = new Map();
  const failAll = (error: Error): void => {
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
    // A thread that died holding the write turn must not leave the others waiting for ever (the turn only
    // spares CPU: writes at distinct offsets are correct in any order, so giving it back early is harmless).
    turn.give();
  };
  worker.on('message', (reply: BlockReply) => {
    const pending = waiting.get(reply.seq);
    waiting.delete(reply.seq);
    pending?.resolve(reply);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`vault worker exited (${code})`)));
  return {
    waiting,
    post: (request, transfer) => worker.postMessage(request, transfer),
    terminate: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

function inThreadLane(keys: BlockKeys): Lane {
  const handle = createBlockHandler(keys);
  const waiting: Lane['waiting'] = new Map();
  return {
    waiting,
    post: (request) => {
      const answer = handle(request);
      if (!answer) return;
      // Answer asynchronously, as a worker would, so callers behave the same way in both modes.
      queueMicrotask(() => {
        const pending = waiting.get(answer.reply.seq);
        waiting.delete(answer.reply.seq);
        pending?.resolve(answer.reply);
      });
    },
    terminate: async () => undefined,
  };
}
