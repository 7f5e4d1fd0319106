import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { childEnv } from '../../core/child-env';
import { runPlanScript } from '../../core/drills/plan-scripts';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { NodePowerShellRunner } from '../../core/hypervisors/hyperv/node-runner';
import { HypervHost } from '../../core/hypervisors/hyperv/provider';
import type { HostConnection } from '../../core/hypervisors/types';
import { vmrunRunner } from '../../core/hypervisors/workstation/vmrun';
import { runCli } from '../helpers/cli';
import { repoRoot, tempDir } from '../helpers/temp';

// Secrets given to Lifeboat never sit where another account on the machine can read them: a process's
// argv (/proc/<pid>/cmdline is world-readable), PowerShell's command text (script block logging,
// transcripts), or the environment of the programs Lifeboat starts.

const BIN = path.join(repoRoot, 'bin', 'lifeboat.js');
const ENGINE_SECRETS = {
  LIFEBOAT_PASSPHRASE: 'vault-passphrase-Xq1',
  LIFEBOAT_HOST_PASSWORD: 'host-password-Xq2',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-Xq3',
  AWS_ACCESS_KEY_ID: 'AKIAXQ4',
  AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=azure-key-Xq5',
  AZURITE_ACCOUNTS: 'devstoreaccount1:azurite-key-Xq6',
};

/** The NUL-separated file of a process under /proc (cmdline, environ) as a list. */
function procList(pid: number, file: 'cmdline' | 'environ'): string[] {
  return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
}

describe('lifeboat call reads its input from stdin or a file', () => {
  const SMTP_PASSWORD = 'Sm7p-St4nd-In/0ut';
  const FILE_PASSWORD = 'F1le-Passw0rd"quoted';
  const accepted: string[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts@acme.test' && (auth.password === SMTP_PASSWORD || auth.password === FILE_PASSWORD)) {
          accepted.push(auth.password ?? '');
          callback(null, { user: auth.username });
        } else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const settings = (password: string) => ({
    enabled: true,
    host: '127.0.0.1',
    port,
    security: 'none',
    username: 'alerts@acme.test',
    password,
    from: 'alerts@acme.test',
    to: ['it@acme.test'],
  });

  /**
   * Starts `lifeboat <args>`; `feed` runs once the process exists (it is blocked on its input until then)
   * and delivers the input. Resolves with the exit status and output.
   */
  function lifeboat(
    args: string[],
    feed: (stdin: NodeJS.WritableStream) => unknown,
  ): Promise<{ status: number | null; stdout: string; stderr: string; cmdline: string[] }> {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LIFEBOAT_DATA: '', LIFEBOAT_PASSPHRASE: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // a child that failed early closes its input
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    // With `-` or a FIFO the child cannot finish before its input is given (any other call takes far longer
    // to start than this read): what /proc shows now is what it runs with.
    const cmdline = procList(child.pid!, 'cmdline');
    return Promise.race([Promise.resolve(feed(child.stdin)), exited]).then(async () => ({ status: await exited, stdout, stderr, cmdline }));
  }

  it('`-` takes the JSON from stdin: the password is stored (the SMTP server accepts it) and was never in argv', async () => {
    const dir = tempDir();
    const saved = await lifeboat(['--data', dir, 'call', 'saveEmailSettings', '-'], (stdin) => {
      stdin.end(JSON.stringify(settings(SMTP_PASSWORD)));
    });
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.cmdline.slice(1)).toEqual([BIN, '--data', dir, 'call', 'saveEmailSettings', '-']);
    expect(saved.cmdline.join(' ')).not.toContain(SMTP_PASSWORD);
    expect(JSON.parse(saved.stdout)).toMatchObject({ passwordStored: true, username: 'alerts@acme.test' });
    expect(saved.stdout).not.toContain(SMTP_PASSWORD);

    // The stored password is the one given on stdin: the mail server signs Lifeboat in with it.
    const sent = await lifeboat(['--data', dir, 'call', 'sendTestEmail'], (stdin) => stdin.end());
    expect(sent.status, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toEqual({ accepted: ['it@acme.test'] });
    expect(accepted.at(-1)).toBe(SMTP_PASSWORD);
  });

  it('`@file` takes the JSON from a file (here a FIFO, so the process waits while its argv is read)', async () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'email.json');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    let writing: Promise<void> = Promise.resolve();
    const saved = await lifeboat(['--data', path.join(dir, 'data'), 'call', 'saveEmailSettings', `@${fifo}`], () => {
      writing = fs.promises.writeFile(fifo, JSON.stringify(settings(FILE_PASSWORD))); // the open waits for the child to open it to read
      return writing;
    });
    // A child that died before reading leaves the writer waiting: a reader of our own releases it.
    if (saved.status !== 0) fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    await writing.catch(() => undefined);
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.cmdline.slice(1)).toEqual([BIN, '--data', path.join(dir, 'data'), 'call', 'saveEmailSettings', `@${fifo}`]);
    expect(saved.cmdline.join(' ')).not.toContain(FILE_PASSWORD);

    const sent = await lifeboat(['--data', path.join(dir, 'data'), 'call', 'sendTestEmail'], (stdin) => stdin.end());
    expect(sent.status, sent.stderr).toBe(0);
    expect(accepted.at(-1)).toBe(FILE_PASSWORD);

    // A regular file with a UTF-8 byte-order mark (as Notepad saves it) and a guest credential.
    const file = path.join(dir, 'guest.json');
    fs.writeFileSync(file, `\uFEFF${JSON.stringify({ username: '.\\Administrator', password: FILE_PASSWORD })}`, { mode: 0o600 });
    const guest = runCli(['--data', path.join(dir, 'data'), 'call', 'saveGuestCredential', `@${file}`]);
    expect(guest.status, guest.stderr).toBe(0);
    expect(JSON.parse(guest.stdout)).toEqual({ id: expect.any(String), username: '.\\Administrator' });
  });

  it('a missing file, empty input and bad JSON are typed errors with a fix that never echo the input; JSON in argv still works', async () => {
    const dir = tempDir();
    const missing = runCli(['--data', dir, 'call', 'saveEmailSettings', `@${path.join(dir, 'nope.json')}`]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`error: Cannot read the input file ${path.join(dir, 'nope.json')}: it does not exist.`);
    expect(missing.stderr).toMatch(/fix: Check the path after the @/);
    const folder = runCli(['--data', dir, 'call', 'saveEmailSettings', `@${dir}`]);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toContain('it is a folder');
    expect(runCli(['--data', dir, 'call', 'saveEmailSettings', '@']).stderr).toContain('No file name after "@"');

    const bad = await lifeboat(['--data', dir, 'call', 'saveEmailSettings', '-'], (stdin) =>
      stdin.end(`{"password": "${SMTP_PASSWORD}" oops}`),
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: The input from standard input is not valid JSON \(line 1, column \d+\)\.\n {2}fix: Give one JSON value/,
    );
    expect(bad.stderr).not.toContain(SMTP_PASSWORD);
    // V8's own message would quote this text ("hunter2..." is not valid JSON): Lifeboat's does not.
    const quoted = await lifeboat(['--data', dir, 'call', 'saveEmailSettings', '-'], (stdin) => stdin.end(SMTP_PASSWORD));
    expect(quoted.status).toBe(2);
    expect(quoted.stderr).toContain('The input from standard input is not valid JSON.');
    expect(quoted.stderr).not.toContain(SMTP_PASSWORD);
    const empty = await lifeboat(['--data', dir, 'call', 'saveEmailSettings', '-'], (stdin) => stdin.end());
    expect(empty.stderr).toContain('The input from standard input is not valid JSON: it is empty.');

    const inline = runCli(['--data', dir, 'call', 'saveEmailSettings', '{"enabled":false,"host":"smtp.acme.test"}']);
    expect(inline.status, inline.stderr).toBe(0);
    expect(JSON.parse(inline.stdout)).toMatchObject({ enabled: false, host: 'smtp.acme.test', passwordStored: false });
    expect(runCli(['--data', dir, 'call', 'saveEmailSettings', '{enabled}']).stderr).toContain('Quote it for your shell');

    const help = runCli(['call', '--help']);
    expect(help.stdout).toContain('- reads it from standard input, @FILE from a file');
    expect(help.stdout).toMatch(/@FILE {4}read it from FILE/);
  });
});

describe('child processes get a scrubbed environment', () => {
  it('childEnv drops every LIFEBOAT_*, AWS_*, AZURE_* and AZURITE_* variable, keeps the rest, adds what one child needs', () => {
    const source = {
      ...ENGINE_SECRETS,
      PATH: '/usr/bin:/bin',
      HOME: '/home/op',
      LANG: 'C.UTF-8',
      lifeboat_passphrase: 'lower-case-Xq7',
      Aws_Region: 'eu-west-1',
    };
    const env = childEnv({}, source);
    expect(env).toEqual({ PATH: '/usr/bin:/bin', HOME: '/home/op', LANG: 'C.UTF-8' });
    expect(childEnv({ LIFEBOAT_DRILL_ID: 'd1' }, source)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/op',
      LANG: 'C.UTF-8',
      LIFEBOAT_DRILL_ID: 'd1',
    });

    // The default source is this process's environment, read at call time.
    for (const [name, value] of Object.entries(ENGINE_SECRETS)) vi.stubEnv(name, value);
    try {
      const live = childEnv();
      for (const name of Object.keys(ENGINE_SECRETS)) expect(live).not.toHaveProperty(name);
      expect(live.PATH).toBe(process.env.PATH);
      expect(live.HOME).toBe(process.env.HOME);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("vmrun and the QEMU probe, started for real, see none of the engine's secrets in /proc/self/environ", async () => {
    const dir = tempDir();
    // Stand-ins that copy the environment they were started with (the kernel's copy, not a shell's) to a file.
    const dump = (name: string): { file: string; out: string } => {
      const file = path.join(dir, name);
      const out = path.join(dir, `${name}.environ`);
      fs.writeFileSync(file, `#!/bin/sh\ncat /proc/$$/environ > '${out}'\necho 'QEMU emulator version 8.2.2'\n`, { mode: 0o755 });
      return { file, out };
    };
    const vmrun = dump('vmrun');
    const qemu = dump('qemu-system-x86_64');
    for (const [name, value] of Object.entries(ENGINE_SECRETS)) vi.stubEnv(name, value);
    try {
      expect((await vmrunRunner(vmrun.file).run(['list'])).exitCode).toBe(0);
      expect(findQemu({ LIFEBOAT_QEMU: qemu.file })).toBe(qemu.file);
    } finally {
      vi.unstubAllEnvs();
    }
    for (const { out } of [vmrun, qemu]) {
      const environ = fs.readFileSync(out, 'utf8').split('\0').filter(Boolean);
      expect(environ).toContain(`PATH=${process.env.PATH}`);
      const names = environ.map((entry) => entry.slice(0, entry.indexOf('=')));
      expect(names.filter((name) => /^(LIFEBOAT|AWS|AZURE|AZURITE)_/.test(name))).toEqual([]);
      for (const value of Object.values(ENGINE_SECRETS)) expect(environ.join('\n')).not.toContain(value);
    }
  });
});

describe('plan scripts keep their allow-list, scrubbed like every child', () => {
  it("a plan script sees PATH and the drill's id and phase, and neither the engine's secrets nor other variables", async () => {
    const dir = tempDir();
    const script = path.join(dir, 'pre.sh');
    const out = path.join(dir, 'pre.environ');
    fs.writeFileSync(script, `cat /proc/$$/environ > '${out}'\n`);
    for (const [name, value] of Object.entries(ENGINE_SECRETS)) vi.stubEnv(name, value);
    vi.stubEnv('UNRELATED_SETTING', 'not-for-scripts');
    try {
      const context = { drillId: 'd1', kind: 'drill', plan: { id: 'p1', name: 'Office' }, phase: 'pre' as const, group: null, vms: [] };
      expect((await runPlanScript({ path: script, args: [], timeoutSeconds: 30 }, context, new AbortController().signal)).exitCode).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
    const environ = fs.readFileSync(out, 'utf8').split('\0').filter(Boolean);
    expect(environ).toContain(`PATH=${process.env.PATH}`);
    expect(environ).toContain('LIFEBOAT_DRILL_ID=d1');
    expect(environ).toContain('LIFEBOAT_DRILL_PHASE=pre');
    expect(environ.filter((entry) => /^(LIFEBOAT|AWS|AZURE|AZURITE)_/.test(entry)).sort()).toEqual([
      'LIFEBOAT_DRILL_ID=d1',
      'LIFEBOAT_DRILL_PHASE=pre',
    ]);
    expect(environ.join('\n')).not.toContain('not-for-scripts');
  });
});

describe('Hyper-V: passwords reach PowerShell outside its command text and argv', () => {
  const HOST_ACCOUNT = { username: 'CORP\\lifeboat', password: "H0st'pa$$; Remove-VM *" };
  const GUEST_ACCOUNT = { username: '.\\Administrator', password: 'Gu3st"pa$$ `whoami`' };
  const VM = '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11';

  /**
   * A stand-in for pwsh, started by node-powershell through NODE_POWERSHELL: it speaks node-powershell's
   * stdin protocol (delimiter lines, then one command line) and does what _Lifeboat.ps1 does with the
   * secrets: it opens the "remote session" only for the right host account, and signs in to the "guest"
   * only with the right guest account. Every command it is sent is logged, with its pid and argv.
   */
  function fakePwsh(dir: string): { executable: string; log: string } {
    const executable = path.join(dir, 'pwsh');
    const log = path.join(dir, 'pwsh.log');
    const denied = fs
      .readFileSync(path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'ps51-error-remote-access-denied.json'), 'utf8')
      .replace(/^\uFEFF/, '')
      .trim();
    fs.writeFileSync(
      executable,
      `#!${process.execPath}
const fs = require('node:fs');
const readline = require('node:readline');
const LOG = ${JSON.stringify(log)};
const HOST = ${JSON.stringify(HOST_ACCOUNT)};
const GUEST = ${JSON.stringify(GUEST_ACCOUNT)};
const DENIED = ${JSON.stringify(denied)};
const encoded = process.env.LIFEBOAT_PS_SECRETS;
const secrets = encoded ? JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) : {};
const out = (data) => process.stdout.write(JSON.stringify({ ok: true, data }) + '\\n');
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const echo = /^\\[Console\\]::(Out|Error)\\.WriteLine\\("(.*)"\\)$/.exec(line);
  if (echo) {
    (echo[1] === 'Out' ? process.stdout : process.stderr).write(echo[2] + '\\n');
    return;
  }
  const call = /^& '((?:[^']|'')*)' -ParamsBase64 '([A-Za-z0-9+\\/=]*)'$/.exec(line);
  if (!call) {
    process.stdout.write(JSON.stringify({ ok: false, error: { kind: 'stand-in', message: 'not a Lifeboat invocation' } }) + '\\n');
    return;
  }
  const script = call[1].split(/[\\\\/]/).pop();
  const params = JSON.parse(Buffer.from(call[2], 'base64').toString('utf8'));
  fs.appendFileSync(LOG, JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), line, script, params }) + '\\n');
  if (params.computerName && (params.username !== HOST.username || secrets.password !== HOST.password)) {
    process.stdout.write(DENIED + '\\n');
    return;
  }
  const p = secrets.guestPassword === undefined ? params : { ...params, guestPassword: secrets.guestPassword };
  if (script === 'Get-LifeboatHost.ps1') out({ name: 'HV02', product: 'Windows Server 2022 Datacenter', version: '10.0.20348' });
  else if (script === 'Test-LifeboatGuestPort.ps1') {
    const signedIn = p.guestUsername === GUEST.username && p.guestPassword === GUEST.password;
    out(signedIn
      ? { outcome: 'answered', port: p.port, answer: 'HTTP/1.1 200 OK', message: null, exceptionType: null, errorId: null }
      : { outcome: 'no-session', port: p.port, answer: null, message: 'The credential is invalid.', exceptionType: 'System.Management.Automation.Remoting.PSDirectException', errorId: 'CreateRemoteRunspaceForVMFailed' });
  } else process.stdout.write(JSON.stringify({ ok: false, error: { kind: 'stand-in', message: 'no such script here: ' + script } }) + '\\n');
});
`,
      { mode: 0o755 },
    );
    return { executable, log };
  }

  const remote = (credentials: { username: string; password: string }): HostConnection => ({
    id: 'h',
    name: 'HV02',
    kind: 'hyperv',
    address: 'HV02',
    settings: {},
    credentials,
  });

  it('the host and guest credentials reach the script, while argv and every command sent hold neither password, not even as base64', async () => {
    const dir = tempDir();
    const pwsh = fakePwsh(dir);
    vi.stubEnv('NODE_POWERSHELL', pwsh.executable);
    for (const [name, value] of Object.entries(ENGINE_SECRETS)) vi.stubEnv(name, value);
    const runner = new NodePowerShellRunner(path.join(repoRoot, 'resources', 'powershell'));
    const host = new HypervHost(remote(HOST_ACCOUNT), runner);
    try {
      expect(await host.describe()).toEqual({ product: 'Hyper-V on Windows Server 2022 Datacenter', version: '10.0.20348' });
      expect(await host.guestTcpCheck(VM, 80, GUEST_ACCOUNT, 30)).toEqual({ outcome: 'answered', port: 80, answer: 'HTTP/1.1 200 OK' });
      // A wrong guest password reaches the guest too, and is refused there.
      await expect(host.guestTcpCheck(VM, 80, { ...GUEST_ACCOUNT, password: 'wrong' }, 30)).rejects.toMatchObject({
        code: 'ACCESS_DENIED',
      });

      const calls = fs
        .readFileSync(pwsh.log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { pid: number; argv: string[]; line: string; script: string; params: Record<string, unknown> });
      expect(calls.map((c) => c.script)).toEqual(['Get-LifeboatHost.ps1', 'Test-LifeboatGuestPort.ps1', 'Test-LifeboatGuestPort.ps1']);
      expect(calls[1]!.params).toEqual({
        computerName: 'HV02',
        username: HOST_ACCOUNT.username,
        vmId: VM,
        port: 80,
        timeoutSeconds: 30,
        guestUsername: GUEST_ACCOUNT.username,
      });
      // Host calls and each guest account have their own PowerShell process (their environment differs).
      expect(new Set(calls.map((c) => c.pid)).size).toBe(3);
      for (const call of calls) {
        for (const secret of [HOST_ACCOUNT.password, GUEST_ACCOUNT.password]) {
          expect(call.line).not.toContain(secret);
          expect(JSON.stringify(call.params)).not.toContain(secret);
          expect(call.argv.join(' ')).not.toContain(secret);
        }
        // What another account may read of the running process: its command line.
        const cmdline = procList(call.pid, 'cmdline');
        expect(cmdline.slice(1)).toEqual([
          pwsh.executable,
          '-NoLogo',
          '-NoProfile',
          '-NonInteractive',
          '-ExecutionPolicy',
          'Bypass',
          '-NoExit',
          '-Command',
          '-',
        ]);
        // Its environment (readable by its owner only) holds the secrets it was given, and none of the engine's.
        const environ = procList(call.pid, 'environ');
        expect(
          environ.filter((entry) => /^(LIFEBOAT|AWS|AZURE|AZURITE)_/.test(entry)).map((entry) => entry.slice(0, entry.indexOf('='))),
        ).toEqual(['LIFEBOAT_PS_SECRETS']);
        for (const value of Object.values(ENGINE_SECRETS)) expect(environ.join('\n')).not.toContain(value);
      }
      const secretsOf = (pid: number) =>
        JSON.parse(
          Buffer.from(
            procList(pid, 'environ')
              .find((e) => e.startsWith('LIFEBOAT_PS_SECRETS='))!
              .slice('LIFEBOAT_PS_SECRETS='.length),
            'base64',
          ).toString('utf8'),
        ) as unknown;
      expect(secretsOf(calls[0]!.pid)).toEqual({ password: HOST_ACCOUNT.password });
      expect(secretsOf(calls[1]!.pid)).toEqual({ password: HOST_ACCOUNT.password, guestPassword: GUEST_ACCOUNT.password });
    } finally {
      await host.close();
      vi.unstubAllEnvs();
    }
  });

  it('a wrong host password is refused by the "remote host": it is the secret, not the command, that signs in', async () => {
    const dir = tempDir();
    vi.stubEnv('NODE_POWERSHELL', fakePwsh(dir).executable);
    const host = new HypervHost(
      remote({ ...HOST_ACCOUNT, password: 'not-it' }),
      new NodePowerShellRunner(path.join(repoRoot, 'resources', 'powershell')),
    );
    try {
      await expect(host.describe()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    } finally {
      await host.close();
      vi.unstubAllEnvs();
    }
  });

  it('_Lifeboat.ps1 builds the host credential from LIFEBOAT_PS_SECRETS and hands the guest password to the script as data', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'resources', 'powershell', '_Lifeboat.ps1'), 'utf8');
    const code = text
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    expect(code).toContain("[Environment]::GetEnvironmentVariable('LIFEBOAT_PS_SECRETS')");
    expect(code).toContain('$secrets = Read-LifeboatSecrets');
    expect(code).toContain('ConvertTo-SecureString -String ([string]$secrets.password) -AsPlainText -Force');
    expect(code).toContain('New-Object System.Management.Automation.PSCredential ([string]$p.username, $secure)');
    expect(code).toContain(
      "Add-Member -InputObject $p -NotePropertyName 'guestPassword' -NotePropertyValue ([string]$secrets.guestPassword) -Force",
    );
    expect(code).not.toMatch(/\$p\.password/); // the parameters carry no host password any more
    expect(code).not.toMatch(/Invoke-Expression|iex\s|Write-Host|Start-Transcript/i);
  });
});
