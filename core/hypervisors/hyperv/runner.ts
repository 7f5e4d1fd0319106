import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The scripts in resources/powershell that the Hyper-V provider runs. */
export const scripts = {
  host: 'Get-LifeboatHost.ps1',
  listVms: 'Get-LifeboatVms.ps1',
  checkpoint: 'New-LifeboatCheckpoint.ps1',
  removeCheckpoint: 'Remove-LifeboatCheckpoint.ps1',
  createVm: 'New-LifeboatIsolatedVm.ps1',
  power: 'Set-LifeboatVmPower.ps1',
  heartbeat: 'Get-LifeboatHeartbeat.ps1',
  removeVm: 'Remove-LifeboatVm.ps1',
  enableReplication: 'Enable-LifeboatReplication.ps1',
  measureReplication: 'Measure-LifeboatReplication.ps1',
  startTestFailover: 'Start-LifeboatTestFailover.ps1',
  stopTestFailover: 'Stop-LifeboatTestFailover.ps1',
  failoverPrepare: 'Invoke-LifeboatFailoverPrepare.ps1',
  plannedFailover: 'Invoke-LifeboatPlannedFailover.ps1',
  unplannedFailover: 'Invoke-LifeboatUnplannedFailover.ps1',
  undoFailoverPrepare: 'Undo-LifeboatFailoverPrepare.ps1',
  reverseReplication: 'Set-LifeboatReverseReplication.ps1',
  guestPort: 'Test-LifeboatGuestPort.ps1',
  guestScript: 'Invoke-LifeboatGuestScript.ps1',
} as const;

export type ScriptName = (typeof scripts)[keyof typeof scripts];

export interface PowerShellOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs one of Lifeboat's PowerShell scripts with parameters. A Windows machine runs it for real
 * (node-powershell); tests replay recorded outputs through the same parsing code.
 */
export interface PowerShellRunner {
  run(script: ScriptName, params: Record<string, unknown>): Promise<PowerShellOutput>;
  close(): Promise<void>;
}

/**
 * The one line of PowerShell text Lifeboat ever composes: the call operator, the script's path (ours, from
 * the resources folder, quoted) and the parameters as base64 of their JSON. Base64's alphabet has no quote,
 * no `$`, no `;`, so nothing a user typed can become code.
 */
export function invocationText(scriptPath: string, params: Record<string, unknown>): string {
  const encoded = Buffer.from(JSON.stringify(params), 'utf8').toString('base64');
  return `& ${singleQuoted(scriptPath)} -ParamsBase64 '${encoded}'`;
}

/** PowerShell single-quoted literal: only the quote itself (and its typographic twins) needs doubling. */
export function singleQuoted(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** resources/powershell next to the bundled CLI (dist/), or in the repository when running from source. */
export function findScriptsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.LIFEBOAT_SCRIPTS_DIR,
    path.resolve(here, '..', 'resources', 'powershell'),
    path.resolve(here, '..', '..', '..', 'resources', 'powershell'),
    process.resourcesPath ? path.join(process.resourcesPath, 'powershell') : undefined,
  ].filter((dir): dir is string => typeof dir === 'string');
  return candidates.find((dir) => fs.existsSync(path.join(dir, scripts.listVms))) ?? candidates[1]!;
}
