import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { sameFiles } from '../helpers/vault-resume';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
// The minimum pack age stays at its default here unless a test sets it: that is what is under test.
const ENV = { LIFEBOAT_PASSPHRASE: PASSPHRASE, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '' };
const MiB = 1024 * 1024;

function vault(args: string[], env: NodeJS.ProcessEnv = ENV) {
  return runCli(['vault', ...args], env);
}

function json<T>(args: string[], env: NodeJS.ProcessEnv = ENV): T {
  const result = vault([...args, '--json'], env);
  expect(result.status, `${args.join(' ')}\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Every file in a folder vault with its size and SHA-256, by key. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const key = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(key);
      else
        out.set(
          key,
          crypto
            .createHash('sha256')
            .update(fs.readFileSync(path.join(dir, key)))
            .digest('hex'),
        );
    }
  };
  walk('');
  return out;
}

function randomDisk(file: string, size: number): void {
  fs.writeFileSync(file, crypto.randomBytes(size));
}

interface Listed {
  id: string;
  vm: string;
  time: string;
  disks: unknown[];
  damaged?: string;
}

describe('prune refuses a damaged vault', () => {
  it('deletes nothing while one manifest is damaged, names the point, lists it as damaged, and the repaired point restores exactly', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    expect(vault(['init', location]).status).toBe(0);
    // Two points of one VM sharing no data: forgetting the first would sweep all of its packs.
    const first = path.join(dir, 'first.img');
    randomDisk(first, 4 * MiB);
    const p1 = json<{ id: string }>(['backup-disk', location, first, '--vm', 'web01', '--disk', 'd0', '--pack-size', '1MiB']).id;
    const second = path.join(dir, 'second.img');
    randomDisk(second, 4 * MiB);
    const extents = path.join(dir, 'extents.json');
    fs.writeFileSync(extents, JSON.stringify([{ offset: 0, length: 4 * MiB }]));
    // Derived from the first: that is how its VM is known once its own manifest is unreadable.
    json([
      'backup-disk',
      location,
      second,
      '--vm',
      'web01',
      '--disk',
      'd0',
      '--pack-size',
      '1MiB',
      '--parent',
      p1,
      '--changed-extents',
      extents,
    ]);

    const manifest = path.join(location, 'points', p1);
    const original = fs.readFileSync(manifest);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)]! ^= 0x01;
    fs.writeFileSync(manifest, damaged);

    const before = snapshot(location);
    for (const args of [
      ['prune', location, '--keep-last', '1'],
      ['prune', location, '--keep-last', '1', '--dry-run'],
    ]) {
      const result = vault(args, { ...ENV, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '0' }); // age would allow the sweep
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toContain('Prune deleted nothing');
      expect(result.stderr).toContain(`recovery point ${p1} (VM web01, time unknown)`);
      expect(result.stderr).toContain(`points/${p1}`);
      expect(result.stderr).toMatch(/fix: Run `lifeboat vault verify .*`.*copy of the vault.*lifeboat vault forget/);
    }
    expect(snapshot(location)).toEqual(before);

    const listed = json<Listed[]>(['list', location]);
    expect(listed).toHaveLength(2);
    expect(listed.find((point) => point.id === p1)).toMatchObject({ vm: 'web01', damaged: expect.stringContaining(`points/${p1}`) });
    const text = vault(['list', location]);
    expect(text.stdout).toMatch(new RegExp(`${p1}  DAMAGED  web01`));

    fs.writeFileSync(manifest, original);
    const out = path.join(dir, 'first.restored');
    expect(vault(['restore-disk', location, p1, 'd0', out]).status).toBe(0);
    expect(sameFiles(first, out)).toBe(true);
    expect(json<Listed[]>(['list', location]).every((point) => point.damaged === undefined)).toBe(true);
  });

  it('deletes nothing while an index object is damaged, naming it', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    expect(vault(['init', location]).status).toBe(0);
    const disk = path.join(dir, 'd.img');
    for (let i = 0; i < 2; i++) {
      randomDisk(disk, 2 * MiB);
      json(['backup-disk', location, disk, '--vm', 'db', '--disk', 'd0', '--pack-size', '1MiB']);
    }
    const indexKey = `index/${fs.readdirSync(path.join(location, 'index'))[0]!}`;
    const file = path.join(location, indexKey);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3]! ^= 0x80;
    fs.writeFileSync(file, bytes);
    const before = snapshot(location);
    const result = vault(['prune', location, '--keep-last', '1'], { ...ENV, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '0' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`index object ${indexKey} cannot be read or authenticated`);
    expect(snapshot(location)).toEqual(before);
  });

  it('forgets a damaged point explicitly, after which prune runs again', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    expect(vault(['init', location]).status).toBe(0);
    const disk = path.join(dir, 'd.img');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      randomDisk(disk, 2 * MiB);
      ids.push(json<{ id: string }>(['backup-disk', location, disk, '--vm', 'db', '--disk', 'd0', '--pack-size', '1MiB']).id);
    }
    fs.writeFileSync(path.join(location, 'points', ids[0]!), crypto.randomBytes(200));
    const env = { ...ENV, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '0' };
    expect(vault(['prune', location, '--keep-last', '1'], env).status).toBe(1);
    expect(json<{ forgotten: { id: string; damaged: boolean }[] }>(['forget', location, ids[0]!.slice(0, 6)])).toEqual({
      forgotten: [{ id: ids[0], vm: null, time: null, damaged: true }],
    });
    const report = json<{ kept: string[]; packsDeleted: number }>(['prune', location, '--keep-last', '1'], env);
    expect(report.kept).toEqual([ids[1]]);
    expect(report.packsDeleted).toBeGreaterThanOrEqual(2);
    expect(json<{ ok: boolean; unreferencedPacks: number }>(['verify', location, '--read-data'])).toMatchObject({
      ok: true,
      unreferencedPacks: 0,
    });
  });
});

describe('prune and the minimum pack age', () => {
  it('keeps an unreferenced pack younger than the minimum age and sweeps an old one', () => {
    const dir = tempDir();
    const location = path.join(dir, 'vault');
    expect(vault(['init', location]).status).toBe(0);
    const disk = path.join(dir, 'd.img');
    randomDisk(disk, 2 * MiB);
    const point = json<{ id: string }>(['backup-disk', location, disk, '--vm', 'app', '--disk', 'd0']).id;
    // Packs no index or manifest names: one as a copy in flight elsewhere leaves it, one a killed run left long ago.
    const pack = (id: string): string => {
      const file = path.join(location, 'packs', id.slice(0, 2), id);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, crypto.randomBytes(100_000));
      return file;
    };
    const young = pack(crypto.randomBytes(32).toString('hex'));
    const old = pack(crypto.randomBytes(32).toString('hex'));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(old, twoHoursAgo, twoHoursAgo);

    const report = json<{ kept: string[]; packsDeleted: number; packsTooYoung: number }>(['prune', location, '--keep-last', '1']);
    expect(report).toMatchObject({ kept: [point], packsDeleted: 1, packsTooYoung: 1 });
    expect(fs.existsSync(young)).toBe(true);
    expect(fs.existsSync(old)).toBe(false);
    expect(vault(['prune', location, '--keep-last', '1']).stdout).toContain('younger than the minimum age');

    // The override (documented in FORMAT.md) lets tests and operators sweep at once.
    expect(
      json<{ packsDeleted: number }>(['prune', location, '--keep-last', '1'], { ...ENV, LIFEBOAT_VAULT_MIN_PACK_AGE_SECONDS: '0' })
        .packsDeleted,
    ).toBe(1);
    expect(fs.existsSync(young)).toBe(false);
    const out = path.join(dir, 'out.img');
    expect(vault(['restore-disk', location, point, 'd0', out]).status).toBe(0);
    expect(sameFiles(disk, out)).toBe(true);
  });
});
