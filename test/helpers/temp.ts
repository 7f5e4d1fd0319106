import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh folder removed when the current test finishes. */
export function tempDir(prefix = 'lifeboat-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Same, for use in beforeAll/afterAll where onTestFinished is not available. */
export function tempDirManual(prefix = 'lifeboat-test-'): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
