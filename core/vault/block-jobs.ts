/**
 * The messages the vault's worker threads answer, and the code that answers them. The same handler runs
 * in-thread when no worker file is available (a test run against sources that were never built).
 */
import fs from 'node:fs';
import { blockId, isZero, openBlock, sealBlock, type BlockKeys } from './block-codec';
import { WriteTurn } from './write-turn';

export type BlockRequest =
  /** Keyed hash of a block read from a disk. The worker keeps non-zero data until told to seal or drop it. */
  | { op: 'hash'; seq: number; data: Uint8Array }
  | { op: 'seal'; seq: number }
  | { op: 'drop'; seq: number }
  | { op: 'open'; seq: number; id: Uint8Array; blob: Uint8Array; codec: number; rawLength: number; checkId: boolean }
  /** Several blobs that sit back to back in one ranged read: the whole range moves, no copies. */
  | { op: 'openRange'; seq: number; data: Uint8Array; blocks: RangeBlock[] }
  /** As openRange, but the worker writes each block into `file` at its `position` (raw restore targets). */
  | { op: 'writeRange'; seq: number; data: Uint8Array; blocks: (RangeBlock & { position: number })[]; file: string };

export interface RangeBlock {
  id: Uint8Array;
  at: number;
  length: number;
  codec: number;
  rawLength: number;
}

export type BlockReply =
  | { op: 'hash'; seq: number; id: Uint8Array | null }
  | { op: 'seal'; seq: number; blob: Uint8Array; codec: number; rawLength: number }
  | { op: 'open'; seq: number; data: Uint8Array }
  | { op: 'openRange'; seq: number; datas: Uint8Array[] }
  | { op: 'writeRange'; seq: number; bytes: number }
  /** `code`: the errno name of a failed file write (ENOSPC…), so the caller can say what to do. */
  | { op: 'error'; seq: number; message: string; broken: boolean; code?: string };

/** A buffer and the list that moves (not copies) its memory to the other thread, when it owns all of it. */
export function movable(data: Uint8Array): { data: Uint8Array; transfer: ArrayBuffer[] } {
  if (data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    return { data, transfer: [data.buffer] };
  }
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return { data: copy, transfer: [copy.buffer] };
}

/**
 * Frees a block's memory now instead of at the thread's next garbage collection, which V8 starts only once
 * some 64 MiB of such buffers have piled up (per thread: measured ~135 MiB of peak RSS per worker during a
 * backup). Only for a buffer that owns all of its memory and that nothing else refers to.
 */
export function release(data: Uint8Array): void {
  const buffer = data.buffer as ArrayBuffer & { transfer?(length: number): ArrayBuffer; detached?: boolean };
  if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength && !buffer.detached)
    buffer.transfer?.(0);
}

export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function writeAll(fd: number, data: Buffer, position: number): void {
  for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

export function createBlockHandler(
  keys: BlockKeys,
  turn = new WriteTurn(),
): (request: BlockRequest) => { reply: BlockReply; transfer: ArrayBuffer[] } | null {
  const held = new Map<number, { data: Buffer; id: Buffer }>();
  return (request) => {
    try {
      switch (request.op) {
        case 'hash': {
          const data = asBuffer(request.data);
          if (isZero(data)) {
            release(data);
            return { reply: { op: 'hash', seq: request.seq, id: null }, transfer: [] };
          }
          const id = blockId(keys.idKey, data);
          held.set(request.seq, { data, id });
          // A digest is a view into a pooled 8 KiB buffer, which postMessage would clone whole: send 32 bytes.
          return { reply: { op: 'hash', seq: request.seq, id: new Uint8Array(id) }, transfer: [] };
        }
        case 'drop': {
          const entry = held.get(request.seq);
          held.delete(request.seq);
          if (entry) release(entry.data);
          return null;
        }
        case 'seal': {
          const entry = held.get(request.seq);
          held.delete(request.seq);
          if (!entry) throw new Error(`no block held for ${request.seq}`);
          const { data, id } = entry;
          const { blob, codec } = sealBlock(keys, id, data);
          const rawLength = data.length;
          release(data);
          const moved = movable(blob);
          return { reply: { op: 'seal', seq: request.seq, blob: moved.data, codec, rawLength }, transfer: moved.transfer };
        }
        case 'open': {
          const data = openBlock(keys, request.id, request.blob, request.codec, request.rawLength, request.checkId);
          const moved = movable(data);
          return { reply: { op: 'open', seq: request.seq, data: moved.data }, transfer: moved.transfer };
        }
        case 'openRange': {
          const range = asBuffer(request.data);
          const datas: Uint8Array[] = [];
          const transfer: ArrayBuffer[] = [];
          for (const block of request.blocks) {
            const moved = movable(
              openBlock(keys, block.id, range.subarray(block.at, block.at + block.length), block.codec, block.rawLength),
            );
            datas.push(moved.data);
            transfer.push(...moved.transfer);
          }
          return { reply: { op: 'openRange', seq: request.seq, datas }, transfer };
        }
        case 'writeRange': {
          const range = asBuffer(request.data);
          const fd = fs.openSync(request.file, 'r+');
          const ready: { data: Buffer; position: number }[] = [];
          const write = (): void => {
            try {
              for (const { data, position } of ready) {
                writeAll(fd, data, position);
                release(data);
              }
              ready.length = 0;
            } finally {
              turn.give();
            }
          };
          let bytes = 0;
          try {
            for (const block of request.blocks) {
              const data = openBlock(keys, block.id, range.subarray(block.at, block.at + block.length), block.codec, block.rawLength);
              ready.push({ data, position: block.position });
              bytes += data.length;
              if (turn.tryTake()) write();
            }
            if (ready.length > 0) {
              turn.take();
              write();
            }
          } finally {
            fs.closeSync(fd);
          }
          release(range);
          return { reply: { op: 'writeRange', seq: request.seq, bytes }, transfer: [] };
        }
      }
    } catch (error) {
      return {
        reply: {
          op: 'error',
          seq: request.seq,
          message: (error as Error).message,
          broken: (error as Error).name === 'SealBroken',
          ...(typeof (error as NodeJS.ErrnoException).code === 'string' ? { code: (error as NodeJS.ErrnoException).code } : {}),
        },
        transfer: [],
      };
    }
  };
}
