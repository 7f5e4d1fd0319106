import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { checkKdf, DEFAULT_KDF, KDF_N_ENV, newKdf } from '../../core/vault/keys';
import { Vault } from '../../core/vault/vault';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'correct horse battery staple';

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A vault made at the cost every vault had before the default grew (2^15), so each open stays cheap. */
async function oldVault(): Promise<{ location: string; config: Record<string, unknown>; recoveryKey: string }> {
  vi.stubEnv(KDF_N_ENV, String(1 << 15));
  const location = tempDir('lifeboat-kdf-');
  const vault = await Vault.init(location, PASSPHRASE);
  const recoveryKey = vault.recoveryKey();
  await vault.close();
  vi.unstubAllEnvs();
  const config = JSON.parse(fs.readFileSync(path.join(location, 'config'), 'utf8')) as Record<string, unknown>;
  expect(config.kdf).toMatchObject({ name: 'scrypt', N: 32768, r: 8, p: 1 });
  return { location, config, recoveryKey };
}

function writeKdf(location: string, config: Record<string, unknown>, change: Record<string, unknown>): void {
  const kdf = { ...(config.kdf as Record<string, unknown>), ...change };
  fs.writeFileSync(path.join(location, 'config'), JSON.stringify({ ...config, kdf }, null, 2));
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('vault key derivation bounds', () => {
  it('refuses N = 2^40 and a huge r in the config at open, before scrypt runs, in under a second', async () => {
    const { location, config } = await oldVault();
    // If the bounds let a config through, scrypt must not get to run with it (it could take the machine).
    const scrypt = vi.spyOn(crypto, 'scryptSync').mockImplementation(() => {
      throw new Error('scrypt ran with parameters from a tampered config');
    });
    for (const [change, named] of [
      [{ N: 2 ** 40 }, /scrypt N = 1099511627776 is not a power of two from 2\^14 to 2\^20/],
      [{ r: 2 ** 30 }, /scrypt r = 1073741824 is not from 1 to 32/],
      [{ p: 1 << 10 }, /scrypt p = 1024 is not from 1 to 16/],
      [{ N: 1 << 20, r: 16 }, /needs 2048 MiB \(at most 1024\)/],
    ] as const) {
      writeKdf(location, config, change);
      const started = performance.now();
      const error = await rejection(Vault.open(location, PASSPHRASE));
      const elapsed = performance.now() - started;
      expect(error, JSON.stringify(change)).toBeInstanceOf(LifeboatError);
      expect((error as LifeboatError).code).toBe('VAULT_CORRUPT');
      expect((error as LifeboatError).message).toMatch(named);
      expect((error as LifeboatError).message).toContain(`The vault config at ${location}`);
      expect((error as LifeboatError).fix).toMatch(
        /altered, or written by something other than Lifeboat: check who else can write to this storage/,
      );
      expect((error as LifeboatError).fix).toMatch(/recovery key/);
      expect(elapsed).toBeLessThan(1000);
    }
    expect(scrypt).not.toHaveBeenCalled();
  });

  it('still opens a tampered config with the recovery key, which needs no scrypt', async () => {
    const { location, config, recoveryKey } = await oldVault();
    const scrypt = vi.spyOn(crypto, 'scryptSync');
    writeKdf(location, config, { N: 2 ** 40 });
    const vault = await Vault.open(location, { recoveryKey });
    expect(vault.config.id).toBe(config.id);
    await vault.close();
    expect(scrypt).not.toHaveBeenCalled();
  });

  it('opens a vault made with the old cost, running scrypt once with its own parameters', async () => {
    const { location, config } = await oldVault();
    const scrypt = vi.spyOn(crypto, 'scryptSync');
    const vault = await Vault.open(location, PASSPHRASE);
    expect(vault.config.id).toBe(config.id);
    await vault.close();
    expect(scrypt).toHaveBeenCalledTimes(1);
    expect(scrypt.mock.calls[0]![3]).toMatchObject({ N: 32768, r: 8, p: 1 });
    // A lower N than the vault was made with is not a way in: the key no longer unwraps.
    writeKdf(location, config, { N: 1 << 14 });
    expect(await rejection(Vault.open(location, PASSPHRASE))).toMatchObject({ code: 'WRONG_PASSPHRASE' });
  });

  it('creates new vaults at the measured default cost, and they open', async () => {
    expect(DEFAULT_KDF).toEqual({ N: 1 << 17, r: 8, p: 1 });
    vi.stubEnv(KDF_N_ENV, '');
    const location = tempDir('lifeboat-kdf-');
    await (await Vault.init(location, PASSPHRASE)).close();
    const config = JSON.parse(fs.readFileSync(path.join(location, 'config'), 'utf8')) as { kdf: Record<string, unknown> };
    expect(config.kdf).toMatchObject({ name: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(Buffer.from(config.kdf.salt as string, 'base64')).toHaveLength(16);
    const vault = await Vault.open(location, PASSPHRASE);
    expect(vault.config.kdf.N).toBe(131072);
    await vault.close();
  });

  it('names the parameter for every kind of bad kdf entry, and lets every value Lifeboat writes through', () => {
    const salt = crypto.randomBytes(16).toString('base64');
    const good = { name: 'scrypt', N: 1 << 17, r: 8, p: 1, salt };
    for (const [kdf, named] of [
      [undefined, /the "kdf" entry is missing/],
      [{ ...good, name: 'argon2id' }, /kdf name "argon2id" is not "scrypt"/],
      [{ ...good, N: 3 * 2 ** 15 }, /scrypt N = 98304 is not a power of two/],
      [{ ...good, N: 2 ** 53 - 1 }, /scrypt N = 9007199254740991 is not a power of two/],
      [{ ...good, N: '131072' }, /scrypt N = 131072 is not a power of two/],
      [{ ...good, N: 1 << 12 }, /scrypt N = 4096 is not a power of two from 2\^14/],
      [{ ...good, N: 1 << 21 }, /scrypt N = 2097152 /],
      [{ ...good, r: 0 }, /scrypt r = 0 /],
      [{ ...good, r: 33 }, /scrypt r = 33 /],
      [{ ...good, r: 8.5 }, /scrypt r = 8.5 /],
      [{ ...good, p: 17 }, /scrypt p = 17 /],
      [{ ...good, N: 1 << 20, r: 8, p: 2 }, /scrypt N = 1048576, r = 8, p = 2 is 16 times the default work \(at most 8\)/],
      [{ ...good, salt: crypto.randomBytes(8).toString('base64') }, /the scrypt salt is 8 bytes/],
      [{ ...good, salt: 'not base64!' }, /the scrypt salt is 0 bytes/],
      [{ ...good, salt: crypto.randomBytes(65).toString('base64') }, /the scrypt salt is 65 bytes/],
    ] as const) {
      const error = caught(() => checkKdf(kdf));
      expect(error, JSON.stringify(kdf)).toBeInstanceOf(LifeboatError);
      expect((error as LifeboatError).code).toBe('VAULT_CORRUPT');
      expect((error as LifeboatError).message).toMatch(named);
    }
    for (const kdf of [good, { ...good, N: 1 << 15 }, { ...good, N: 1 << 20 }, { ...good, N: 1 << 14, r: 32, p: 16 }]) {
      expect(
        caught(() => checkKdf(kdf)),
        JSON.stringify(kdf),
      ).toBeUndefined();
    }
  });

  it(`takes N for new vaults from ${KDF_N_ENV}, never below the old cost`, () => {
    expect(newKdf({})).toMatchObject({ N: 1 << 17, r: 8, p: 1 });
    expect(newKdf({ [KDF_N_ENV]: '32768' })).toMatchObject({ N: 32768, r: 8, p: 1 });
    expect(newKdf({ [KDF_N_ENV]: '262144' })).toMatchObject({ N: 262144 });
    for (const setting of ['16384', '100000', 'fast', String(1 << 21), '4294967296']) {
      const error = caught(() => newKdf({ [KDF_N_ENV]: setting }));
      expect(error, setting).toBeInstanceOf(LifeboatError);
      expect((error as LifeboatError).code).toBe('INVALID_INPUT');
      expect((error as LifeboatError).message).toContain(`${KDF_N_ENV}=${setting}`);
    }
    expect(newKdf({}).salt).not.toBe(newKdf({}).salt);
  });
});
