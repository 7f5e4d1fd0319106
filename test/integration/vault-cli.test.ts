import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textBytes, writeDisk } from '../bench/vault-disk';
import { runCli } from '../helpers/cli';
import { tempDir, tempDirManual } from '../helpers/temp';
import { sameFiles } from '../helpers/vault-resume';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const ENV = { LIFEBOAT_PASSPHRASE: PASSPHRASE };
/** Prune sweeps unused packs only once they are an hour old (FORMAT.md); these tests prune at once. */
const SWEEP = { ...ENV, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '0' };
const MiB = 1024 * 1024;

function vault(args: string[], env: NodeJS.ProcessEnv = ENV) {
  return runCli(['vault', ...args], env);
}

function ok(args: string[], env: NodeJS.ProcessEnv = ENV): string {
  const result = vault(args, env);
  expect(result.status, `${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

function json<T = Record<string, unknown>>(args: string[], env: NodeJS.ProcessEnv = ENV): T {
  return JSON.parse(ok([...args, '--json'], env)) as T;
}

/** Every object in a folder vault with its size, by key. */
function objects(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const key = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(key);
      else out.set(key, fs.statSync(path.join(dir, key)).size);
    }
  };
  walk('');
  return out;
}

const bytesOf = (dir: string): number => [...objects(dir).values()].reduce((sum, size) => sum + size, 0);

/** qemu-img compare is the referee (sparse-aware, fast on huge holes); cmp double-checks smaller files. */
function writeFile(file: string, size: number, parts: { offset: number; data: Buffer }[]): void {
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  for (const part of parts) fs.writeSync(fd, part.data, 0, part.data.length, part.offset);
  fs.closeSync(fd);
}

/** The key as printed: lines of dash-separated hex groups under RECOVERY KEY. */
function recoveryKeyOf(kit: string): string {
  const lines = kit.match(/^ {4}[0-9A-F]{4,8}(?:-[0-9A-F]{4,8})*$/gm) ?? [];
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => line.trim()).join('-');
}

interface Point {
  id: string;
  vm: string;
  disks: { name: string; size: number; storedBytes: number }[];
  stats: { bytesRead: number; blocksInherited: number; upload: { bytes: number; seconds: number; bytesPerSecond: number } };
}

describe('vault CLI round trips', () => {
  let work: ReturnType<typeof tempDirManual>;
  let location: string;
  beforeAll(() => {
    work = tempDirManual('lifeboat-vault-');
    location = path.join(work.dir, 'vault');
    ok(['init', location]);
  });
  afterAll(() => work?.remove());

  const disks: [string, (file: string) => void][] = [
    ['empty', (file) => writeFile(file, 0, [])],
    ['tiny (one block)', (file) => writeFile(file, 1000, [{ offset: 0, data: crypto.randomBytes(1000) }])],
    [
      'not a multiple of the block size',
      (file) => writeFile(file, 3 * MiB + 12345, [{ offset: 0, data: textBytes(1, 1, 3 * MiB + 12345) }]),
    ],
    [
      'sparse',
      (file) =>
        writeFile(file, 64 * MiB, [
          { offset: 5 * MiB + 4096, data: crypto.randomBytes(300_000) },
          { offset: 40 * MiB, data: textBytes(1, 2, 2 * MiB) },
          { offset: 64 * MiB - 10, data: Buffer.from('last bytes') },
        ]),
    ],
    ['random', (file) => writeFile(file, 8 * MiB, [{ offset: 0, data: crypto.randomBytes(8 * MiB) }])],
    ['mixed', (file) => void writeDisk(file, 48 * MiB, 7)],
  ];

  it.each(disks)('restores a %s disk byte for byte', (name, make) => {
    const disk = path.join(work.dir, `${name.split(' ')[0]}.img`);
    make(disk);
    const point = json<Point>(['backup-disk', location, disk, '--vm', 'vm-rt', '--disk', name, '--pack-size', '4MiB']);
    expect(point.disks[0]).toMatchObject({ name, size: fs.statSync(disk).size });
    const out = path.join(work.dir, `${name.split(' ')[0]}.restored`);
    ok(['restore-disk', location, point.id.slice(0, 6), name, out]);
    expect(sameFiles(disk, out)).toBe(true);
  });

  it('lists recovery points as JSON with disks and stored bytes, and verifies them all', () => {
    const points = json<Point[]>(['list', location]);
    expect(points).toHaveLength(disks.length);
    for (const point of points) {
      expect(point).toEqual({
        id: expect.any(String),
        vm: 'vm-rt',
        time: expect.any(String),
        disks: [expect.objectContaining({ name: expect.any(String), size: expect.any(Number), storedBytes: expect.any(Number) })],
      });
    }
    const report = json<{ ok: boolean; points: number; packsRead: number }>(['verify', location, '--read-data']);
    expect(report).toMatchObject({ ok: true, points: disks.length });
    expect(report.packsRead).toBeGreaterThan(1);
  });
});

describe('vault dedup and zero elision', () => {
  it('stores a second disk with the same content for < 1% of its size, and an unchanged backup as one manifest', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'a.img');
    writeDisk(disk, 40 * MiB, 3);
    json(['backup-disk', location, disk, '--vm', 'web', '--disk', 'disk0']);
    const before = objects(location);

    const copy = path.join(dir, 'b.img');
    fs.copyFileSync(disk, copy);
    const second = json<Point>(['backup-disk', location, copy, '--vm', 'db', '--disk', 'system']);
    const added = bytesOf(location) - [...before.values()].reduce((sum, size) => sum + size, 0);
    expect(added).toBeLessThan(0.01 * fs.statSync(copy).size);
    expect(second.disks[0]!.storedBytes).toBe(0);

    const beforeUnchanged = objects(location);
    json(['backup-disk', location, copy, '--vm', 'db', '--disk', 'system']);
    const after = objects(location);
    const fresh = [...after.keys()].filter((key) => !beforeUnchanged.has(key));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatch(/^points\//);
    for (const [key, size] of beforeUnchanged) expect(after.get(key), key).toBe(size);
  });

  it('stores a 4 GiB sparse disk holding 100 MiB of data in under 110 MiB, reading only the data', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'big.img');
    const parts: { offset: number; data: Buffer }[] = [];
    for (let i = 0; i < 10; i++) parts.push({ offset: i * 400 * MiB + 3 * 4096, data: crypto.randomBytes(10 * MiB) });
    writeFile(disk, 4 * 1024 * MiB, parts);
    const point = json<Point>(['backup-disk', location, disk, '--vm', 'file-server', '--disk', 'data']);
    expect(bytesOf(location)).toBeLessThan(110 * MiB);
    // Only allocated data is read: the ten 10 MiB runs, rounded out to whole blocks.
    expect(point.stats.bytesRead).toBeLessThanOrEqual(10 * 11 * MiB);
    const out = path.join(dir, 'big.restored');
    ok(['restore-disk', location, point.id, 'data', out]);
    expect(sameFiles(disk, out)).toBe(true);
    expect(fs.statSync(out).blocks * 512).toBeLessThan(200 * MiB);
  });
});

describe('vault faults and bad input', () => {
  it('refuses a wrong passphrase with exit code 3 and writes nothing', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    writeFile(disk, 2 * MiB, [{ offset: 0, data: crypto.randomBytes(2 * MiB) }]);
    const before = objects(location);
    for (const args of [
      ['backup-disk', location, disk, '--vm', 'x', '--disk', 'd'],
      ['list', location],
      ['prune', location, '--keep-last', '1'],
      ['verify', location],
    ]) {
      const result = vault(args, { LIFEBOAT_PASSPHRASE: 'Not-The-Right-Passphrase-42' });
      expect(result.status, args[0]).toBe(3);
      expect(result.stderr.toLowerCase()).toContain('wrong passphrase');
    }
    expect(objects(location)).toEqual(before);
  });

  it('explains a missing vault, an existing one, and a bad location', () => {
    const dir = tempDir();
    const missing = vault(['list', path.join(dir, 'none')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no vault at .*\n {2}fix: .*vault init/);
    ok(['init', path.join(dir, 'v')]);
    expect(vault(['init', path.join(dir, 'v')]).stderr).toContain('already a vault');
    const scheme = vault(['list', 'ftp://host/x']);
    expect(scheme.status).toBe(2);
    expect(scheme.stderr).toContain('Unknown vault scheme');
    const noPassphrase = runCli(['vault', 'list', path.join(dir, 'v')]);
    expect(noPassphrase.status).toBe(2);
    expect(noPassphrase.stderr).toContain('LIFEBOAT_PASSPHRASE');
  });

  describe('damaged vaults', () => {
    let dir: ReturnType<typeof tempDirManual>;
    let location: string;
    let points: Point[];
    beforeAll(() => {
      dir = tempDirManual();
      location = path.join(dir.dir, 'vault');
      ok(['init', location]);
      // Two VMs whose disks share nothing, in small packs: damage to one pack affects exactly one of them.
      for (const vm of ['mail', 'erp']) {
        const disk = path.join(dir.dir, `${vm}.img`);
        writeFile(disk, 6 * MiB, [{ offset: 0, data: crypto.randomBytes(6 * MiB) }]);
        json(['backup-disk', location, disk, '--vm', vm, '--disk', `${vm}-disk0`, '--pack-size', '2MiB']);
      }
      points = json<Point[]>(['list', location]);
    });
    afterAll(() => dir.remove());

    const packOf = (): string => {
      const packs = [...objects(location).keys()].filter((key) => key.startsWith('packs/')).sort();
      return path.join(location, packs[0]!);
    };

    it('names the recovery points and disks a flipped byte damages (verify --read-data exits non-zero)', () => {
      expect(json<{ ok: boolean }>(['verify', location, '--read-data']).ok).toBe(true);
      const pack = packOf();
      const original = fs.readFileSync(pack);
      const damaged = Buffer.from(original);
      damaged[Math.floor(damaged.length / 3)]! ^= 0x01;
      fs.writeFileSync(pack, damaged);
      try {
        const result = vault(['verify', location, '--read-data']);
        expect(result.status).toBe(1);
        const affected = [...result.stdout.matchAll(/affected: recovery point (\w+) \((\w+),.*disk (\S+):/g)].map((m) => `${m[1]}/${m[3]}`);
        expect(affected).toHaveLength(1);
        const point = points.find((candidate) => affected[0]!.startsWith(candidate.id))!;
        expect(affected[0]).toBe(`${point.id}/${point.vm}-disk0`);
        expect(result.stderr).toContain(`${point.id}/${point.vm}-disk0`);
        // A structural check does not read data, so it cannot see this.
        expect(vault(['verify', location]).status).toBe(0);
        // A subset check that reads every pack finds it too.
        expect(vault(['verify', location, '--read-data-subset', '100%']).status).toBe(1);
        // Restoring the damaged disk fails alike whether worker threads write it (raw) or it is written in
        // order (VHDX), and leaves no half-restored file behind.
        for (const format of ['raw', 'vhdx']) {
          const out = path.join(dir.dir, `damaged.${format}`);
          const restore = vault(['restore-disk', location, point.id, `${point.vm}-disk0`, out, '--format', format]);
          expect(restore.status, restore.stderr).toBe(1);
          expect(restore.stderr).toContain(
            `Disk ${point.vm}-disk0 of recovery point ${point.id} cannot be restored: its data in the vault is damaged`,
          );
          expect(restore.stderr).toContain('lifeboat vault verify --read-data');
          expect(fs.existsSync(out)).toBe(false);
        }
      } finally {
        fs.writeFileSync(pack, original);
      }
      expect(vault(['verify', location, '--read-data']).status).toBe(0);
    });

    it('names the recovery points and disks a missing pack damages, and restore refuses them', () => {
      const pack = packOf();
      const original = fs.readFileSync(pack);
      fs.rmSync(pack);
      try {
        const report = JSON.parse(vault(['verify', location, '--json']).stdout) as {
          ok: boolean;
          affected: { pointId: string; disk: string }[];
          problems: { kind: string }[];
        };
        expect(report.ok).toBe(false);
        expect(report.problems.map((problem) => problem.kind)).toContain('pack-missing');
        expect(report.affected).toHaveLength(1);
        const result = vault(['verify', location]);
        expect(result.status).toBe(1);
        expect(result.stdout).toContain(`disk ${report.affected[0]!.disk}`);
        const restore = vault([
          'restore-disk',
          location,
          report.affected[0]!.pointId,
          report.affected[0]!.disk,
          path.join(dir.dir, 'nope.img'),
        ]);
        expect(restore.status).toBe(1);
        expect(restore.stderr).toMatch(/missing data|does not have/);
        expect(fs.existsSync(path.join(dir.dir, 'nope.img'))).toBe(false);
      } finally {
        fs.writeFileSync(pack, original);
      }
    });
  });

  it('stops a second writer and a backup during prune with a lock; a stale lock is named and broken by unlock', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    writeFile(disk, MiB, [{ offset: 0, data: crypto.randomBytes(MiB) }]);
    const lock = (kind: string, operation: string, refreshed: Date) =>
      JSON.stringify({
        id: 'feedbeef',
        kind,
        host: 'other-host',
        pid: 4242,
        operation,
        started: refreshed.toISOString(),
        refreshed: refreshed.toISOString(),
      });
    fs.mkdirSync(path.join(location, 'locks'), { recursive: true });
    fs.writeFileSync(path.join(location, 'locks', 'feedbeef'), lock('write', 'backup of vm9', new Date()));
    const writing = vault(['backup-disk', location, disk, '--vm', 'x', '--disk', 'd']);
    expect(writing.status).toBe(1);
    expect(writing.stderr).toContain('in use by backup of vm9 on other-host');

    fs.writeFileSync(path.join(location, 'locks', 'feedbeef'), lock('exclusive', 'prune', new Date()));
    const live = vault(['backup-disk', location, disk, '--vm', 'x', '--disk', 'd']);
    expect(live.status).toBe(1);
    expect(live.stderr).toContain('in use by prune on other-host');
    expect(ok(['unlock', location])).toContain('No stale locks');

    fs.writeFileSync(path.join(location, 'locks', 'feedbeef'), lock('exclusive', 'prune', new Date(Date.now() - 3600_000)));
    const stale = vault(['backup-disk', location, disk, '--vm', 'x', '--disk', 'd']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/looks stale[\s\S]*fix: .*vault unlock/);
    expect(ok(['unlock', location])).toContain('Removed lock of prune on other-host');
    ok(['backup-disk', location, disk, '--vm', 'x', '--disk', 'd']);
    expect(fs.readdirSync(path.join(location, 'locks'))).toEqual([]);
  });

  it('keeps upload within 10% of --limit-upload', () => {
    // The limit sits well below what compressing and encrypting random data manage on a loaded 2-core
    // runner, so the pacer, not the CPU, sets the rate being measured.
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    writeFile(disk, 24 * MiB, [{ offset: 0, data: crypto.randomBytes(24 * MiB) }]);
    const started = performance.now();
    const point = json<Point>([
      'backup-disk',
      location,
      disk,
      '--vm',
      'x',
      '--disk',
      'd',
      '--limit-upload',
      '8MiB/s',
      '--pack-size',
      '2MiB',
    ]);
    const seconds = (performance.now() - started) / 1000;
    const limit = 8 * MiB;
    expect(point.stats.upload.bytes).toBeGreaterThan(24 * MiB);
    expect(Math.abs(point.stats.upload.bytesPerSecond - limit) / limit).toBeLessThan(0.1);
    // The whole run cannot beat the limit either.
    expect(point.stats.upload.bytes / seconds).toBeLessThan(limit * 1.1);
  });
});

describe('vault retention, recovery kit and changed extents', () => {
  it('prunes to --keep-last, sweeping data only forgotten points used', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      writeFile(disk, 4 * MiB, [{ offset: 0, data: crypto.randomBytes(4 * MiB) }]);
      ids.push(json<Point>(['backup-disk', location, disk, '--vm', 'app', '--disk', 'd', '--pack-size', '1MiB']).id);
    }
    const before = bytesOf(location);
    expect(vault(['prune', location]).status).toBe(2);
    const dry = json<{ forgotten: string[]; dryRun: boolean }>(['prune', location, '--keep-last', '2', '--dry-run'], SWEEP);
    expect(dry.forgotten.sort()).toEqual(ids.slice(0, 2).sort());
    expect(bytesOf(location)).toBe(before);
    const report = json<{ kept: string[]; forgotten: string[]; packsDeleted: number }>(['prune', location, '--keep-last', '2'], SWEEP);
    expect(report.kept.sort()).toEqual(ids.slice(2).sort());
    expect(report.packsDeleted).toBeGreaterThanOrEqual(8);
    expect(bytesOf(location)).toBeLessThan(before * 0.6);
    expect(
      json<Point[]>(['list', location])
        .map((point) => point.id)
        .sort(),
    ).toEqual(ids.slice(2).sort());
    expect(json<{ ok: boolean }>(['verify', location, '--read-data']).ok).toBe(true);
    const out = path.join(dir, 'out.img');
    ok(['restore-disk', location, ids[3]!, 'd', out]);
    expect(sameFiles(disk, out)).toBe(true);
  });

  it('rewrites a pack that mostly holds forgotten blocks, so their space comes back, and kept points still restore', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    const stable = crypto.randomBytes(2 * MiB);
    writeFile(disk, 8 * MiB, [
      { offset: 0, data: stable },
      { offset: 2 * MiB, data: crypto.randomBytes(6 * MiB) },
    ]);
    json<Point>(['backup-disk', location, disk, '--vm', 'app', '--disk', 'd', '--pack-size', '8MiB']);
    // Six of the eight blocks change: the first point's pack keeps only the two stable ones alive.
    writeFile(disk, 8 * MiB, [
      { offset: 0, data: stable },
      { offset: 2 * MiB, data: crypto.randomBytes(6 * MiB) },
    ]);
    const second = json<Point>(['backup-disk', location, disk, '--vm', 'app', '--disk', 'd', '--pack-size', '8MiB']);
    const before = bytesOf(location);

    const report = json<{ forgotten: string[]; packsRepacked: number; bytesRepacked: number; bytesFreed: number }>(
      ['prune', location, '--keep-last', '1'],
      SWEEP,
    );
    expect(report.forgotten).toHaveLength(1);
    expect(report.packsRepacked).toBe(1);
    expect(report.bytesRepacked).toBeGreaterThanOrEqual(2 * MiB);
    expect(report.bytesRepacked).toBeLessThan(2.1 * MiB);
    expect(report.bytesFreed).toBeGreaterThan(6 * MiB);
    const after = bytesOf(location);
    console.log(`repack: vault ${before} bytes before prune, ${after} after (8 MiB of live data)`);
    expect(after).toBeLessThan(8.5 * MiB);
    expect(before - after).toBeGreaterThan(5.9 * MiB);

    expect(json<{ ok: boolean }>(['verify', location, '--read-data']).ok).toBe(true);
    const out = path.join(dir, 'out.img');
    ok(['restore-disk', location, second.id, 'd', out]);
    expect(sameFiles(disk, out)).toBe(true);
    // The new pack is full of live blocks: a second prune leaves it alone.
    expect(json<{ packsRepacked: number }>(['prune', location, '--keep-last', '1'], SWEEP).packsRepacked).toBe(0);
  });

  it('prints a recovery kit whose key opens the vault without the passphrase', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    writeFile(disk, 3 * MiB, [{ offset: MiB, data: crypto.randomBytes(MiB) }]);
    const point = json<Point>(['backup-disk', location, disk, '--vm', 'dc01', '--disk', 'c']);
    const kit = ok(['recovery-kit', location]);
    expect(kit).toContain('RECOVERY KEY');
    expect(kit).toContain(location);
    expect(kit.split('\n').filter((line) => !line.includes(location) && line.length > 80)).toEqual([]);
    const keyFile = path.join(dir, 'key.txt');
    fs.writeFileSync(keyFile, recoveryKeyOf(kit));
    const out = path.join(dir, 'out.img');
    expect(runCli(['vault', 'restore-disk', location, point.id, 'c', out, '--recovery-key-file', keyFile]).status).toBe(0);
    expect(sameFiles(disk, out)).toBe(true);
    const wrong = path.join(dir, 'wrong.txt');
    const other = tempDir();
    ok(['init', path.join(other, 'v')]);
    fs.writeFileSync(wrong, recoveryKeyOf(ok(['recovery-kit', path.join(other, 'v')])));
    const refused = runCli(['vault', 'list', location, '--recovery-key-file', wrong]);
    expect(refused.status).toBe(3);
  });

  it('reads only changed extents when given a parent, inheriting the rest', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    ok(['init', location]);
    const disk = path.join(dir, 'd.img');
    writeDisk(disk, 32 * MiB, 5);
    const parent = json<Point>(['backup-disk', location, disk, '--vm', 'sql', '--disk', 'data']);
    const changes = [
      { offset: 3 * MiB + 4096, length: 8192 },
      { offset: 20 * MiB - 100, length: 200 },
    ];
    const fd = fs.openSync(disk, 'r+');
    for (const change of changes) fs.writeSync(fd, crypto.randomBytes(change.length), 0, change.length, change.offset);
    fs.closeSync(fd);
    const extents = path.join(dir, 'changed.json');
    fs.writeFileSync(extents, JSON.stringify(changes));
    const child = json<Point>([
      'backup-disk',
      location,
      disk,
      '--vm',
      'sql',
      '--disk',
      'data',
      '--parent',
      parent.id,
      '--changed-extents',
      extents,
    ]);
    expect(child.stats.bytesRead).toBe(3 * MiB); // blocks 3, 19 and 20
    expect(child.stats.blocksInherited).toBe(29);
    const out = path.join(dir, 'out.img');
    ok(['restore-disk', location, child.id, 'data', out]);
    expect(sameFiles(disk, out)).toBe(true);
    expect(vault(['backup-disk', location, disk, '--vm', 'sql', '--disk', 'data', '--changed-extents', extents]).status).toBe(2);
  });
});
