import path from 'node:path';
import { describe, it } from 'vitest';
import { checkReaderAgainstQemu, ioCommands, type PatternWrite } from '../helpers/disk-check';
import { K, M, qemuImg, qemuIo, virtualSizeOf } from '../helpers/qemu-images';
import { tempDir } from '../helpers/temp';

describe('VHD reader against qemu', () => {
  for (const subformat of ['dynamic', 'fixed'] as const) {
    it(`reads a ${subformat} VHD (legacy Gen1 disks)`, async () => {
      const dir = tempDir();
      const file = path.join(dir, `disk-${subformat}.vhd`);
      qemuImg('create', '-q', '-f', 'vpc', '-o', `subformat=${subformat}`, file, String(40 * M));
      // qemu rounds the size to a CHS geometry; write the true last sector.
      const size = virtualSizeOf(file, 'vpc');
      const writes: PatternWrite[] = [
        { offset: 0, length: 512, pattern: 0x61 },
        { offset: 2 * M - 4 * K, length: 8 * K, pattern: 0x62 },
        { offset: 7 * M + 512, length: 100 * K, pattern: 0x63 },
        { offset: size - 512, length: 512, pattern: 0x64 },
      ];
      qemuIo(file, 'vpc', ...ioCommands(writes));
      const reader = await checkReaderAgainstQemu(file, dir, { format: 'vpc', qemuMapIsExact: subformat === 'dynamic', whole: true });
      await reader.close();
    });
  }
});
