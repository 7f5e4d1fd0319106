import { describe, expect, it } from 'vitest';
import { MIN_PASSPHRASE_LENGTH, passphraseStrength } from '../../core/contract/passphrase';

describe('passphraseStrength', () => {
  it('refuses anything shorter than the minimum', () => {
    const short = passphraseStrength('X7#kq!2p');
    expect(short.acceptable).toBe(false);
    expect(short.label).toBe('Too short');
    expect(short.hint).toContain(String(MIN_PASSPHRASE_LENGTH));
  });

  it('refuses long but predictable passphrases', () => {
    for (const weak of ['password1234', 'aaaaaaaaaaaaaaaa', 'abcdefghijklmnop', 'qwertyuiop123', '123456123456']) {
      expect(passphraseStrength(weak).acceptable, weak).toBe(false);
    }
  });

  it('accepts a few unrelated words and ranks longer ones higher', () => {
    const words = passphraseStrength('correct horse battery staple');
    expect(words.acceptable).toBe(true);
    expect(words.score).toBeGreaterThanOrEqual(3);
    expect(passphraseStrength('Tulip-Harbour-93-Gravel').score).toBeGreaterThanOrEqual(passphraseStrength('tulip harbour').score);
  });
});
