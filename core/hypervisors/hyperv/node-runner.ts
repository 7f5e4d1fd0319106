import fs from 'node:fs';
import path from 'node:path';
import { PowerShell } from 'node-powershell';
import { LifeboatError } from '../../contract/errors';
import { findScriptsDir, invocationText, type PowerShellOutput, type PowerShellRunner, type ScriptName } from './runner';

/** The executable node-powershell will start: NODE_POWERSHELL, else powershell.exe on Windows, pwsh elsewhere. */
export function powerShellExecutable(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NODE_POWERSHELL) return env.NODE_POWERSHELL;
  const names = process.platform === 'win32' ? ['powershell.exe', 'pwsh.exe'] : ['pwsh'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return process.platform === 'win32' ? 'powershell.exe' : null;
}

/**
 * Real PowerShell through node-powershell: one long-lived process per host connection (module loading
 * costs seconds), commands queued one at a time.
 */
export class NodePowerShellRunner implements PowerShellRunner {
  private shell: PowerShell | null = null;

  constructor(
    private readonly scriptsDir: string = findScriptsDir(),
    private readonly timeoutMs = 30 * 60_000,
  ) {}

  private start(): PowerShell {
    if (this.shell) return this.shell;
    const executable = powerShellExecutable();
    if (!executable) {
      throw new LifeboatError('MODULE_MISSING', 'PowerShell is not installed on this computer, so Lifeboat cannot manage Hyper-V from here.', {
        fix: 'Run Lifeboat on Windows (the Hyper-V host itself or a Windows machine with the Hyper-V management tools).',
      });
    }
    this.shell = new PowerShell({
      executable,
      executableOptions: { '-NoLogo': true, '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
      outputEncoding: 'utf8',
      invocationTimeout: this.timeoutMs,
      throwOnInvocationError: false,
    });
    return this.shell;
  }

  async run(script: ScriptName, params: Record<string, unknown>): Promise<PowerShellOutput> {
    const shell = this.start();
    const result = await shell.invoke(invocationText(path.join(this.scriptsDir, script), params));
    // The shell keeps every invocation (with its parameters, credentials included) unless told otherwise.
    shell.history.length = 0;
    return { stdout: result.stdout?.toString('utf8') ?? result.raw, stderr: result.stderr?.toString('utf8') ?? '' };
  }

  async close(): Promise<void> {
    const shell = this.shell;
    this.shell = null;
    await shell?.dispose().catch(() => undefined);
  }
}
