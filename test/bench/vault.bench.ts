/**
 * `npm run bench -- vault`: Lifeboat's vault against restic and borg (Debian packages) on the same
 * deterministic 4 GiB disk, in the same run: initial backup, incremental after changing 1% of the disk in
 * clustered writes, and a full restore. Each tool runs as a child process under /usr/bin/time for peak RSS.
 *
 *   LIFEBOAT_BENCH_SIZE_MIB=4096   disk size (default 4 GiB)
 *   LIFEBOAT_BENCH_BLOCK_SIZES=1,2,4   Lifeboat block sizes to measure (MiB; the first is the one compared)
 *   LIFEBOAT_BENCH_DIR=/tmp/…      where the disk and repositories go (default: os.tmpdir()/lifeboat-bench)
 *   LIFEBOAT_BENCH_REPEAT=3        runs per measurement, interleaved across tools; the median is reported
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
const env = {
  ...process.env,
  RESTIC_CACHE_DIR: path.join(work, 'state', 'restic-cache'),
  BORG_BASE_DIR: path.join(work, 'state', 'borg'),
  LIFEBOAT_PASSPHRASE: PASSPHRASE,
  LIFEBOAT_DATA: path.join(work, 'data'),
  RESTIC_PASSWORD: PASSPHRASE,
  BORG_PASSPHRASE: PASSPHRASE,
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
};

interface Measure {
  seconds: number;
  rssKiB: number;
}

/**
 * Runs a command under GNU time; fails the bench on a non-zero exit. Dirty pages left by the previous
 * step are written out first (untimed), so no tool pays for another's writes.
 */
function timed(command: string, args: string[], options: { cwd?: string } = {}): Measure {
  spawnSync('sync');
  const stats = path.join(work, 'time.txt');
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', stats, command, ...args], {
    env,
    cwd: options.cwd ?? work,
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
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

const repeat = Number(process.env.LIFEBOAT_BENCH_REPEAT ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Copies a repository as it is (to reset it before each repetition of the incremental). */
function snapshot(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  const copy = spawnSync('cp', ['-a', '--reflink=auto', from, to]);
  if (copy.status !== 0) throw new Error(`cp ${from} ${to} failed`);
}

interface Tool {
  name: string;
  repo: string;
  /** Folders that must be rolled back with the repository (caches and security state of the peers). */
  state: string[];
  init(): void;
  backup(label: string): Measure;
  restore(out: string): { seconds: number; rssKiB: number; file: string };
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
      plan.regions.reduce<Record<string, number>>(
        (acc, region) => ({ ...acc, [region.kind]: (acc[region.kind] ?? 0) + region.length }),
        {},
      ),
    )
      .map(([kind, bytes]) => `${kind} ${(bytes / MiB).toFixed(0)} MiB`)
      .join(', ')}), written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at start; each measurement is the median of ${repeat} interleaved runs`,
  );

  const lifeboatTool = (bs: number): Tool => {
    const repo = path.join(work, `vault-${bs}`);
    return {
      name: `lifeboat ${bs} MiB`,
      repo,
      state: [],
      init: () => {
        fs.rmSync(repo, { recursive: true, force: true });
        timed('node', [bin, 'vault', 'init', repo, '--block-size', `${bs}MiB`]);
      },
      backup: () => timed('node', [bin, 'vault', 'backup-disk', repo, disk, '--vm', 'bench', '--disk', 'disk0', '--json']),
      restore: (out) => {
        const file = path.join(out, 'disk.img');
        fs.mkdirSync(out, { recursive: true });
        const m = timed('node', [bin, 'vault', 'restore-disk', repo, 'latest', 'disk0', file]);
        return { ...m, file };
      },
    };
  };
  const resticRepo = path.join(work, 'restic');
  const restic: Tool = {
    name: 'restic',
    repo: resticRepo,
    state: [env.RESTIC_CACHE_DIR],
    init: () => {
      fs.rmSync(resticRepo, { recursive: true, force: true });
      timed('restic', ['init', '-q', '--repository-version', '2', '-r', resticRepo]);
    },
    backup: () => timed('restic', ['-r', resticRepo, 'backup', '-q', disk]),
    restore: (out) => ({ ...timed('restic', ['-r', resticRepo, 'restore', 'latest', '--target', out]), file: path.join(out, disk) }),
  };
  const borgRepo = path.join(work, 'borg');
  const borg: Tool = {
    name: 'borg',
    repo: borgRepo,
    state: [env.BORG_BASE_DIR],
    init: () => {
      fs.rmSync(borgRepo, { recursive: true, force: true });
      timed('borg', ['init', '-e', 'repokey', borgRepo]);
    },
    backup: (label) => timed('borg', ['create', `${borgRepo}::${label}`, 'disk.img']),
    restore: (out) => {
      fs.mkdirSync(out, { recursive: true });
      const archives = spawnSync('borg', ['list', '--short', borgRepo], { env, encoding: 'utf8' }).stdout.trim().split('\n');
      return {
        ...timed('borg', ['extract', '--sparse', `${borgRepo}::${archives.at(-1)}`], { cwd: out }),
        file: path.join(out, 'disk.img'),
      };
    },
  };
  const ours = lifeboatTool(blockSizes[0]!);
  const tools = [ours, restic, borg];
  const rows: Row[] = [];
  /** Each repetition starts with another tool, so none always runs right after the same neighbour. */
  const rotated = (rep: number): Tool[] => [...tools.slice(rep % tools.length), ...tools.slice(0, rep % tools.length)];
  const record = (tool: Tool, phase: Row['phase'], runs: Measure[], storedBytes: number | null): void => {
    console.log(`${tool.name} ${phase}: ${runs.map((run) => `${run.seconds.toFixed(2)} s`).join(', ')}`);
    rows.push({
      tool: tool.name,
      phase,
      seconds: median(runs.map((run) => run.seconds)),
      rssKiB: Math.max(...runs.map((run) => run.rssKiB)),
      storedBytes,
    });
  };

  // Initial backups into empty repositories, interleaved so that load from elsewhere hits every tool alike.
  const initial = new Map<Tool, Measure[]>(tools.map((tool) => [tool, []]));
  for (let rep = 0; rep < repeat; rep++) {
    for (const tool of rotated(rep)) {
      tool.init();
      initial.get(tool)!.push(tool.backup('initial'));
    }
  }
  for (const tool of tools) record(tool, 'initial', initial.get(tool)!, duBytes(tool.repo));
  const saved = (dir: string) => `${dir}.after-initial`;
  for (const tool of tools) for (const dir of [tool.repo, ...tool.state]) snapshot(dir, saved(dir));

  // Incremental: 1% of the disk changed in clustered runs of 4 KiB–1 MiB; each repetition starts from the
  // repository as the initial backup left it.
  const changed = changeDisk(disk, size, 0.01, 2);
  console.log(`changed ${(changed / MiB).toFixed(1)} MiB (${((changed / size) * 100).toFixed(2)}%) in clustered writes`);
  const incremental = new Map<Tool, Measure[]>(tools.map((tool) => [tool, []]));
  const added = new Map<Tool, number>();
  for (let rep = 0; rep < repeat; rep++) {
    for (const tool of rotated(rep)) {
      if (rep > 0) for (const dir of [tool.repo, ...tool.state]) snapshot(saved(dir), dir);
      const before = duBytes(tool.repo);
      incremental.get(tool)!.push(tool.backup('incremental'));
      added.set(tool, duBytes(tool.repo) - before);
    }
  }
  for (const tool of tools) record(tool, 'incremental', incremental.get(tool)!, added.get(tool)!);

  // Full restores of the latest point, each flushed to disk and compared with the disk.
  const restores = new Map<Tool, Measure[]>(tools.map((tool) => [tool, []]));
  for (let rep = 0; rep < repeat; rep++) {
    for (const tool of rotated(rep)) {
      const out = path.join(work, `restore-${tool.name.split(' ')[0]}`);
      fs.rmSync(out, { recursive: true, force: true });
      const m = tool.restore(out);
      restores.get(tool)!.push({ seconds: m.seconds + syncFile(m.file), rssKiB: m.rssKiB });
      if (!sameContent(disk, m.file)) throw new Error(`${tool.name} restored a different disk`);
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  for (const tool of tools) record(tool, 'restore', restores.get(tool)!, null);

  // Other block sizes, once each, for the choice explained in FORMAT.md.
  const sizes: string[] = [];
  for (const bs of blockSizes.slice(1)) {
    const tool = lifeboatTool(bs);
    tool.init();
    writeDisk(disk, size, 1);
    const first = tool.backup('initial');
    const stored = duBytes(tool.repo);
    changeDisk(disk, size, 0.01, 2);
    const second = tool.backup('incremental');
    sizes.push(
      `| ${bs} MiB | ${first.seconds.toFixed(2)} | ${(stored / MiB).toFixed(1)} MiB | ${second.seconds.toFixed(2)} | ${((duBytes(tool.repo) - stored) / MiB).toFixed(1)} MiB | ${(Math.max(first.rssKiB, second.rssKiB) / 1024).toFixed(0)} MiB |`,
    );
    fs.rmSync(tool.repo, { recursive: true, force: true });
  }

  print(rows, ours.name);
  if (sizes.length > 0) {
    const mine = (phase: Row['phase']) => rows.find((row) => row.tool === ours.name && row.phase === phase)!;
    console.log('Lifeboat block sizes (one run each):\n');
    console.log('| block size | initial s | stored | incremental s | incremental stored | peak RSS |\n|---|---:|---:|---:|---:|---:|');
    console.log(
      `| ${blockSizes[0]} MiB | ${mine('initial').seconds.toFixed(2)} | ${(mine('initial').storedBytes! / MiB).toFixed(1)} MiB | ${mine('incremental').seconds.toFixed(2)} | ${(mine('incremental').storedBytes! / MiB).toFixed(1)} MiB | ${(Math.max(mine('initial').rssKiB, mine('incremental').rssKiB) / 1024).toFixed(0)} MiB |`,
    );
    console.log(sizes.join('\n') + '\n');
  }
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
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
  targets.push([
    `stored: ${(mineStored / resticStored).toFixed(3)}x restic's bytes (target <= 1.1x)`,
    mineStored / resticStored <= 1.1,
    '',
  ]);
  const peak = Math.max(...rows.filter((row) => row.tool === ours).map((row) => row.rssKiB)) / 1024;
  targets.push([`peak RSS: ${peak.toFixed(0)} MiB (target < 500 MiB)`, peak < 500, '']);
  for (const [text, met] of targets) console.log(`${met ? 'met    ' : 'MISSED '} ${text}`);
}

main();
