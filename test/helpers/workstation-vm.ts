import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createDiskWriter } from '../../core/disks';
import { serializeVmx } from '../../core/hypervisors/workstation/vmx';

/** A Workstation VM folder whose one disk starts with `randomBytes` bytes that do not compress. */
export async function writeWorkstationVm(vmsFolder: string, name: string, virtualBytes: number, randomBytesCount: number): Promise<void> {
  fs.mkdirSync(path.join(vmsFolder, name), { recursive: true });
  const writer = await createDiskWriter('vmdk', path.join(vmsFolder, name, `${name}.vmdk`), virtualBytes);
  await writer.write(0, randomBytes(randomBytesCount));
  await writer.close();
  fs.writeFileSync(
    path.join(vmsFolder, name, `${name}.vmx`),
    serializeVmx([
      ['displayName', name],
      ['memsize', '1024'],
      ['numvcpus', '1'],
      ['scsi0.present', 'TRUE'],
      ['scsi0:0.present', 'TRUE'],
      ['scsi0:0.fileName', `${name}.vmdk`],
    ]),
  );
}
