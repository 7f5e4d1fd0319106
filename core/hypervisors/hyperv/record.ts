import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError, toLifeboatError } from '../../contract/errors';
import type { HostRecording } from '../../contract/hosts';
import type { HostConnection } from '../types';
import { hostSchema, inventorySchema, readOutput, toDiscoveredVm } from './output';
import { isFileSafeVmId, replayFileName, replayStderrFileName } from './replay-runner';
import { scripts, type PowerShellOutput, type PowerShellRunner, type PowerShellSecrets, type ScriptName } from './runner';

/**
 * The only scripts `recordHost` ever runs: each reads and changes nothing (Get-VMHost, Get-VM, Get-VHD,
 * Get-VMNetworkAdapter, Get-VMIntegrationService, Get-VMReplication, Measure-VMReplication, Get-CimInstance).
 */
export const READ_ONLY_SCRIPTS: readonly ScriptName[] = [scripts.host, scripts.listVms, scripts.heartbeat, scripts.measureReplication];

/** What replaces a value that looks like a secret in a recorded output. */
export const REDACTED = '••••';

export interface RecordOptions {
  /** Lifeboat's version, for the manifest. */
  version?: string;
  now?: Date;
}

interface Captured {
  script: ScriptName;
  vmId?: string;
  file: string;
  stderrFile?: string;
}

/**
 * `lifeboat hosts record`: runs only the read-only scripts on a Hyper-V host — the host, its VMs, and per VM its
 * heartbeat and (when replication is on) Measure-VMReplication — and saves their outputs in the layout
 * ReplayPowerShellRunner.fromFolder reads, with PROVENANCE.md (`recorded on <host>, <build>, <language>, <date>`)
 * and manifest.json (what ran, what was skipped and why, what failed). The host password, and every value that
 * looks like a secret, is replaced with "••••" before anything is written. `out` must be missing or empty.
 * When a script cannot run (host unreachable), the manifest says so, no provenance claims more than was saved,
 * and the typed error is thrown.
 */
export async function recordHost(
  runner: PowerShellRunner,
  host: HostConnection,
  out: string,
  options: RecordOptions = {},
): Promise<HostRecording> {
  prepareFolder(out);
  const now = options.now ?? new Date();
  const date = now.toISOString().slice(0, 10);
  const password = host.credentials?.password ?? '';
  const target = targetOf(host);
  const label = host.address ?? host.name;
  const captured: Captured[] = [];
  const skipped: HostRecording['skipped'] = [];
  const written: string[] = [];
  let hostName = host.name;
  let build = 'unknown build';
  let language = 'unknown language';

  const write = (file: string, text: string): void => {
    fs.writeFileSync(path.join(out, file), redactSecrets(text, password), { encoding: 'utf8', flag: 'wx' });
    written.push(file);
  };
  const run = async (script: ScriptName, vmId?: string): Promise<PowerShellOutput> => {
    if (!READ_ONLY_SCRIPTS.includes(script)) throw new LifeboatError('INTERNAL', `${script} changes the host; recording never runs it.`);
    const output = await runner.run(script, { ...target.params, ...(vmId !== undefined ? { vmId } : {}) }, target.secrets);
    const entry: Captured = { script, file: replayFileName(script, vmId) };
    if (vmId !== undefined) entry.vmId = vmId;
    write(entry.file, output.stdout);
    if (output.stderr.trim()) {
      entry.stderrFile = replayStderrFileName(script, vmId);
      write(entry.stderrFile, output.stderr);
    }
    captured.push(entry);
    return output;
  };
  const finish = (status: 'complete' | 'failed', error?: LifeboatError): void => {
    const provenance = written.map((file) => `- ${file}: recorded on ${hostName}, ${build}, ${language}, ${date}`);
    provenance.push(`- manifest.json: recorded on ${hostName}, ${build}, ${language}, ${date}`);
    const manifest = {
      status,
      hostId: host.id,
      hostName,
      kind: host.kind,
      address: host.address,
      lifeboatVersion: options.version ?? null,
      recordedAt: now.toISOString(),
      scripts: captured,
      skipped,
      ...(error ? { failed: { ...error.toBody(), afterScripts: captured.length } } : {}),
    };
    fs.writeFileSync(path.join(out, 'PROVENANCE.md'), redactSecrets(provenance.join('\n') + '\n', password), { flag: 'wx' });
    fs.writeFileSync(path.join(out, 'manifest.json'), redactSecrets(JSON.stringify(manifest, null, 2) + '\n', password), { flag: 'wx' });
  };

  try {
    const hostOutput = await run(scripts.host);
    const described = readOutput(hostOutput, hostSchema, { host: label, script: scripts.host });
    hostName = oneLine(described.name) || host.name;
    const data = { ...envelopeData(hostOutput.stdout), ...described };
    build = oneLine(stringField(data, ['build', 'buildNumber', 'osBuild', 'version'])) || build;
    language = oneLine(stringField(data, ['language', 'osLanguage', 'locale', 'culture', 'uiCulture'])) || language;
    const inventory = readOutput(await run(scripts.listVms), inventorySchema, { host: label, script: scripts.listVms });
    for (const vm of inventory.vms) {
      if (!isFileSafeVmId(vm.id)) {
        skipped.push({ script: scripts.heartbeat, vmId: vm.id, reason: 'the VM id cannot be part of a file name' });
        continue;
      }
      const vmId = vm.id.toLowerCase();
      await run(scripts.heartbeat, vmId);
      if (toDiscoveredVm(vm).replication === null) {
        skipped.push({ script: scripts.measureReplication, vmId, reason: 'replication is not enabled for this VM' });
      } else {
        await run(scripts.measureReplication, vmId);
      }
    }
  } catch (error) {
    const failure = toLifeboatError(error);
    finish('failed', failure);
    throw new LifeboatError(failure.code, `${failure.message} The recording in ${out} is incomplete: manifest.json says what was saved.`, {
      ...(failure.fix !== undefined ? { fix: failure.fix } : {}),
      cause: failure,
    });
  }
  finish('complete');
  return {
    hostId: host.id,
    hostName,
    folder: out,
    files: written,
    scripts: captured.map(({ script, vmId, file }) => ({ script, file, ...(vmId !== undefined ? { vmId } : {}) })),
    skipped,
  };
}

/** Where the scripts run, as HypervHost does it: this computer, or the remote host with its account (the password a secret). */
function targetOf(host: HostConnection): { params: Record<string, unknown>; secrets: PowerShellSecrets } {
  if (!host.address) return { params: {}, secrets: {} };
  if (!host.credentials) return { params: { computerName: host.address }, secrets: {} };
  return {
    params: { computerName: host.address, username: host.credentials.username },
    secrets: { password: host.credentials.password },
  };
}

/** Creates the folder, or refuses one that holds anything: a recording never overwrites a file. */
function prepareFolder(out: string): void {
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) {
      throw new LifeboatError('CONFLICT', `${out} is a file, not a folder.`, { fix: 'Choose a new or empty folder for the recording.' });
    }
    if (fs.readdirSync(out).length > 0) {
      throw new LifeboatError('CONFLICT', `The folder ${out} is not empty; recording writes only into a new or empty folder.`, {
        fix: 'Choose a new folder (it is created), or empty this one first.',
      });
    }
    return;
  }
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new LifeboatError('INVALID_INPUT', `Cannot create the folder ${out}.`, {
      fix: 'Choose a folder this account may write to.',
      cause: error,
    });
  }
}

/** The envelope's data as the script printed it, with fields the schema does not keep (a build number, a language). */
function envelopeData(stdout: string): Record<string, unknown> {
  try {
    const envelope = JSON.parse(stdout.replace(/^\uFEFF/, '').trim()) as { data?: unknown };
    return envelope.data && typeof envelope.data === 'object' ? (envelope.data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function stringField(data: Record<string, unknown>, names: string[]): string {
  for (const name of names) {
    const value = data[name];
    if (typeof value === 'string' && value.trim()) return value;
    if (typeof value === 'number') return String(value);
  }
  return '';
}

/** A value for a PROVENANCE.md line: one line, no separator that would split the line's fields. */
function oneLine(text: string | null | undefined): string {
  return (text ?? '').replace(/[\r\n,]+/g, ' ').trim();
}

const SECRET_KEY = String.raw`[^"\\]*(?:password|passwd|pwd|secret|token|apikey|api_key|credential|privatekey|private_key|connectionstring|sharedkey|sastoken)[^"\\]*`;
const SECRET_JSON_STRING = new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
const SECRET_IN_TEXT = /\b(password|passwd|pwd|secret|token|apikey)(\s*[=:]\s*)(?!••••)[^\s"',;&\\]+/gi;

/** The password as written, as JSON escapes it, as ConvertTo-Json of PowerShell 5.1 escapes it (\u0027 …), or mixed. */
function passwordPattern(password: string): RegExp {
  const spellings = (c: string): string[] => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return [c, JSON.stringify(c).slice(1, -1), `\\u${hex}`, `\\u${hex.toUpperCase()}`];
  };
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const source = [...password].map((c) => `(?:${[...new Set(spellings(c))].map(escape).join('|')})`).join('');
  return new RegExp(source, 'g');
}

/**
 * Replaces the password (as written, as JSON and PowerShell's ConvertTo-Json escape it, and in base64) and every
 * value that looks like a secret — a JSON string under a key like "password" or "token", `password=…` in text —
 * with "••••". Works on the text, so the output's own shape (BOM, line ends, truncation) is kept for replay.
 */
export function redactSecrets(text: string, password: string): string {
  let result = text;
  if (password) {
    result = result.replace(passwordPattern(password), REDACTED);
    if (password.length >= 6) result = result.split(Buffer.from(password, 'utf8').toString('base64')).join(REDACTED);
  }
  return result.replace(SECRET_JSON_STRING, `$1"${REDACTED}"`).replace(SECRET_IN_TEXT, `$1$2${REDACTED}`);
}
