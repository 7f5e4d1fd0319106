import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_FILE, KeyFileSecretBox } from '../../core/secrets/key-file-box';
import { tempDir } from '../helpers/temp';

describe('KeyFileSecretBox', () => {
  it('creates a 32-byte key readable by its owner only', () => {
    const dir = tempDir();
    new KeyFileSecretBox(dir);
    const stat = fs.statSync(path.join(dir, KEY_FILE));
    expect(stat.size).toBe(32);
    if (process.platform !== 'win32') expect(stat.mode & 0o777).toBe(0o600);
  });

  it('seals so the plaintext is not in the output, and opens it again with the same key file', () => {
    const dir = tempDir();
    const sealed = new KeyFileSecretBox(dir).seal('hunter2 horse battery');
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
    expect(new KeyFileSecretBox(dir).open(sealed)).toBe('hunter2 horse battery');
  });

  it('fails with SECRET_UNREADABLE under another key or after tampering', () => {
    const sealed = new KeyFileSecretBox(tempDir()).seal('secret value');
    expect(() => new KeyFileSecretBox(tempDir()).open(sealed)).toThrow(expect.objectContaining({ code: 'SECRET_UNREADABLE' }));
    const dir = tempDir();
    const box = new KeyFileSecretBox(dir);
    const mine = box.seal('secret value');
    mine[mine.length - 1]! ^= 0xff;
    expect(() => box.open(mine)).toThrow(expect.objectContaining({ code: 'SECRET_UNREADABLE' }));
    expect(() => box.open(Buffer.from([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'SECRET_UNREADABLE' }));
  });

  it('refuses a damaged key file rather than silently replacing it', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, KEY_FILE), Buffer.alloc(7));
    expect(() => new KeyFileSecretBox(dir)).toThrow(expect.objectContaining({ code: 'SECRET_UNREADABLE' }));
    expect(fs.statSync(path.join(dir, KEY_FILE)).size).toBe(7);
  });
});
