import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { openRawBackend } from '../../core/vault/backends/open';
import { startS3, type S3Server } from '../helpers/s3';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const LOCATION = 's3://no-credentials/vault';

describe('a cloud target with no stored credentials', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => s3?.close());
  afterEach(() => vi.unstubAllEnvs());

  it('is refused with NOT_SET_UP even when the engine’s own environment holds working AWS_* credentials', async () => {
    // Credentials that would open the bucket: a vault that borrowed the engine's environment would succeed.
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
    const service = createService({ dataDir: path.join(tempDir(), 'data'), heartbeat: false });
    const api = createLocalClient(service.api);
    try {
      await api.completeFirstRun({ organisation: 'Acme', vault: { kind: 's3', path: LOCATION }, passphrase: PASSPHRASE });
      for (const call of [
        () => api.vaultInit({}),
        () => api.vaultList({}),
        () => api.vaultList({ location: LOCATION, passphrase: PASSPHRASE }),
      ]) {
        await expect(call()).rejects.toMatchObject({
          code: 'NOT_SET_UP',
          message: `No credentials are stored for the vault ${LOCATION}.`,
          fix: expect.stringContaining('Settings → Vault'),
        });
      }
      await expect(api.addTarget({ name: 'Offsite', location: 's3://no-credentials/other' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        field: 'credentials',
      });
    } finally {
      await service.close();
    }
    // Nothing reached the store: the bucket `vault init` would have created is not there.
    const backend = openRawBackend(LOCATION, s3.credentials);
    try {
      await expect(backend.list('config')).rejects.toMatchObject({ kind: 'not-found' });
    } finally {
      await backend.close();
    }
  });
});
