import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../contract/errors';
import { invocationText, type PowerShellOutput, type PowerShellRunner, type PowerShellSecrets, type ScriptName } from './runner';

export type Recording = PowerShellOutput | ((params: Record<string, unknown>) => PowerShellOutput);

export interface ReplayedCall {
  script: ScriptName;
  params: Record<string, unknown>;
  /** What the real runner would have put in the PowerShell process's environment, never in its command text. */
  secrets: PowerShellSecrets;
  /** The exact text the real runner would have sent to PowerShell. */
  command: string;
}

/**
 * Answers with saved script outputs (PowerShell 5.1 and 7 shapes), through the same parsing as a live host. The
 * test fixtures were written by hand from Microsoft's documentation (see the READMEs under test/fixtures/hyperv);
 * none was recorded on a real host. Used by tests, and by `LIFEBOAT_POWERSHELL_REPLAY=<folder>` to look at a customer's recorded
 * host offline. A folder holds `<script>.json` (stdout) and optionally `<script>.stderr.txt`.
 */
export class ReplayPowerShellRunner implements PowerShellRunner {
  readonly calls: ReplayedCall[] = [];

  constructor(
    private readonly recordings: Partial<Record<ScriptName, Recording | Recording[]>>,
    private readonly scriptsDir = 'C:\\Program Files\\Lifeboat\\resources\\powershell',
  ) {}

  static fromFolder(folder: string): ReplayPowerShellRunner {
    const recordings: Partial<Record<ScriptName, Recording>> = {};
    for (const file of fs.readdirSync(folder)) {
      const match = /^(.+\.ps1)\.json$/.exec(file);
      if (!match) continue;
      const script = match[1] as ScriptName;
      const stderrFile = path.join(folder, `${script}.stderr.txt`);
      recordings[script] = {
        stdout: fs.readFileSync(path.join(folder, file), 'utf8'),
        stderr: fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8') : '',
      };
    }
    return new ReplayPowerShellRunner(recordings);
  }

  async run(script: ScriptName, params: Record<string, unknown>, secrets: PowerShellSecrets = {}): Promise<PowerShellOutput> {
    this.calls.push({ script, params, secrets, command: invocationText(`${this.scriptsDir}\\${script}`, params) });
    const entry = this.recordings[script];
    const recording = Array.isArray(entry) ? entry.shift() : entry;
    if (!recording) {
      throw new LifeboatError('MODULE_MISSING', `No recorded output for ${script}.`, {
        fix: "Record this script's output on the Hyper-V host, or run Lifeboat there.",
      });
    }
    return typeof recording === 'function' ? recording(params) : recording;
  }

  async close(): Promise<void> {}
}
