import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStaticFile } from '../../core/http/static-files';
import { tempDir } from '../helpers/temp';

describe('readStaticFile', () => {
  function site(): string {
    const parent = tempDir();
    const root = path.join(parent, 'site');
    fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'index.html'), '<html>app</html>');
    fs.writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    fs.writeFileSync(path.join(parent, 'outside-secret.txt'), 'secret');
    return root;
  }

  it('serves files with their type, hashed assets as immutable', () => {
    const root = site();
    expect(readStaticFile(root, '/assets/index-abc.js')).toMatchObject({
      contentType: expect.stringContaining('javascript'),
      immutable: true,
    });
    expect(readStaticFile(root, '/')?.body.toString()).toBe('<html>app</html>');
  });

  it('falls back to index.html for app routes but not for missing files', () => {
    const root = site();
    expect(readStaticFile(root, '/settings')?.body.toString()).toBe('<html>app</html>');
    expect(readStaticFile(root, '/assets/missing.js')).toBeNull();
  });

  it('never leaves the folder', () => {
    const root = site();
    for (const attempt of ['/../outside-secret.txt', '/..%2foutside-secret.txt', '/%2e%2e/outside-secret.txt', '/%E0%A4%A']) {
      const file = readStaticFile(root, attempt);
      expect(file?.body.toString() ?? null, attempt).not.toBe('secret');
    }
  });
});
