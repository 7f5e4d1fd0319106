import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { childEnv } from '../../child-env';
import { LifeboatError } from '../../contract/errors';

/** VMware's `vmrun` command line, as an interface so tests can stand in for a machine with Workstation. */
export interface VmrunRunner {
  run(args: readonly string[]): Promise<{ stdout: string; stderr: string; exitCode: number }>;
}

const CANDIDATES = [
  'C:\\Program Files (x86)\\VMware\\VMware Workstation\\vmrun.exe',
  'C:\\Program Files\\VMware\\VMware Workstation\\vmrun.exe',
  '/usr/bin/vmrun',
  '/usr/local/bin/vmrun',
  '/Applications/VMware Fusion.app/Contents/Library/vmrun',
];

/** The installed vmrun, or null: LIFEBOAT_VMRUN, then the standard install locations, then PATH. */
export function findVmrun(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LIFEBOAT_VMRUN) return fs.existsSync(env.LIFEBOAT_VMRUN) ? env.LIFEBOAT_VMRUN : null;
  for (const candidate of CANDIDATES) if (fs.existsSync(candidate)) return candidate;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['vmrun', 'vmrun.exe']) {
      const file = path.join(dir, name);
      if (dir && fs.existsSync(file)) return file;
    }
  }
  return null;
}

/** Runs vmrun with an argument array (never through a shell), `-T ws` first. */
export function vmrunRunner(executable: string): VmrunRunner {
  return {
    run: (args) =>
      new Promise((resolve) => {
        execFile(
          executable,
          ['-T', 'ws', ...args],
          { timeout: 10 * 60_000, windowsHide: true, env: childEnv() },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ stdout: String(stdout), stderr: String(stderr), exitCode: code });
          },
        );
      }),
  };
}

export function vmrunMissing(action: string): LifeboatError {
  return new LifeboatError(
    'MODULE_MISSING',
    `VMware Workstation's vmrun is not installed on this computer, so Lifeboat cannot ${action}.`,
    {
      fix: 'Install VMware Workstation (it includes vmrun), or power the VM off and try again: a powered-off VM needs no vmrun.',
    },
  );
}
