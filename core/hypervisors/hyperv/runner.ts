import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LifeboatError } from '../../contract/errors';

/** The scripts in resources/powershell that the Hyper-V provider runs. */
export const scripts = {
  host: 'Get-LifeboatHost.ps1',
  listVms: 'Get-LifeboatVms.ps1',
  checkpoint: 'New-LifeboatCheckpoint.ps1',
  removeCheckpoint: 'Remove-LifeboatCheckpoint.ps1',
  diskChanges: 'Get-LifeboatDiskChanges.ps1',
  saveReferencePoint: 'Save-LifeboatReferencePoint.ps1',
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
 * The passwords a script needs: the remote host's account (Invoke-Command -Credential) and the guest account
 * (PowerShell Direct). They never travel in the command text, which PowerShell's script block logging,
 * transcripts and node-powershell's history keep: see SECRETS_VARIABLE.
 */
export interface PowerShellSecrets {
  password?: string;
  guestPassword?: string;
}

/**
 * The environment variable that carries the secrets (base64 of their UTF-8 JSON) into the PowerShell process:
 * set only for that process, when it is started; _Lifeboat.ps1 reads it and builds the PSCredential there.
 */
export const SECRETS_VARIABLE = 'LIFEBOAT_PS_SECRETS';

const SECRET_NAMES: readonly (keyof PowerShellSecrets)[] = ['password', 'guestPassword'];

/** The value of SECRETS_VARIABLE for these secrets, or null when there are none. */
export function secretsValue(secrets: PowerShellSecrets): string | null {
  const present = Object.fromEntries(Object.entries(secrets).filter(([, value]) => typeof value === 'string'));
  return Object.keys(present).length === 0 ? null : Buffer.from(JSON.stringify(present), 'utf8').toString('base64');
}

/**
 * Runs one of Lifeboat's PowerShell scripts with parameters. A Windows machine runs it for real
 * (node-powershell); tests replay recorded outputs through the same parsing code. `params` travel in the
 * command text (as base64 JSON, see invocationText); `secrets` never do.
 */
export interface PowerShellRunner {
  run(script: ScriptName, params: Record<string, unknown>, secrets?: PowerShellSecrets): Promise<PowerShellOutput>;
  close(): Promise<void>;
}

/**
 * The one line of PowerShell text Lifeboat ever composes: the call operator, the script's path (ours, from
 * the resources folder, quoted) and the parameters as base64 of their JSON. Base64's alphabet has no quote,
 * no `$`, no `;`, so nothing a user typed can become code. Base64 hides nothing: no password goes in here.
 */
export function invocationText(scriptPath: string, params: Record<string, unknown>): string {
  for (const name of SECRET_NAMES) {
    if (name in params)
      throw new LifeboatError('INTERNAL', `The parameter ${name} is a secret and cannot travel in PowerShell's command text.`, {
        fix: "Pass it as one of the runner's secrets.",
      });
  }
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
