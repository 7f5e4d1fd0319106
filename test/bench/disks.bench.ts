// Reader throughput: the same ~1 GiB of mixed data as raw, VHDX, VHD and VMDK (qemu-img converts the raw
// image), each read through Lifeboat's reader over all of its allocated extents, 4 MiB at a time, as a backup
// reads it. Prints MB/s of virtual bytes delivered and the ratio to the raw reader measured in the same run.
// Then the allocated-only case: a 16 GiB VHDX holding 200 MiB against a 200 MiB raw file.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDisk } from '../../core/disks';

const MiB = 1024 * 1024;
const CHUNK = 4 * MiB;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-disks-bench-'));

function qemuImg(...args: string[]): void {
  execFileSync('qemu-img', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** 1 GiB: a third random (incompressible), a third repetitive text-like data, a third never written. */
function buildRaw(file: string, size: number): void {
  const fd = fs.openSync(file, 'w');
  const text = Buffer.from('INSERT INTO orders VALUES (42, "Lifeboat", 3.14);\n'.repeat(100_000)).subarray(0, CHUNK);
  for (let at = 0, i = 0; at < size; at += CHUNK, i++) {
    if (i % 3 === 0) fs.writeSync(fd, crypto.randomBytes(CHUNK), 0, CHUNK, at);
    else if (i % 3 === 1) fs.writeSync(fd, text, 0, CHUNK, at);
  }
  fs.ftruncateSync(fd, size);
  fs.closeSync(fd);
}

interface Result {
  label: string;
  delivered: number;
  fromFile: number;
  seconds: number;
}

async function readOnce(label: string, file: string): Promise<Result> {
  const started = process.hrtime.bigint();
  const reader = await openDisk(file);
  let delivered = 0;
  for (const { offset, length } of await reader.extents()) {
    for (let at = offset; at < offset + length; at += CHUNK)
      delivered += (await reader.read(at, Math.min(CHUNK, offset + length - at))).length;
  }
  const fromFile = reader.stats.bytesReadFromSource;
  await reader.close();
  return { label, delivered, fromFile, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/**
 * Best of ROUNDS, the formats taking turns within each round, so that load from other work on the machine
 * falls on all of them alike.
 */
const ROUNDS = 5;
async function measure(images: [string, string][]): Promise<Result[]> {
  const best = new Map<string, Result>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, file] of images) {
      const r = await readOnce(label, file);
      const previous = best.get(label);
      if (!previous || r.seconds < previous.seconds) best.set(label, r);
    }
  }
  return images.map(([label]) => best.get(label)!);
}

function print(results: Result[], baseline: Result): void {
  const mbps = (r: Result) => r.delivered / MiB / r.seconds;
  console.log('format                         delivered MiB  read from file MiB   seconds     MB/s   ratio to raw');
  for (const r of results) {
    console.log(
      `${r.label.padEnd(30)} ${(r.delivered / MiB).toFixed(0).padStart(13)} ${(r.fromFile / MiB).toFixed(0).padStart(19)} ${r.seconds.toFixed(3).padStart(9)} ${mbps(r).toFixed(0).padStart(8)} ${(mbps(r) / mbps(baseline)).toFixed(2).padStart(14)}`,
    );
  }
}

try {
  const raw = path.join(dir, 'mixed.raw');
  buildRaw(raw, 1024 * MiB);
  const images: [string, string][] = [['raw', raw]];
  for (const [label, format, options, ext] of [
    ['vhdx (dynamic, 32 MiB blocks)', 'vhdx', 'block_size=32M', 'vhdx'],
    ['vhdx (dynamic, 1 MiB blocks)', 'vhdx', 'block_size=1M', 'vhdx'],
    ['vhd (dynamic)', 'vpc', 'subformat=dynamic', 'vhd'],
    ['vmdk (monolithicSparse)', 'vmdk', 'subformat=monolithicSparse', 'vmdk'],
    ['vmdk (streamOptimized)', 'vmdk', 'subformat=streamOptimized', 'vmdk'],
  ] as const) {
    const file = path.join(dir, `mixed-${label.replace(/\W+/g, '-')}.${ext}`);
    qemuImg('convert', '-f', 'raw', '-O', format, '-o', options, raw, file);
    images.push([label, file]);
  }
  const results = await measure(images);
  console.log(
    `Reader throughput, ~1 GiB disk (1/3 random, 1/3 repetitive, 1/3 never written); files in the page cache; best of ${ROUNDS}, formats in turn.`,
  );
  console.log(
    'Each reader reads what it reports as allocated: raw its data regions (holes skipped where the OS reports them), the containers their allocated blocks or grains.',
  );
  print(results, results[0]!);

  // Allocated-only: time follows the data, not the virtual size.
  const big = path.join(dir, 'big.vhdx');
  qemuImg('create', '-q', '-f', 'vhdx', '-o', 'block_size=8M', big, String(16 * 1024 * MiB));
  const small = path.join(dir, 'small.raw');
  const fd = fs.openSync(small, 'w');
  for (let at = 0; at < 200 * MiB; at += CHUNK) fs.writeSync(fd, crypto.randomBytes(CHUNK), 0, CHUNK, at);
  fs.closeSync(fd);
  execFileSync(
    'qemu-io',
    ['-f', 'vhdx', '-c', `write -P 0x5a ${3 * 1024 * MiB} ${100 * MiB}`, '-c', `write -P 0xa5 ${12 * 1024 * MiB} ${100 * MiB}`, big],
    { stdio: 'ignore' },
  );
  const [plain, sparse] = (await measure([
    ['200 MiB raw', small],
    ['16 GiB vhdx holding 200 MiB', big],
  ])) as [Result, Result];
  console.log('\nOnly allocated data is read:');
  print([plain, sparse], plain);
  console.log(`time ratio (16 GiB vhdx / 200 MiB raw): ${(sparse.seconds / plain.seconds).toFixed(2)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
