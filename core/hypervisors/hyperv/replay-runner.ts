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

/** A saved output larger than this is refused rather than read into memory. */
export const MAX_REPLAY_FILE_BYTES = 16 * 1024 * 1024;
/** How many calls `calls` keeps (the most recent ones). */
export const MAX_REPLAYED_CALLS = 1000;

/** The file name of a script's saved stdout: `<script>.json`, or `<script>.<vmId>.json` for one VM's call. */
export function replayFileName(script: ScriptName, vmId?: string): string {
  return vmId === undefined ? `${script}.json` : `${script}.${vmId.toLowerCase()}.json`;
}

/** The file name of a script's saved stderr, beside its stdout file. */
export function replayStderrFileName(script: ScriptName, vmId?: string): string {
  return vmId === undefined ? `${script}.stderr.txt` : `${script}.${vmId.toLowerCase()}.stderr.txt`;
}

/** A VM id that can be part of a file name (Hyper-V VM ids are GUIDs). */
export function isFileSafeVmId(vmId: unknown): vmId is string {
  return typeof vmId === 'string' && /^[0-9A-Za-z-]{1,64}$/.test(vmId);
}

/**
 * Answers with saved script outputs (PowerShell 5.1 and 7 shapes), through the same parsing as a live host.
 *
 * Two sources: an in-memory map of recordings (tests), or a folder (`fromFolder`). The test fixtures under
 * test/fixtures/hyperv were written by hand from Microsoft's documentation (each folder's PROVENANCE.md says from
 * which page); none was recorded on a real host. A folder written by `lifeboat hosts record` holds outputs
 * captured on a real host, and a Hyper-V host added with `lifeboat hosts add hyperv --replay DIR` (the host
 * setting `replayFolder`) answers every script from it: support looks at a customer's host offline.
 *
 * A folder holds `<script>.json` (stdout) and optionally `<script>.stderr.txt`; a call for one VM (params.vmId = X)
 * is answered from `<script>.<x>.json` when that file is there, else from `<script>.json`. Files are read when a
 * call first asks for them, never the whole folder up front, and a file over 16 MiB is refused.
 */
export class ReplayPowerShellRunner implements PowerShellRunner {
  /** The most recent calls (at most MAX_REPLAYED_CALLS), oldest first. */
  readonly calls: ReplayedCall[] = [];
  private folder: string | null = null;

  constructor(
    private readonly recordings: Partial<Record<ScriptName, Recording | Recording[]>> = {},
    private readonly scriptsDir = 'C:\\Program Files\\Lifeboat\\resources\\powershell',
  ) {}

  /** Replays a folder of saved outputs; entries put in `recordings` take precedence over the folder's files. */
  static fromFolder(folder: string): ReplayPowerShellRunner {
    const runner = new ReplayPowerShellRunner({});
    runner.folder = folder;
    return runner;
  }

  async run(script: ScriptName, params: Record<string, unknown>, secrets: PowerShellSecrets = {}): Promise<PowerShellOutput> {
    this.calls.push({ script, params, secrets, command: invocationText(`${this.scriptsDir}\\${script}`, params) });
    if (this.calls.length > MAX_REPLAYED_CALLS) this.calls.splice(0, this.calls.length - MAX_REPLAYED_CALLS);
    const entry = this.recordings[script];
    const recording = Array.isArray(entry) ? entry.shift() : (entry ?? (this.folder !== null ? this.fromDisk(script, params) : undefined));
    if (!recording) throw noRecording(script);
    return typeof recording === 'function' ? recording(params) : recording;
  }

  async close(): Promise<void> {}

  private fromDisk(script: ScriptName, params: Record<string, unknown>): PowerShellOutput | undefined {
    const folder = this.folder!;
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      throw new LifeboatError('INVALID_INPUT', `The replay folder ${folder} does not exist.`, {
        fix: 'Point --replay at the folder `lifeboat hosts record` wrote, or remove this host and add it again without --replay.',
      });
    }
    const vmId = isFileSafeVmId(params.vmId) ? params.vmId : undefined;
    const perVm = vmId !== undefined ? path.join(folder, replayFileName(script, vmId)) : null;
    if (perVm && fs.existsSync(perVm)) {
      return { stdout: readBounded(perVm), stderr: readIfPresent(path.join(folder, replayStderrFileName(script, vmId))) };
    }
    const general = path.join(folder, replayFileName(script));
    if (!fs.existsSync(general)) return undefined;
    return { stdout: readBounded(general), stderr: readIfPresent(path.join(folder, replayStderrFileName(script))) };
  }
}

function noRecording(script: ScriptName): LifeboatError {
  return new LifeboatError('MODULE_MISSING', `No recorded output for ${script}.`, {
    fix: "Record this script's output on the Hyper-V host (`lifeboat hosts record`), or run Lifeboat there.",
  });
}

function readIfPresent(file: string): string {
  return fs.existsSync(file) ? readBounded(file) : '';
}

/** One saved output, refused when it is larger than MAX_REPLAY_FILE_BYTES (it would only fill memory). */
function readBounded(file: string): string {
  const size = fs.statSync(file).size;
  if (size > MAX_REPLAY_FILE_BYTES) {
    throw new LifeboatError(
      'INVALID_INPUT',
      `The saved output ${file} is ${Math.ceil(size / (1024 * 1024))} MiB; Lifeboat replays files of at most 16 MiB.`,
      {
        fix: 'This is not an output `lifeboat hosts record` writes: record the host again into an empty folder, or replace this file with the script output it should hold.',
      },
    );
  }
  return fs.readFileSync(file, 'utf8');
}
