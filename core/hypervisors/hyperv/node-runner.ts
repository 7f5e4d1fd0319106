import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PowerShell } from 'node-powershell';
import { childEnv } from '../../child-env';
import { LifeboatError } from '../../contract/errors';
import {
  findScriptsDir,
  invocationText,
  secretsValue,
  SECRETS_VARIABLE,
  type PowerShellOutput,
  type PowerShellRunner,
  type PowerShellSecrets,
  type ScriptName,
} from './runner';

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
 * Real PowerShell through node-powershell: long-lived processes per host connection (module loading costs
 * seconds), commands queued one at a time. The command text (written to the process's stdin) holds only
 * the script's path and base64 parameters; passwords reach the script through SECRETS_VARIABLE in the
 * environment the process is started with, so each set of secrets (the host's account alone, or with a
 * guest account) has its own process. Started with no parameters in argv and a scrubbed environment.
 */
export class NodePowerShellRunner implements PowerShellRunner {
  /** By a digest of their secrets; the process for "no secrets" is keyed by the empty string. */
  private readonly shells = new Map<string, PowerShell>();

  constructor(
    private readonly scriptsDir: string = findScriptsDir(),
    private readonly timeoutMs = 30 * 60_000,
  ) {}

  private shellFor(secrets: PowerShellSecrets): PowerShell {
    const value = secretsValue(secrets);
    const key = value === null ? '' : createHash('sha256').update(value).digest('hex');
    const running = this.shells.get(key);
    if (running) return running;
    const executable = powerShellExecutable();
    if (!executable) {
      throw new LifeboatError(
        'MODULE_MISSING',
        'PowerShell is not installed on this computer, so Lifeboat cannot manage Hyper-V from here.',
        {
          fix: 'Run Lifeboat on Windows (the Hyper-V host itself or a Windows machine with the Hyper-V management tools).',
        },
      );
    }
    const shell = new PowerShell({
      executable,
      executableOptions: { '-NoLogo': true, '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
      spawnOptions: { env: childEnv(value === null ? {} : { [SECRETS_VARIABLE]: value }) },
      outputEncoding: 'utf8',
      invocationTimeout: this.timeoutMs,
      throwOnInvocationError: false,
    });
    this.shells.set(key, shell);
    return shell;
  }

  async run(script: ScriptName, params: Record<string, unknown>, secrets: PowerShellSecrets = {}): Promise<PowerShellOutput> {
    const command = invocationText(path.join(this.scriptsDir, script), params);
    const shell = this.shellFor(secrets);
    const result = await shell.invoke(command);
    // The shell keeps every invocation (with its parameters) unless told otherwise.
    shell.history.length = 0;
    return { stdout: result.stdout?.toString('utf8') ?? result.raw, stderr: result.stderr?.toString('utf8') ?? '' };
  }

  async close(): Promise<void> {
    const shells = [...this.shells.values()];
    this.shells.clear();
    await Promise.all(shells.map((shell) => shell.dispose().catch(() => undefined)));
  }
}
