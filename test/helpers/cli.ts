import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './temp';

const BIN = path.join(repoRoot, 'bin', 'lifeboat.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `lifeboat` command as a user would (npm test builds dist/ first). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: repoRoot,
    env: { ...process.env, LIFEBOAT_DATA: '', LIFEBOAT_PASSPHRASE: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface ServingConsole {
  url: string;
  origin: string;
  token: string;
  process: ChildProcessWithoutNullStreams;
  stop(): Promise<number | null>;
}

/** Starts `lifeboat serve` and resolves once it prints its link; the link line is the readiness signal. */
export function serveConsole(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServingConsole> {
  return startEngine([...args, 'serve'], env);
}

/** Starts a long-running subcommand (serve, agent) and resolves when it prints the console link. */
export function startEngine(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServingConsole> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: repoRoot,
    env: { ...process.env, LIFEBOAT_DATA: '', ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // The link as printed: `#token=` (or `?token=` when it names an engine that was already running).
      const match = /Lifeboat console: (http:\/\/127\.0\.0\.1:\d+)\/([?#])token=(\S+)/.exec(stdout);
      if (match) {
        resolve({
          url: `${match[1]}/${match[2]}token=${match[3]}`,
          origin: match[1]!,
          token: match[3]!,
          process: child,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`lifeboat serve exited with ${code}: ${stderr}`)));
  });
}
