import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';
const CONNECTION =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleQ==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;';

describe('first-run vault kinds', () => {
  it('keeps an Azure vault as the default target with its connection string sealed, never returned', async () => {
    const service = createService({ dataDir: tempDir(), operator: 'alice' });
    const client = createLocalClient(service.api);
    const settings = await client.completeFirstRun({
      organisation: 'Acme',
      vault: { kind: 'azure', path: 'azblob://lifeboat/office', credentials: { connectionString: CONNECTION } },
      passphrase: PASSPHRASE,
    });
    expect(settings.vault).toMatchObject({ name: 'Primary vault', location: { kind: 'azure', path: 'azblob://lifeboat/office' } });
    const targets = await client.listTargets();
    expect(targets).toEqual([
      expect.objectContaining({ location: { kind: 'azure', path: 'azblob://lifeboat/office' }, hasCredentials: true }),
    ]);
    const everything = JSON.stringify([settings, targets, await client.listAuditEvents(), await client.getSettings()]);
    expect(everything).not.toContain('AccountKey');
    await service.close();
  });

  it('refuses a cloud location it cannot parse, naming the field', async () => {
    const service = createService({ dataDir: tempDir(), operator: 'alice' });
    const client = createLocalClient(service.api);
    await expect(
      client.completeFirstRun({ organisation: 'Acme', vault: { kind: 's3', path: 's3://Bad_Bucket' }, passphrase: PASSPHRASE }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'vault.path' });
    await expect(
      client.completeFirstRun({
        organisation: 'Acme',
        vault: { kind: 'azure', path: 'https://x.blob.core.windows.net/c' },
        passphrase: PASSPHRASE,
      }),
    ).rejects.toMatchObject({ field: 'vault.path' });
    await service.close();
  });
});
