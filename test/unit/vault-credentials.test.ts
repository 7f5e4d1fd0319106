import { afterEach, describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { openRawBackend } from '../../core/vault/backends/open';
import { credentialsFromSealed, sealedCredentialsText } from '../../core/vault/target-credentials';

function caught(run: () => unknown): LifeboatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LifeboatError);
    return error as LifeboatError;
  }
  throw new Error('expected a LifeboatError');
}

afterEach(() => vi.unstubAllEnvs());

describe('vault credentials are values, never the environment', () => {
  it('refuses a cloud backend without credentials even when the process environment has some', () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAENGINE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'engine-secret');
    vi.stubEnv('AZURE_STORAGE_CONNECTION_STRING', 'DefaultEndpointsProtocol=http;AccountName=engine;AccountKey=a2V5');
    for (const location of ['s3://lifeboat-test/vault', 'azblob://lifeboat-test/vault']) {
      const error = caught(() => openRawBackend(location, null));
      expect(error.code).toBe('NOT_SET_UP');
      expect(error.message).toBe(`No credentials are stored for the vault ${location}.`);
      expect(error.fix).toMatch(/^Open Settings → Vault and enter/);
    }
  });

  it('refuses credentials of the wrong kind, and opens with the right ones', () => {
    expect(caught(() => openRawBackend('s3://lifeboat-test/vault', { connectionString: 'x' }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'credentials',
    });
    expect(caught(() => openRawBackend('azblob://lifeboat-test/vault', { accessKeyId: 'a', secretAccessKey: 'b' }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'credentials',
    });
    expect(openRawBackend('s3://lifeboat-test/vault', { accessKeyId: 'a', secretAccessKey: 'b' }).capabilities).toMatchObject({
      localRoot: null,
      holder: 'bucket',
      tornUntilSynced: false,
    });
    expect(openRawBackend('azblob://lifeboat-test/vault', { connectionString: 'UseDevelopmentStorage=true' }).capabilities).toMatchObject({
      localRoot: null,
      holder: 'container',
    });
  });

  it('reads back what it seals, in the format sealed secrets already on disk have', () => {
    const s3 = { accessKeyId: 'AKIA1', secretAccessKey: 's3cret', endpoint: 'http://127.0.0.1:9000', region: 'eu-central-1' };
    expect(JSON.parse(sealedCredentialsText(s3))).toEqual({
      AWS_ACCESS_KEY_ID: 'AKIA1',
      AWS_SECRET_ACCESS_KEY: 's3cret',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_REGION: 'eu-central-1',
    });
    expect(credentialsFromSealed(sealedCredentialsText(s3))).toEqual(s3);
    expect(credentialsFromSealed(sealedCredentialsText({ connectionString: 'UseDevelopmentStorage=true' }))).toEqual({
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(credentialsFromSealed('{}')).toBeNull();
  });
});
