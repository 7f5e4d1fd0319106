import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_FILE, KeyFileSecretBox } from '../../core/secrets/key-file-box';
import { openCatalog } from '../../core/store/database';
import { SecretsStore } from '../../core/store/secrets';
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

describe('SecretsStore', () => {
  it('binds each sealed value to its row: two secrets swapped in the catalog fail to open, saying so', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    const store = new SecretsStore(db, new KeyFileSecretBox(dir));
    const now = new Date('2026-12-03T12:00:00Z');
    store.put('vault-passphrase', 'vault passphrase', 'Tulip-Harbour-93-Gravel-Lantern', now);
    store.put('smtp-password', 'email password', 'mail-secret', now);
    expect(store.get('vault-passphrase')).toBe('Tulip-Harbour-93-Gravel-Lantern');

    // An attacker with write access to lifeboat.db swaps the two sealed values.
    const sealed = (id: string) => (db.prepare('SELECT sealed FROM secrets WHERE id = ?').get(id) as { sealed: Buffer }).sealed;
    const [a, b] = [sealed('vault-passphrase'), sealed('smtp-password')];
    db.prepare('UPDATE secrets SET sealed = ? WHERE id = ?').run(b, 'vault-passphrase');
    db.prepare('UPDATE secrets SET sealed = ? WHERE id = ?').run(a, 'smtp-password');
    expect(() => store.get('vault-passphrase')).toThrow(
      expect.objectContaining({
        code: 'SECRET_UNREADABLE',
        message: expect.stringContaining(
          'holds the sealed value of another secret ("smtp-password", email password): the catalog was altered',
        ),
      }),
    );
    expect(() => store.get('smtp-password')).toThrow(expect.objectContaining({ code: 'SECRET_UNREADABLE' }));
    db.close();
  });

  it('seals again, bound to their rows, the values an earlier version sealed bare', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    const box = new KeyFileSecretBox(dir);
    db.prepare('INSERT INTO secrets (id, purpose, box, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      'old',
      'legacy',
      box.kind,
      box.seal('bare value'),
      'x',
      'x',
    );
    const store = new SecretsStore(db, box);
    expect(store.get('old')).toBe('bare value');
    const resealed = (db.prepare('SELECT sealed FROM secrets WHERE id = ?').get('old') as { sealed: Buffer }).sealed;
    expect(JSON.parse(box.open(resealed))).toEqual({ v: 2, id: 'old', purpose: 'legacy', value: 'bare value' });
    db.close();
  });
});

describe('SecretsStore moving from one box to another', () => {
  it('seals again with the new box what the previous box sealed (the desktop app leaving a plain-text keystore)', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    // A stand-in for safeStorage's plain-text backend: it "seals" by prefixing, as basic_text barely does more.
    const plain = {
      kind: 'electron-safe-storage',
      seal: (text: string) => Buffer.from(`plain:${text}`),
      open: (sealed: Buffer) => sealed.toString().slice('plain:'.length),
    };
    new SecretsStore(db, plain).put('vault-passphrase', 'vault passphrase', 'Tulip-Harbour-93-Gravel-Lantern', new Date());
    const box = new KeyFileSecretBox(dir);
    expect(() => new SecretsStore(db, box).get('vault-passphrase')).toThrow(expect.objectContaining({ code: 'SECRET_UNREADABLE' }));
    const moved = new SecretsStore(db, box, plain);
    expect(moved.get('vault-passphrase')).toBe('Tulip-Harbour-93-Gravel-Lantern');
    const row = db.prepare('SELECT box, sealed FROM secrets WHERE id = ?').get('vault-passphrase') as { box: string; sealed: Buffer };
    expect(row.box).toBe('key-file');
    expect(row.sealed.includes(Buffer.from('Tulip'))).toBe(false);
    db.close();
  });
});
