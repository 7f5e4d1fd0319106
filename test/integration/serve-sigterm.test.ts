import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { serveConsole } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

/**
 * A service manager stops the engine with SIGTERM and waits ~10 s before SIGKILL: the engine must be gone by
 * then, even when a stop step fails, and say why it did not stop cleanly (exit code non-zero).
 */
describe('lifeboat serve on SIGTERM (needs npm run build)', () => {
  it('exits within 10 s with a non-zero code and the reason on stderr when its data folder was deleted', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const served = await serveConsole(['--data', dataDir]);
    // Even when the test fails or times out, no engine is left running.
    onTestFinished(() => {
      if (served.process.exitCode === null && served.process.signalCode === null) served.process.kill('SIGKILL');
    });
    let stderr = '';
    served.process.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      served.process.once('exit', (code, signal) => resolve({ code, signal })),
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
    const sent = Date.now();
    served.process.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(stderr).toContain(`error: Lifeboat serve stopped, but not cleanly (its data folder ${dataDir} is gone)`);
    expect(stderr).toMatch(/writing "stopping" to the log failed: ENOENT/);
    expect(stderr).toContain('fix: ');
  }, 15_000);
});
