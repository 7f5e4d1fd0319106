import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers/temp';

interface Problem {
  line: number;
  column: number;
  kind: string;
  message: string;
}

// A plain ESM script (lint runs it with node), so it is imported by URL and typed here.
const CHECK = path.join(repoRoot, 'scripts', 'powershell-check.mjs');
const { checkPowerShell } = (await import(pathToFileURL(CHECK).href)) as {
  checkPowerShell: (text: string, fileName?: string) => Problem[];
};

const SCRIPTS = path.join(repoRoot, 'resources', 'powershell');
const scripts = fs
  .readdirSync(SCRIPTS)
  .filter((f) => f.endsWith('.ps1'))
  .sort();

const kinds = (text: string, fileName = 'snippet.ps1') => checkPowerShell(text, fileName).map((p) => `${p.line}:${p.kind}`);

describe('the PowerShell grammar check run by lint', () => {
  it('finds every script', () => {
    expect(scripts).toContain('_Lifeboat.ps1');
    expect(scripts).toContain('Get-LifeboatVms.ps1');
    expect(scripts.length).toBeGreaterThanOrEqual(20);
  });

  it.each(scripts)('%s parses and passes the lint', (file) => {
    expect(checkPowerShell(fs.readFileSync(path.join(SCRIPTS, file), 'utf8'), file)).toEqual([]);
  });

  it('finds a closing brace missing from a real script, on its line', () => {
    const lines = fs.readFileSync(path.join(SCRIPTS, 'Get-LifeboatVms.ps1'), 'utf8').split('\n');
    expect(lines[58]).toBe('            }'); // the end of one integration service's [ordered]@{ ... }
    lines.splice(58, 1);
    const problems = checkPowerShell(lines.join('\n'), 'Get-LifeboatVms.ps1');
    expect(problems).toEqual([{ line: 59, column: 10, kind: 'MISSING', message: 'missing "}"' }]);
  });

  it('reports a syntax error as ERROR, on its line', () => {
    expect(kinds("Write-Output 'fine'\n$x = @(1, 2\nfunction Get-Thing { 1 }\n")).toEqual(['2:ERROR']);
  });

  it('rejects Invoke-Expression and its alias', () => {
    expect(kinds('$cmd = "Get-VM"\nInvoke-Expression $cmd\n')).toEqual(['2:invoke-expression']);
    expect(kinds('iex $cmd')).toEqual(['1:invoke-expression']);
  });

  it('rejects a destructive cmdlet told to ignore its errors, and only that', () => {
    expect(checkPowerShell('Remove-VM -Name x -ErrorAction SilentlyContinue')).toEqual([
      expect.objectContaining({ line: 1, column: 19, kind: 'silent-destructive' }),
    ]);
    expect(kinds('Hyper-V\\Stop-VM -Name x -ea:Ignore')).toEqual(['1:silent-destructive']);
    expect(kinds("Remove-Item $path -ErrorAction 'SilentlyContinue'")).toEqual(['1:silent-destructive']);
    expect(kinds('Get-VM -Name x -ErrorAction SilentlyContinue\nRemove-VM -Name x -ErrorAction Stop')).toEqual([]);
  });

  it('rejects commands built from strings', () => {
    expect(kinds('$sb = [scriptblock]::Create("Get-VM " + $name)')).toEqual(['1:string-command']);
    expect(kinds('Invoke-Command -ComputerName h -ScriptBlock ([ScriptBlock]::Create($text))')).toEqual(['1:string-command']);
    expect(kinds('$cmd = "Get-VM $name"\n& $cmd\n& "C:\\tools\\$exe"\n. (\'a\' + $b)')).toEqual([
      '2:string-command',
      '3:string-command',
      '4:string-command',
    ]);
    expect(kinds('Start-Process powershell.exe -ArgumentList "-Command $c"')).toEqual(['1:string-command']);
    // A script-block variable, a path from Join-Path and a constant path are no strings built at run time.
    expect(kinds("$sb = { Get-VM }\n& $sb\n. (Join-Path $PSScriptRoot '_Lifeboat.ps1')\n& 'C:\\tools\\x.exe'\n")).toEqual([]);
  });

  it('lets only Invoke-LifeboatGuestScript.ps1 turn the plan script into a script block', () => {
    const text = fs.readFileSync(path.join(SCRIPTS, 'Invoke-LifeboatGuestScript.ps1'), 'utf8');
    expect(checkPowerShell(text, 'Invoke-LifeboatGuestScript.ps1')).toEqual([]);
    expect(kinds(text, 'Other.ps1')).toEqual(['55:string-command']);
  });

  it('rejects PowerShell 7-only syntax', () => {
    expect(checkPowerShell('$a = 1\n$c = $a ?? $b')).toEqual([expect.objectContaining({ line: 2, column: 9, kind: 'ps7-syntax' })]);
    expect(kinds('$e ??= 3')).toEqual(['1:ps7-syntax']);
    expect(kinds('$d = $o?.Name')).toEqual(['1:ps7-syntax']);
    expect(kinds("$q = $x ? 'a' : 'b'")).toEqual(['1:ps7-syntax']);
    expect(kinds('Get-X && Get-Y\nGet-X || Get-Y')).toEqual(['1:ps7-syntax', '2:ps7-syntax']);
  });

  it('accepts switch -Regex, double-quoted patterns included, and still finds an error beside one', () => {
    const clean = 'switch -Regex ($s) {\n    \'^a\' { 1 }\n    "^(\\d+)$" { $Matches[1] }\n    default { 2 }\n}\n';
    expect(checkPowerShell(clean)).toEqual([]);
    expect(kinds(`${clean}$x = $y ?? 1\n`)).toEqual(['6:ps7-syntax']);
  });

  it('runs as a CLI: file:line:col kind message, exit 1 on a problem, 0 on the scripts', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'bad.ps1'), "Write-Output 'x'\nInvoke-Expression $cmd\n");
    const bad = spawnSync(process.execPath, [CHECK, path.join(dir, 'bad.ps1')], { encoding: 'utf8', cwd: dir });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^bad\.ps1:2:1 invoke-expression /m);

    const repo = spawnSync(process.execPath, [CHECK], { encoding: 'utf8', cwd: repoRoot });
    expect(repo.stdout).toBe('');
    expect(repo.status).toBe(0);
  });
});
