import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDataDir, networkShareOf, resolveDataDir } from '../../core/data-dir';
import { tempDir } from '../helpers/temp';

describe('resolveDataDir', () => {
  it('prefers --data, then LIFEBOAT_DATA, then the per-user app folder', () => {
    expect(resolveDataDir('/x/flag', { LIFEBOAT_DATA: '/x/env' })).toBe(path.resolve('/x/flag'));
    expect(resolveDataDir(undefined, { LIFEBOAT_DATA: '/x/env' })).toBe(path.resolve('/x/env'));
    expect(resolveDataDir(undefined, { XDG_CONFIG_HOME: '/home/u/.config' }, 'linux')).toBe('/home/u/.config/Lifeboat');
    expect(resolveDataDir(undefined, { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\Lifeboat',
    );
  });
});

describe('ensureDataDir', () => {
  it.skipIf(process.platform !== 'linux')(
    'creates the data folder private (0700), parents included, and leaves an existing folder as it is',
    () => {
      const root = tempDir();
      const dir = path.join(root, 'config', 'Lifeboat');
      expect(ensureDataDir(dir)).toEqual({ created: true, warning: null });
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.dirname(dir)).mode & 0o077).toBe(0);

      const chosen = path.join(root, 'shared');
      fs.mkdirSync(chosen, { mode: 0o755 });
      fs.chmodSync(chosen, 0o755);
      expect(ensureDataDir(chosen)).toEqual({ created: false, warning: null });
      expect(fs.statSync(chosen).mode & 0o777).toBe(0o755);
    },
  );

  it('names the folder and the fix when it cannot be created', () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    expect(() => ensureDataDir(path.join(file, 'data'))).toThrow(
      expect.objectContaining({ code: 'DATA_FOLDER_UNUSABLE', fix: expect.stringContaining('--data') }),
    );
  });
});

describe('a data folder on a network share', () => {
  it('is refused with the fix (a UNC path on Windows, an NFS or SMB mount on Linux); local folders and vaults are not', () => {
    const share = networkShareOf;
    expect(share('\\\\nas01\\it\\Lifeboat', { platform: 'win32' })).toBe('a Windows share (UNC path)');
    expect(share('//nas01/it/Lifeboat', { platform: 'win32' })).toBe('a Windows share (UNC path)');
    expect(share('\\\\?\\UNC\\nas01\\it', { platform: 'win32' })).toBe('a Windows share (UNC path)');
    expect(share('\\\\?\\C:\\ProgramData\\Lifeboat', { platform: 'win32' })).toBeNull();
    expect(share('C:\\ProgramData\\Lifeboat', { platform: 'win32' })).toBeNull();
    const nfs = (dir: string) => ({ type: dir.startsWith('/mnt/nas') ? 0x6969 : 0xef53 });
    expect(
      share('/mnt/nas/lifeboat/not-yet', {
        platform: 'linux',
        statfs: (dir) =>
          dir.endsWith('not-yet')
            ? (() => {
                throw Object.assign(new Error('no'), { code: 'ENOENT' });
              })()
            : nfs(dir),
      }),
    ).toBe('NFS');
    expect(share('/var/lib/lifeboat', { platform: 'linux', statfs: nfs })).toBeNull();
    expect(share(tempDir(), { platform: 'linux' })).toBeNull(); // this machine's real /tmp

    const dir = path.join(tempDir(), 'data');
    expect(() => ensureDataDir(dir, { platform: 'linux', statfs: () => ({ type: 0xff534d42 }) })).toThrow(
      expect.objectContaining({
        code: 'DATA_FOLDER_UNUSABLE',
        message: expect.stringContaining('is on a network share (CIFS)'),
        fix: expect.stringContaining('Vaults on network shares are fine'),
      }),
    );
    expect(fs.existsSync(dir)).toBe(false); // refused before anything was created there
  });
});
