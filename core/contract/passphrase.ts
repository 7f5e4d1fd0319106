/**
 * Passphrase strength, shared by the wizard (live meter) and the service (the final word), so the UI can
 * never accept what the engine would refuse. A rough entropy estimate is enough here: the vault key is
 * stretched with scrypt, and the goal is to stop "password1", not to rank strong passphrases.
 */
export const MIN_PASSPHRASE_LENGTH = 12;
export const MIN_ACCEPTED_SCORE = 2;

export type StrengthScore = 0 | 1 | 2 | 3 | 4;

export interface PassphraseStrength {
  score: StrengthScore;
  label: 'Too short' | 'Weak' | 'Fair' | 'Good' | 'Strong';
  /** Estimated entropy in bits. */
  bits: number;
  acceptable: boolean;
  /** What would make it stronger, in plain words; empty when strong. */
  hint: string;
}

const COMMON = ['password', 'passw0rd', 'qwerty', 'letmein', 'welcome', 'admin', 'lifeboat', '123456', 'abc123', 'iloveyou', 'backup'];
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '0123456789', 'qwertyuiopasdfghjklzxcvbnm'];

function charsetSize(text: string): number {
  let size = 0;
  if (/[a-z]/.test(text)) size += 26;
  if (/[A-Z]/.test(text)) size += 26;
  if (/[0-9]/.test(text)) size += 10;
  if (/[^a-zA-Z0-9]/.test(text)) size += 33;
  return Math.max(size, 1);
}

/** Characters that add little: repeats of the previous char and steps of a keyboard/alphabet run. */
function predictableChars(text: string): number {
  const lower = text.toLowerCase();
  let predictable = 0;
  for (let i = 1; i < lower.length; i++) {
    const pair = lower.slice(i - 1, i + 1);
    if (pair[0] === pair[1] || SEQUENCES.some((run) => run.includes(pair))) predictable++;
  }
  return predictable;
}

export function passphraseStrength(passphrase: string): PassphraseStrength {
  const lower = passphrase.toLowerCase();
  let effectiveLength = passphrase.length - predictableChars(passphrase) * 0.75;
  for (const word of COMMON) {
    if (lower.includes(word)) effectiveLength -= word.length - 1;
  }
  const bits = Math.max(0, Math.round(Math.max(effectiveLength, 0) * Math.log2(charsetSize(passphrase))));

  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    return {
      score: 0,
      label: 'Too short',
      bits,
      acceptable: false,
      hint: `Use at least ${MIN_PASSPHRASE_LENGTH} characters — a few unrelated words work well.`,
    };
  }
  const score: StrengthScore = bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  const labels = ['Too short', 'Weak', 'Fair', 'Good', 'Strong'] as const;
  const hints = [
    '',
    'Avoid common words, repeated characters and keyboard runs; add another unrelated word.',
    'Acceptable. Another unrelated word would make it much stronger.',
    'Good. A longer passphrase is stronger still.',
    '',
  ];
  return { score, label: labels[score], bits, acceptable: score >= MIN_ACCEPTED_SCORE, hint: hints[score] ?? '' };
}
