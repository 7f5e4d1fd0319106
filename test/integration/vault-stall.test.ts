import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodeFs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { openDisk } from '../../core/disks/index';
import { FolderBackend, type FolderFs } from '../../core/vault/backends/folder';
import type { Backend, PutData, PutOptions } from '../../core/vault/backends/types';
import { Vault, type VaultOptions } from '../../core/vault/index';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { startBlackHoleProxy, type BlackHoleProxy } from '../helpers/blackhole-proxy';
import { startS3, type S3Server } from '../helpers/s3';
import { tempDir, tempDirManual } from '../helpers/temp';
import { backupAgainAfterFailure } from '../helpers/vault-resume';

/**
 * A vault backend that stops answering without an error — a VPN or WAN link that drops silently, a frozen
 * endpoint, a hung share — must fail the copy in bounded time with BACKEND_UNAVAILABLE naming the vault,
 * and once it answers again the vault verifies and the next copy completes, reusing what was uploaded.
 * The stall timeout is test-sized (2 s instead of 60 s); everything else is the real backup path.
 */
const PASSPHRASE = 'Lantern-Gravel-93-Harbour-Tulip';
const MiB = 1024 * 1024;
const STALL_MS = 2000;
const RETRY = { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 };
const DISK_BYTES = 12 * MiB;
/** The black hole opens after this many packs are stored, while the next ones are on the wire. */
const PACKS_BEFORE = 3;
/**
 * After the freeze, three requests in a row each time out after their retries: the pack uploads under way,
 * the salvage's index write, and the lock release. Each costs about tries × stall.
 */
const FAILS_WITHIN_MS = 3 * (RETRY.attempts * STALL_MS + 1000) + 10_000;

/** Calls `freeze` right after the `after`-th pack has been stored. */
function freezeAfterPacks(after: number, freeze: () => void, inner?: (raw: Backend) => Backend): (raw: Backend) => Backend {
  return (raw) => {
    const backend = inner ? inner(raw) : raw;
    let packs = 0;
    return new Proxy(backend, {
      get(target, property, receiver) {
        if (property !== 'put') return Reflect.get(target, property, receiver) as unknown;
        return async (key: string, data: PutData, options?: PutOptions) => {
          await target.put(key, data, options);
          if (key.startsWith('packs/') && ++packs === after) freeze();
        };
      },
    });
  };
}

interface Scenario {
  location: string;
  /** The server keeps a partial object of a cut request (s3rver): the next copy is not attempted over it. */
  partialPuts?: boolean;
  options: VaultOptions;
  /** Wraps the raw backend of the run that is frozen (the folder case swaps in a blocking file system). */
  wrap?: (raw: Backend) => Backend;
  freeze(): void;
  /** The storage answers again; resolves once it does. */
  thaw(): Promise<void>;
}

async function stallAndRecover(scenario: Scenario): Promise<{ failedAfterMs: number; message: string }> {
  const dir = tempDir();
  const options: VaultOptions = { ...scenario.options, packSize: MiB, retry: RETRY, timeouts: { stallMs: STALL_MS } };
  await (await Vault.init(scenario.location, PASSPHRASE, options)).close();
  const file = path.join(dir, 'disk.img');
  fs.writeFileSync(file, crypto.randomBytes(DISK_BYTES));

  const vault = await Vault.open(scenario.location, PASSPHRASE, {
    ...options,
    wrapRaw: freezeAfterPacks(PACKS_BEFORE, scenario.freeze, scenario.wrap),
  });
  const reader = await openDisk(file);
  const started = performance.now();
  const failure = await vault.backup({ vm: 'fs01', disks: [{ name: 'd0', reader }] }).then(
    () => null,
    (error: unknown) => error,
  );
  const failedAfterMs = performance.now() - started;
  await reader.close();
  await vault.close();

  expect(failure).toBeInstanceOf(LifeboatError);
  const error = failure as LifeboatError;
  expect(error.code).toBe('BACKEND_UNAVAILABLE');
  const escaped = scenario.location.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  expect(error.message).toMatch(new RegExp(`^The vault ${escaped} stopped answering: no data moved for 2 s, 3 tries \\(put packs/`));
  expect(error.fix).toMatch(/^Check the network path to the storage.*the next copy reuses what was uploaded\.$/);
  expect(failedAfterMs).toBeLessThan(FAILS_WITHIN_MS);

  await scenario.thaw();
  if (scenario.partialPuts) {
    // s3rver keeps what arrived of a PUT whose connection was cut (measured: the failed run's index object,
    // whose body the black hole held, is stored with 0 bytes); Amazon S3 and Azure refuse an incomplete
    // body. The damage is named, not hidden: verify reports the index object, so prune will not act on it.
    const check = await Vault.open(scenario.location, PASSPHRASE, options);
    const verified = await check.verify({ readData: 'all' }).finally(() => check.close());
    expect(verified.ok || verified.problems.every((p) => p.kind === 'index-unreadable')).toBe(true);
    return { failedAfterMs, message: error.message };
  }
  const stats = await backupAgainAfterFailure(scenario.location, PASSPHRASE, options, file, dir);
  // What was stored before the freeze is reused, not uploaded again (how many packs the salvage's index
  // named depends on which uploads were on the wire when the link went silent).
  expect(stats.packsAdopted).toBeGreaterThanOrEqual(1);
  expect(stats.bytesNew).toBeLessThan(DISK_BYTES);
  return { failedAfterMs, message: error.message };
}

describe('a vault on Azure Blob (Azurite) behind a link that goes silent', () => {
  let azurite: Azurite;
  let proxy: BlackHoleProxy;
  beforeAll(async () => {
    azurite = await startAzurite();
    proxy = await startBlackHoleProxy(azurite.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await azurite?.dispose();
  });

  it('fails the copy with BACKEND_UNAVAILABLE in bounded time, then verifies and completes the next copy', async () => {
    const connection = azurite.connectionString.replace(`127.0.0.1:${azurite.port}/`, `127.0.0.1:${proxy.port}/`);
    const result = await stallAndRecover({
      location: 'azblob://vault-stall/lab',
      options: { credentials: { connectionString: connection } },
      freeze: () => proxy.blackHole(),
      thaw: async () => {
        // The retries did come back through the black hole: new connections were accepted and held.
        expect(proxy.acceptedWhileHeld).toBeGreaterThan(0);
        proxy.resume();
      },
    });
    console.log(`Azurite: failed after ${Math.round(result.failedAfterMs)} ms: ${result.message}`);
  });
});

describe('a vault on S3 (s3rver) behind a link that goes silent', () => {
  let s3: S3Server;
  let proxy: BlackHoleProxy;
  beforeAll(async () => {
    s3 = await startS3();
    proxy = await startBlackHoleProxy(Number(new URL(s3.endpoint).port));
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.close();
  });

  it('fails the copy with BACKEND_UNAVAILABLE in bounded time, and the damage s3rver keeps of the cut request is named by verify', async () => {
    const result = await stallAndRecover({
      location: 's3://vault-stall/lab',
      partialPuts: true,
      options: { credentials: { ...s3.credentials, endpoint: `http://127.0.0.1:${proxy.port}` } },
      freeze: () => proxy.blackHole(),
      thaw: async () => {
        expect(proxy.acceptedWhileHeld).toBeGreaterThan(0);
        proxy.resume();
      },
    });
    console.log(`s3rver: failed after ${Math.round(result.failedAfterMs)} ms: ${result.message}`);
  });
});

/**
 * A share that stops answering. No FUSE file system can be mounted here, so the freeze is injected at the
 * file system layer, but what blocks is real: while frozen, every call of the backend first opens a FIFO
 * for reading, and open(2) on a FIFO with no writer blocks in the kernel — on one of libuv's threads, as a
 * call on a hung SMB or NFS mount does — until a writer appears. Thawing opens the writer: the blocked
 * calls return (late; the backend has abandoned them), then do what they were asked.
 */
describe('a vault in a folder whose share stops answering', () => {
  const work = tempDirManual('lifeboat-stall-');
  const fifo = path.join(work.dir, 'frozen-share');
  let frozen = false;
  const blocked = new Set<Promise<unknown>>();
  let writer: number | null = null;

  beforeAll(() => {
    const made = spawnSync('mkfifo', [fifo]);
    expect(made.status, String(made.stderr)).toBe(0);
  });
  afterAll(async () => {
    // Whatever happened, no thread is left blocked on the FIFO.
    writer ??= openWriter();
    await Promise.allSettled([...blocked]);
    if (writer !== null) fs.closeSync(writer);
    work.remove();
  });

  /** Non-blocking: fails with ENXIO when no one is blocked reading, which then needs no waking. */
  const openWriter = (): number | null => {
    try {
      return fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      return null;
    }
  };

  /** Waits, in the kernel, while the share is frozen; then runs the call. */
  const stallable =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (!frozen) return call(...args);
      const wait = nodeFs.open(fifo, 'r').then((handle) => handle.close());
      blocked.add(wait);
      void wait.finally(() => blocked.delete(wait));
      return wait.then(() => call(...args));
    };
  const frozenShare: FolderFs = {
    open: stallable(nodeFs.open) as FolderFs['open'],
    mkdir: stallable(nodeFs.mkdir) as FolderFs['mkdir'],
    rename: stallable(nodeFs.rename),
    rm: stallable(nodeFs.rm),
    stat: stallable(nodeFs.stat) as FolderFs['stat'],
    readdir: stallable(nodeFs.readdir) as FolderFs['readdir'],
  };

  it('fails the copy with BACKEND_UNAVAILABLE in bounded time without tying up the thread pool, then verifies and completes the next copy', async () => {
    let backend: FolderBackend | null = null;
    const result = await stallAndRecover({
      location: path.join(work.dir, 'vault'),
      options: {},
      wrap: (raw) => (backend = new FolderBackend((raw as FolderBackend).root, { fs: frozenShare })),
      freeze: () => {
        frozen = true;
      },
      thaw: async () => {
        // Only the calls under way when the share froze are blocked: the retries waited behind them
        // instead of taking more of libuv's four threads.
        expect(blocked.size).toBeGreaterThan(0);
        expect(blocked.size).toBeLessThanOrEqual(2);
        expect(backend!.abandonedCalls).toBe(blocked.size);
        frozen = false;
        writer = openWriter();
        await Promise.allSettled([...blocked]);
        fs.closeSync(writer!);
        writer = null;
        // Once the share answered, the abandoned calls returned and cleaned up after themselves.
        await backend!.abandonedCallsReturned();
        expect(backend!.abandonedCalls).toBe(0);
      },
    });
    console.log(`folder: failed after ${Math.round(result.failedAfterMs)} ms: ${result.message}`);
  });
});
