/**
 * `npm run bench -- vault`: Lifeboat's vault against restic and borg (Debian packages) on the same
 * deterministic 4 GiB disk, in the same run: initial backup, incremental after changing 1% of the disk in
 * clustered writes, and a full restore. Each tool runs as a child process under /usr/bin/time for peak RSS.
 *
 *   LIFEBOAT_BENCH_SIZE_MIB=4096   disk size (default 4 GiB)
 *   LIFEBOAT_BENCH_BLOCK_SIZES=1,2,4   Lifeboat block sizes to measure (MiB; the first is the one compared)
 *   LIFEBOAT_BENCH_DIR=/tmp/…      where the disk and repositories go (default: os.tmpdir()/lifeboat-bench)
 *
 * Throughput is disk size / seconds (what a user waits for a disk of that size). Restore times include
 * flushing the restored file to disk (`sync FILE`) for every tool: Lifeboat's restore does so itself.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { changeDisk, writeDisk } from './vault-disk';

const MiB = 1024 * 1024;
const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'lifeboat.js');
const size = Number(process.env.LIFEBOAT_BENCH_SIZE_MIB ?? 4096) * MiB;
const blockSizes = (process.env.LIFEBOAT_BENCH_BLOCK_SIZES ?? '1,2,4').split(',').map(Number);
const work = process.env.LIFEBOAT_BENCH_DIR ?? path.join(os.tmpdir(), 'lifeboat-bench');
const PASSPHRASE = 'Bench-Passphrase-Harbour-77';
const env = { ...process.env, LIFEBOAT_PASSPHRASE: PASSPHRASE, LIFEBOAT_DATA: path.join(work, 'data'), RESTIC_PASSWORD: PASSPHRASE, BORG_PASSPHRASE: PASSPHRASE, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };

interface Measure {
  seconds: number;
  rssKiB: number;
}

/** Runs a command under GNU time; fails the bench on a non-zero exit. */
function timed(command: string, args: string[], options: { cwd?: string } = {}): Measure {
  const stats = path.join(work, 'time.txt');
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', stats, command, ...args], { env, cwd: options.cwd ?? work, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  const [seconds, rss] = fs.readFileSync(stats, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number];
  return { seconds, rssKiB: rss };
}

function duBytes(dir: string): number {
  const out = spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout;
  return Number(out.split('\t')[0]);
}

function syncFile(file: string): number {
  const started = performance.now();
  spawnSync('sync', [file]);
  return (performance.now() - started) / 1000;
}

function sameContent(a: string, b: string): boolean {
  return spawnSync('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'raw', a, b]).status === 0;
}

interface Row {
  tool: string;
  phase: 'initial' | 'incremental' | 'restore';
  seconds: number;
  storedBytes: number | null;
  rssKiB: number;
}

function main(): void {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const disk = path.join(work, 'disk.img');
  const started = performance.now();
  const plan = writeDisk(disk, size, 1);
  const allocated = plan.regions.reduce((sum, region) => sum + region.length, 0);
  console.log(
    `disk: ${(size / MiB).toFixed(0)} MiB, ${((allocated / size) * 100).toFixed(0)}% allocated (${Object.entries(
      plan.regions.reduce<Record<string, number>>((acc, region) => ({ ...acc, [region.kind]: (acc[region.kind] ?? 0) + region.length }), {}),
    )
      .map(([kind, bytes]) => `${kind} ${(bytes / MiB).toFixed(0)} MiB`)
      .join(', ')}), written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at start`);

  const rows: Row[] = [];
  const lifeboat = (bs: number) => `lifeboat ${bs} MiB`;
  const vaults = new Map(blockSizes.map((bs) => [bs, path.join(work, `vault-${bs}`)]));
  const restic = path.join(work, 'restic');
  const borg = path.join(work, 'borg');

  // Initial backups.
  for (const [bs, vault] of vaults) {
    timed('node', [bin, 'vault', 'init', vault, '--block-size', `${bs}MiB`]);
    const m = timed('node', [bin, 'vault', 'backup-disk', vault, disk, '--vm', 'bench', '--disk', 'disk0', '--json']);
    rows.push({ tool: lifeboat(bs), phase: 'initial', ...m, storedBytes: duBytes(vault) });
  }
  timed('restic', ['init', '-q', '--repository-version', '2', '-r', restic]);
  rows.push({ tool: 'restic', phase: 'initial', ...timed('restic', ['-r', restic, 'backup', '-q', disk]), storedBytes: duBytes(restic) });
  timed('borg', ['init', '-e', 'repokey', borg]);
  rows.push({ tool: 'borg', phase: 'initial', ...timed('borg', ['create', `${borg}::initial`, 'disk.img']), storedBytes: duBytes(borg) });

  // Incremental: 1% of the disk changed in clustered runs of 4 KiB–1 MiB.
  const changed = changeDisk(disk, size, 0.01, 2);
  console.log(`changed ${(changed / MiB).toFixed(1)} MiB (${((changed / size) * 100).toFixed(2)}%) in clustered writes`);
  for (const [bs, vault] of vaults) {
    const before = duBytes(vault);
    const m = timed('node', [bin, 'vault', 'backup-disk', vault, disk, '--vm', 'bench', '--disk', 'disk0', '--json']);
    rows.push({ tool: lifeboat(bs), phase: 'incremental', ...m, storedBytes: duBytes(vault) - before });
  }
  let before = duBytes(restic);
  rows.push({ tool: 'restic', phase: 'incremental', ...timed('restic', ['-r', restic, 'backup', '-q', disk]), storedBytes: duBytes(restic) - before });
  before = duBytes(borg);
  rows.push({ tool: 'borg', phase: 'incremental', ...timed('borg', ['create', `${borg}::incremental`, 'disk.img']), storedBytes: duBytes(borg) - before });

  // Full restores of the latest point (the first block size only), each flushed to disk.
  const check = (tool: string, file: string): void => {
    if (!sameContent(disk, file)) throw new Error(`${tool} restored a different disk`);
    fs.rmSync(file, { force: true });
  };
  const mainVault = vaults.get(blockSizes[0]!)!;
  const out = path.join(work, 'restored.img');
  let m = timed('node', [bin, 'vault', 'restore-disk', mainVault, 'latest', 'disk0', out]);
  rows.push({ tool: lifeboat(blockSizes[0]!), phase: 'restore', seconds: m.seconds + syncFile(out), rssKiB: m.rssKiB, storedBytes: null });
  check('lifeboat', out);
  const resticOut = path.join(work, 'restic-out');
  m = timed('restic', ['-r', restic, 'restore', 'latest', '--target', resticOut]);
  const resticFile = path.join(resticOut, disk);
  rows.push({ tool: 'restic', phase: 'restore', seconds: m.seconds + syncFile(resticFile), rssKiB: m.rssKiB, storedBytes: null });
  check('restic', resticFile);
  const borgOut = path.join(work, 'borg-out');
  fs.mkdirSync(borgOut);
  m = timed('borg', ['extract', '--sparse', `${borg}::incremental`], { cwd: borgOut });
  rows.push({ tool: 'borg', phase: 'restore', seconds: m.seconds + syncFile(path.join(borgOut, 'disk.img')), rssKiB: m.rssKiB, storedBytes: null });
  check('borg', path.join(borgOut, 'disk.img'));

  print(rows, lifeboat(blockSizes[0]!));
  console.log(`load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  fs.rmSync(work, { recursive: true, force: true });
}

function print(rows: Row[], ours: string): void {
  const find = (tool: string, phase: Row['phase']) => rows.find((row) => row.tool === tool && row.phase === phase);
  const lines = [
    '| tool | phase | seconds | MB/s | stored | peak RSS | restic time / this | borg time / this |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const restic = find('restic', row.phase)!;
    const borg = find('borg', row.phase)!;
    lines.push(
      `| ${row.tool} | ${row.phase} | ${row.seconds.toFixed(2)} | ${(size / 1e6 / row.seconds).toFixed(0)} | ${row.storedBytes === null ? '' : `${(row.storedBytes / MiB).toFixed(1)} MiB`} | ${(row.rssKiB / 1024).toFixed(0)} MiB | ${(restic.seconds / row.seconds).toFixed(2)}x | ${(borg.seconds / row.seconds).toFixed(2)}x |`,
    );
  }
  console.log(`\n${lines.join('\n')}\n`);
  const targets: [string, boolean, string][] = [];
  for (const phase of ['initial', 'incremental', 'restore'] as const) {
    const mine = find(ours, phase)!;
    const restic = find('restic', phase)!;
    const need = phase === 'incremental' ? 3 : 2;
    const ratio = restic.seconds / mine.seconds;
    targets.push([`${phase}: ${ratio.toFixed(2)}x restic's throughput (target >= ${need}x)`, ratio >= need, '']);
  }
  const mineStored = find(ours, 'initial')!.storedBytes! + find(ours, 'incremental')!.storedBytes!;
  const resticStored = find('restic', 'initial')!.storedBytes! + find('restic', 'incremental')!.storedBytes!;
  targets.push([`stored: ${(mineStored / resticStored).toFixed(3)}x restic's bytes (target <= 1.1x)`, mineStored / resticStored <= 1.1, '']);
  const peak = Math.max(...rows.filter((row) => row.tool === ours).map((row) => row.rssKiB)) / 1024;
  targets.push([`peak RSS: ${peak.toFixed(0)} MiB (target < 500 MiB)`, peak < 500, '']);
  for (const [text, met] of targets) console.log(`${met ? 'met    ' : 'MISSED '} ${text}`);
}

main();
