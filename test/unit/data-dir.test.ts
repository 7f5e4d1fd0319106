import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../../core/data-dir';

describe('resolveDataDir', () => {
  it('prefers --data, then LIFEBOAT_DATA, then the per-user app folder', () => {
    expect(resolveDataDir('/x/flag', { LIFEBOAT_DATA: '/x/env' })).toBe(path.resolve('/x/flag'));
    expect(resolveDataDir(undefined, { LIFEBOAT_DATA: '/x/env' })).toBe(path.resolve('/x/env'));
    expect(resolveDataDir(undefined, { XDG_CONFIG_HOME: '/home/u/.config' }, 'linux')).toBe('/home/u/.config/Lifeboat');
    expect(resolveDataDir(undefined, { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toBe('C:\\Users\\u\\AppData\\Roaming\\Lifeboat');
  });
});
