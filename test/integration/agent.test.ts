import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../core/engine-lock';
import { runCli, startEngine } from '../helpers/cli';
import { tempDir } from '../helpers/temp';

async function callApi(origin: string, token: string, method: string): Promise<Response> {
  return fetch(`${origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{}',
  });
}

describe('lifeboat agent', () => {
  it('runs the engine, serves consoles, and refuses a second engine on the same data folder', async () => {
    const dir = tempDir();
    const agent = await startEngine(['--data', dir, 'agent']);
    try {
      expect((await callApi(agent.origin, agent.token, 'getStatus')).status).toBe(200);
      const lock = fs.statSync(path.join(dir, LOCK_FILE));
      expect(lock.mode & 0o777).toBe(0o600);

      const second = runCli(['--data', dir, 'agent']);
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/The Lifeboat agent \(process \d+ .*\) is already running the engine for/);
      expect(second.stderr).toContain('fix:');

      // A browser console on the same folder connects to the agent rather than starting an engine.
      const serve = runCli(['--data', dir, 'serve']);
      expect(serve.status).toBe(0);
      expect(serve.stdout.trim()).toBe(`Lifeboat console: ${agent.url}`);
      const page = await fetch(agent.url);
      expect(await page.text()).toContain('<div id="root">');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'logs', 'lifeboat.log'), 'utf8')).toMatch(/agent started[\s\S]*agent stopping/);
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, LOCK_FILE),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        hostname: (await import('node:os')).hostname(),
        startedAt: '2026-01-01T00:00:00Z',
        kind: 'agent',
        url: null,
      }),
    );
    const agent = await startEngine(['--data', dir, 'agent']);
    expect((await callApi(agent.origin, agent.token, 'getStatus')).status).toBe(200);
    expect(await agent.stop()).toBe(0);
  });
});
