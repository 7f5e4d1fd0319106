import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlobSASPermissions, BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskWriter } from '../../core/disks';
import { uploadNonZeroPages } from '../../core/hypervisors/azure/page-upload';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { tempDir } from '../helpers/temp';

const MiB = 1024 * 1024;
let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.dispose();
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('page-blob upload of a fixed VHD (Azurite)', () => {
  it('sends only the MiB ranges that hold data, and the blob reads back equal to the file', async () => {
    const dir = tempDir();
    const vhd = path.join(dir, 'disk.vhd');
    const writer = await createDiskWriter('vhd-fixed', vhd, 16 * MiB);
    await writer.write(0, Buffer.alloc(4096, 0x11)); // unit 0
    await writer.write(5 * MiB - 512, Buffer.alloc(1024, 0x22)); // units 4 and 5
    await writer.write(9 * MiB, Buffer.alloc(2 * MiB)); // written, but zeros: unit 9 and 10 stay unsent
    await writer.close();

    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('disks');
    await container.createIfNotExists();
    const blob = container.getPageBlobClient('disk.vhd');
    const size = fs.statSync(vhd).size;
    await blob.create(size);
    const sas = await blob.generateSasUrl({ permissions: BlobSASPermissions.parse('rw'), expiresOn: new Date(Date.now() + 3_600_000) });

    let progress = 0;
    const result = await uploadNonZeroPages(vhd, sas, { parallel: 3, onProgress: (done) => (progress = done) });
    expect(result.ranges).toEqual([
      { offset: 0, length: MiB },
      { offset: 4 * MiB, length: 2 * MiB },
      { offset: 16 * MiB, length: 512 }, // the footer
    ]);
    expect(result.bytesSent).toBe(3 * MiB + 512);
    expect(progress).toBeGreaterThan(0);

    const pages = await blob.getPageRanges();
    // The service may list adjacent pages apart: merged, they are what was sent.
    const listed: [number, number][] = [];
    // The SDK's Range is {offset: start, count: end - start} of the service's inclusive start/end.
    for (const { offset, count = 0 } of pages.pageRange ?? []) {
      const last = listed.at(-1);
      if (last && last[1] + 1 === offset) last[1] = offset + count;
      else listed.push([offset, offset + count]);
    }
    expect(listed).toEqual([
      [0, MiB - 1],
      [4 * MiB, 6 * MiB - 1],
      [16 * MiB, 16 * MiB + 511],
    ]);
    expect(sha(await blob.downloadToBuffer())).toBe(sha(fs.readFileSync(vhd)));
  });

  it('refuses a file that is not whole 512-byte pages', async () => {
    const file = path.join(tempDir(), 'odd.vhd');
    fs.writeFileSync(file, Buffer.alloc(1000, 1));
    await expect(uploadNonZeroPages(file, 'http://127.0.0.1:9/devstoreaccount1/x/y?sig=z')).rejects.toMatchObject({ code: 'DISK_INVALID' });
  });
});
