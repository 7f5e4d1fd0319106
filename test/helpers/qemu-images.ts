import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Extent } from '../../core/disks/types';

/** qemu-img / qemu-io (Debian qemu-utils) as the referee for the disk readers and writers. Never a shell. */
export function qemuImg(...args: string[]): string {
  try {
    return execFileSync('qemu-img', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`qemu-img ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`, { cause: error });
  }
}

/** Runs qemu-io commands such as `write -P 0xab 1M 64k` against an image. */
export function qemuIo(file: string, format: string, ...commands: string[]): void {
  const args = ['-f', format];
  for (const command of commands) args.push('-c', command);
  args.push(file);
  try {
    execFileSync('qemu-io', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`qemu-io ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`, { cause: error });
  }
}

export interface MapEntry {
  start: number;
  length: number;
  depth: number;
  present: boolean;
  zero: boolean;
  data: boolean;
}

export function qemuMap(file: string, format?: string): MapEntry[] {
  const args = ['map', '--output=json'];
  if (format) args.push('-f', format);
  args.push(file);
  return JSON.parse(qemuImg(...args)) as MapEntry[];
}

/** Merged extents qemu-img map reports as holding data. */
export function qemuDataExtents(file: string, format?: string): Extent[] {
  const out: Extent[] = [];
  for (const entry of qemuMap(file, format)) {
    if (!entry.data) continue;
    const last = out.at(-1);
    if (last && last.offset + last.length === entry.start) last.length += entry.length;
    else out.push({ offset: entry.start, length: entry.length });
  }
  return out;
}

/** A sparse raw copy of any image qemu reads (zeros become holes, so its map shows where data is). */
export function convertToRaw(file: string, out: string, format?: string): void {
  const args = ['convert'];
  if (format) args.push('-f', format);
  args.push('-O', 'raw', file, out);
  qemuImg(...args);
}

export function virtualSizeOf(file: string, format?: string): number {
  const args = ['info', '--output=json'];
  if (format) args.push('-f', format);
  args.push(file);
  return (JSON.parse(qemuImg(...args)) as { 'virtual-size': number })['virtual-size'];
}

export function clusterSizeOf(file: string, format?: string): number {
  const args = ['info', '--output=json'];
  if (format) args.push('-f', format);
  args.push(file);
  return (JSON.parse(qemuImg(...args)) as { 'cluster-size': number })['cluster-size'];
}

/** `qemu-img check` exit status and output; 0 means no errors. */
export function qemuCheck(file: string, format: string): { status: number; output: string } {
  try {
    return {
      status: 0,
      output: execFileSync('qemu-img', ['check', '-f', format, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    };
  } catch (error) {
    const e = error as { status: number; stdout?: string; stderr?: string };
    return { status: e.status, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** `qemu-img compare` of two images (formats given): 0 identical, 1 different. */
export function qemuCompare(a: string, aFormat: string, b: string, bFormat: string): { status: number; output: string } {
  try {
    return {
      status: 0,
      output: execFileSync('qemu-img', ['compare', '-f', aFormat, '-F', bFormat, a, b], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    };
  } catch (error) {
    const e = error as { status: number; stdout?: string; stderr?: string };
    return { status: e.status, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Bytes [offset, offset+length) of a plain file, zeros past its end. */
export function readFileRange(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, offset);
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

/** Sizes in qemu's notation for qemu-io commands: plain byte counts work everywhere. */
export const K = 1024;
export const M = 1024 * 1024;
export const G = 1024 * M;
