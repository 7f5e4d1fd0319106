import { spawn } from 'node:child_process';
import path from 'node:path';
import { childEnv } from '../child-env';
import { LifeboatError } from '../contract/errors';
import type { PlanScript } from '../contract/drills';

/** What a plan script is told about the drill, as JSON on its standard input. */
export interface ScriptContext {
  drillId: string;
  kind: string;
  plan: { id: string; name: string };
  phase: 'pre' | 'post';
  /** The group the script belongs to; null for the plan's own scripts. */
  group: string | null;
  vms: {
    id: string;
    name: string;
    group: string;
    status: string;
    recoveryPoint: { id: string; time: string } | null;
    /** Where the recovered VM answers from this machine; null when it is not reachable by design. */
    address: { host: string; ports: Record<number, number> } | null;
  }[];
}

export interface ScriptOutcome {
  exitCode: number | null;
  /** stdout and stderr as the script wrote them (trimmed, at most 16 000 characters). */
  output: string;
}

const MAX_OUTPUT = 16_000;

/**
 * Variables a script may see. Everything else stays behind — the engine's environment can hold the vault
 * passphrase, host passwords and storage keys, and a plan script is the user's own code.
 */
const PASSED_ENV = [
  'PATH',
  'Path',
  'PATHEXT',
  'SystemRoot',
  'SYSTEMROOT',
  'windir',
  'ComSpec',
  'TEMP',
  'TMP',
  'TMPDIR',
  'HOME',
  'USERPROFILE',
  'USERNAME',
  'USER',
  'COMPUTERNAME',
  'HOSTNAME',
  'LANG',
  'LC_ALL',
  'TZ',
  'ProgramData',
  'ProgramFiles',
  'APPDATA',
  'LOCALAPPDATA',
];

/**
 * Runs a plan script on this machine with no shell: its path and arguments travel as an argument vector,
 * the drill's context as JSON on stdin. Output (stdout and stderr, interleaved) is kept for the record.
 * Resolves on exit 0; otherwise throws SCRIPT_FAILED carrying the output.
 */
export async function runPlanScript(script: PlanScript, context: ScriptContext, signal: AbortSignal): Promise<ScriptOutcome> {
  const [command, args] = commandFor(script);
  const passed: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) passed[name] = process.env[name];
  // The allow-list above, scrubbed again like every child's environment; the drill's context given by name.
  const env = childEnv({ LIFEBOAT_DRILL_ID: context.drillId, LIFEBOAT_DRILL_PHASE: context.phase }, passed);
  return new Promise((resolve, reject) => {
    let output = '';
    let timedOut = false;
    const child = spawn(command, args, {
      cwd: path.dirname(script.path),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      shell: false,
    });
    const keep = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.stdin!.on('error', () => undefined); // a script that never reads its input closes the pipe early
    child.stdin!.end(JSON.stringify(context));
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, script.timeoutSeconds * 1000);
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      reject(
        new LifeboatError(
          'SCRIPT_FAILED',
          `The script ${script.path} could not be started: ${error.code === 'ENOENT' ? 'the file (or the program that runs it) does not exist' : error.message}.`,
          {
            fix: "Check the script's full path in the recovery plan, and that this account may run it.",
          },
        ),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      const text = output.trim().slice(0, MAX_OUTPUT);
      if (signal.aborted) return reject(signal.reason);
      if (code === 0) return resolve({ exitCode: 0, output: text });
      const why = timedOut
        ? `did not finish within ${script.timeoutSeconds} s and was stopped`
        : `exited with code ${code ?? 'unknown (killed)'}`;
      reject(
        new LifeboatError(
          'SCRIPT_FAILED',
          `The script ${path.basename(script.path)} ${why}${text ? `. Its output:\n${text.slice(-4000)}` : ' and printed nothing.'}`,
          {
            fix: 'Fix the script (run it by hand with the drill context on stdin to see why), or remove it from the plan.',
          },
        ),
      );
    });
  });
}

/** Script files run through their interpreter; anything else is started as a program. */
function commandFor(script: PlanScript): [string, string[]] {
  const ext = path.extname(script.path).toLowerCase();
  if (ext === '.ps1') {
    const powershell = process.platform === 'win32' ? 'powershell.exe' : 'pwsh';
    return [powershell, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', script.path, ...script.args]];
  }
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return [process.execPath, [script.path, ...script.args]];
  if (ext === '.sh' && process.platform !== 'win32') return ['bash', [script.path, ...script.args]];
  return [script.path, script.args];
}
