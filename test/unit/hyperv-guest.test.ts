import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import type { GuestHeartbeat } from '../../core/contract/hosts';
import { hostSandboxVm } from '../../core/drills/hypervisor-sandbox';
import { NodePowerShellRunner } from '../../core/hypervisors/hyperv/node-runner';
import { HypervHost } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner, type Recording } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts, type ScriptName } from '../../core/hypervisors/hyperv/runner';
import type { HostConnection, Hypervisor } from '../../core/hypervisors/types';
import { repoRoot } from '../helpers/temp';

// node-powershell, as the real runner drives it: what it is started with (argv) and what it is sent (stdin).
const shells = vi.hoisted(() => ({ started: [] as unknown[], invoked: [] as string[], history: [] as string[][] }));
vi.mock('node-powershell', () => ({
  PowerShell: class {
    history: string[] = [];
    constructor(options: unknown) {
      shells.started.push(options);
      shells.history.push(this.history);
    }
    async invoke(command: string) {
      shells.invoked.push(command);
      this.history.push(command);
      return { stdout: Buffer.from('{"ok":true,"data":{"outcome":"answered","port":80,"answer":null}}'), stderr: Buffer.from(''), raw: '' };
    }
    async dispose() {}
  },
}));

// Hand-written from the documentation (see the folder's README), not recorded: no Windows guest was at hand.
const WRITTEN = path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'guest');
const written = (name: string): Recording => ({ stdout: fs.readFileSync(path.join(WRITTEN, name), 'utf8'), stderr: '' });
const RECORDED_HEARTBEAT = path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'drill', 'Get-LifeboatHeartbeat.ps1.json');

const VM = '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11';
const PASSWORD = "Gu3st'pa$$; Remove-VM *";
const GUEST = { username: '.\\Administrator', password: PASSWORD };
const REMOTE: HostConnection = {
  id: 'h',
  name: 'HV02',
  kind: 'hyperv',
  address: 'HV02',
  settings: {},
  credentials: { username: 'CORP\\lifeboat', password: 'host-secret' },
};

function hostWith(recordings: Partial<Record<ScriptName, Recording | Recording[]>>) {
  const runner = new ReplayPowerShellRunner(recordings);
  return { host: new HypervHost(REMOTE, runner), runner };
}

async function failure(promise: Promise<unknown>): Promise<LifeboatError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LifeboatError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const decoded = (command: string): Record<string, unknown> => {
  const match = /-ParamsBase64 '([A-Za-z0-9+/=]+)'$/.exec(command);
  expect(match, command).not.toBeNull();
  return JSON.parse(Buffer.from(match![1]!, 'base64').toString('utf8')) as Record<string, unknown>;
};

describe('Hyper-V guest checks: parameters travel as data', () => {
  it('the port check gets VM id, port, timeout and the guest user as parameters; the passwords travel apart, as secrets', async () => {
    const { host, runner } = hostWith({ [scripts.guestPort]: written('Test-LifeboatGuestPort.answered-http.json') });
    await host.guestTcpCheck(VM, 80, GUEST, 30);
    const [call] = runner.calls;
    expect(call!.script).toBe('Test-LifeboatGuestPort.ps1');
    expect(call!.params).toMatchObject({
      vmId: VM,
      port: 80,
      timeoutSeconds: 30,
      guestUsername: '.\\Administrator',
      computerName: 'HV02',
      username: 'CORP\\lifeboat',
    });
    expect(decoded(call!.command)).toEqual(call!.params);
    expect(call!.command).toMatch(/^& '[^']+\\Test-LifeboatGuestPort\.ps1' -ParamsBase64 '[A-Za-z0-9+/=]+'$/);
    expect(call!.command).not.toContain('Gu3st');
    expect(call!.command).not.toContain('Remove-VM');
    expect(call!.command).not.toContain('Administrator');
    expect(call!.params).not.toHaveProperty('guestPassword');
    expect(call!.params).not.toHaveProperty('password');
    expect(JSON.stringify(decoded(call!.command))).not.toContain('Gu3st'); // not even as base64
    expect(JSON.stringify(decoded(call!.command))).not.toContain('host-secret');
    expect(call!.secrets).toEqual({ password: 'host-secret', guestPassword: PASSWORD });
  });

  it('the check script is a parameter value too, never part of the command', async () => {
    const script = "Get-Service MSSQLSERVER; '; Remove-VM * #";
    const { host, runner } = hostWith({ [scripts.guestScript]: written('Invoke-LifeboatGuestScript.succeeded.json') });
    await host.guestScript(VM, script, GUEST, 60);
    const [call] = runner.calls;
    expect(call!.params).toMatchObject({ vmId: VM, script, timeoutSeconds: 60, guestUsername: '.\\Administrator' });
    expect(decoded(call!.command)).toEqual(call!.params);
    expect(call!.command).not.toContain('Get-Service');
    expect(JSON.stringify(decoded(call!.command))).not.toContain('Gu3st');
    expect(call!.secrets).toEqual({ password: 'host-secret', guestPassword: PASSWORD });
  });

  it('the real runner starts PowerShell without parameters, the password in its scrubbed environment; sends only base64 and forgets it', async () => {
    vi.stubEnv('NODE_POWERSHELL', '/usr/bin/pwsh-not-started'); // the mock never starts it
    vi.stubEnv('LIFEBOAT_PASSPHRASE', 'vault-passphrase-of-the-engine');
    const runner = new NodePowerShellRunner('C:\\Lifeboat\\powershell');
    const output = await runner.run(
      scripts.guestPort,
      { vmId: VM, port: 80, timeoutSeconds: 5, guestUsername: GUEST.username },
      { guestPassword: PASSWORD },
    );
    expect(output.stdout).toContain('answered');
    expect(shells.started).toHaveLength(1);
    const started = shells.started[0] as { executableOptions: Record<string, unknown>; spawnOptions: { env: Record<string, string> } };
    expect(JSON.stringify(started.executableOptions)).not.toContain('Gu3st'); // argv: -NoLogo, -NoProfile, ... only
    expect(JSON.stringify(started.executableOptions)).not.toContain('Administrator');
    const { LIFEBOAT_PS_SECRETS: secrets, ...rest } = started.spawnOptions.env;
    expect(JSON.parse(Buffer.from(secrets!, 'base64').toString('utf8'))).toEqual({ guestPassword: PASSWORD });
    expect(JSON.stringify(rest)).not.toContain('vault-passphrase-of-the-engine'); // the engine's own secrets stay behind
    expect(rest.PATH).toBe(process.env.PATH);
    expect(shells.invoked).toHaveLength(1);
    expect(shells.invoked[0]).not.toContain('Gu3st');
    expect(decoded(shells.invoked[0]!)).toEqual({ vmId: VM, port: 80, timeoutSeconds: 5, guestUsername: '.\\Administrator' });
    expect(shells.history.flat()).toEqual([]); // node-powershell's history would keep the command
    // The same secrets reuse their process; other secrets (another guest account) get their own.
    await runner.run(
      scripts.guestPort,
      { vmId: VM, port: 81, timeoutSeconds: 5, guestUsername: GUEST.username },
      { guestPassword: PASSWORD },
    );
    expect(shells.started).toHaveLength(1);
    await runner.run(scripts.heartbeat, { vmId: VM });
    expect(shells.started).toHaveLength(2);
    expect((shells.started[1] as { spawnOptions: { env: Record<string, string> } }).spawnOptions.env).not.toHaveProperty(
      'LIFEBOAT_PS_SECRETS',
    );
    await expect(runner.run(scripts.guestPort, { vmId: VM, guestPassword: PASSWORD })).rejects.toMatchObject({ code: 'INTERNAL' }); // never as a parameter
    await runner.close();
    vi.unstubAllEnvs();
  });

  it('the scripts build the credential from the parameters and never print the password or evaluate text on the host', () => {
    for (const script of [scripts.guestPort, scripts.guestScript]) {
      const text = fs.readFileSync(path.join(repoRoot, 'resources', 'powershell', script), 'utf8');
      expect(text, script).toContain('ConvertTo-SecureString -String ([string]$p.guestPassword) -AsPlainText -Force');
      expect(text, script).toContain('New-PSSession -VMId $vm.Id -Credential $credential');
      expect(text, script).toContain('Invoke-Command -Session $session -AsJob -ArgumentList');
      expect(text.match(/\$p\.guestPassword/g), script).toHaveLength(1); // read once, into the SecureString
      expect(text, script).not.toMatch(/Invoke-Expression|iex\s|Write-Host|Start-Transcript/i);
    }
    const guestScript = fs
      .readFileSync(path.join(repoRoot, 'resources', 'powershell', scripts.guestScript), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    // The user's text becomes a script block only inside the guest session, from the argument's value.
    const inGuest = guestScript.slice(guestScript.indexOf('-ScriptBlock {'));
    expect(inGuest).toContain('param([string]$text)');
    expect(inGuest).toContain('[scriptblock]::Create($text)');
    expect(guestScript.slice(0, guestScript.indexOf('-ScriptBlock {'))).not.toContain('[scriptblock]::Create');
  });
});

describe('Hyper-V guest checks: reading the envelope', () => {
  it('an HTTP answer, a silent port, a refused one and one that timed out', async () => {
    const { host } = hostWith({
      [scripts.guestPort]: [
        written('Test-LifeboatGuestPort.answered-http.json'),
        written('Test-LifeboatGuestPort.connected.json'),
        written('Test-LifeboatGuestPort.refused.json'),
        written('Test-LifeboatGuestPort.timeout.json'),
      ],
    });
    expect(await host.guestTcpCheck(VM, 80, GUEST, 30)).toEqual({
      outcome: 'answered',
      port: 80,
      answer: expect.stringMatching(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Server: Microsoft-IIS\/10\.0/),
    });
    expect(await host.guestTcpCheck(VM, 1433, GUEST, 30)).toEqual({ outcome: 'answered', port: 1433, answer: null });
    expect(await host.guestTcpCheck(VM, 1433, GUEST, 30)).toEqual({
      outcome: 'refused',
      port: 1433,
      message: expect.stringContaining('actively refused it 127.0.0.1:1433'),
    });
    expect(await host.guestTcpCheck(VM, 443, GUEST, 30)).toEqual({ outcome: 'timeout', port: 443, message: 'no answer within 30 s' });
  });

  it('a guest that refuses the account is ACCESS_DENIED about the guest credential; one PowerShell Direct cannot reach is CONFLICT', async () => {
    const { host } = hostWith({
      [scripts.guestPort]: [
        written('Test-LifeboatGuestPort.no-session-credential.json'),
        written('Test-LifeboatGuestPort.no-session-unavailable.json'),
      ],
    });
    const denied = await failure(host.guestTcpCheck(VM, 80, GUEST, 30));
    expect(denied.code).toBe('ACCESS_DENIED');
    expect(denied.message).toContain('refused the guest account .\\Administrator: The credential is invalid.');
    expect(denied.fix).toMatch(/guest credential saved for this VM in the recovery plan/);
    const unreachable = await failure(host.guestTcpCheck(VM, 80, GUEST, 30));
    expect(unreachable.code).toBe('CONFLICT');
    expect(unreachable.message).toMatch(/^PowerShell Direct could not open a session/);
    expect(unreachable.fix).toMatch(/Windows Server 2016 or later guest/);
  });

  it('malformed or truncated output is PROVIDER_OUTPUT_INVALID; a script error is classified as any other', async () => {
    const { host } = hostWith({
      [scripts.guestPort]: [
        written('Test-LifeboatGuestPort.truncated.json'),
        { stdout: '{"ok":true,"data":{"outcome":"maybe","port":80}}', stderr: '' },
        { stdout: fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'ps51-error-vm-not-found.json'), 'utf8'), stderr: '' },
      ],
    });
    const truncated = await failure(host.guestTcpCheck(VM, 80, GUEST, 30));
    expect(truncated.code).toBe('PROVIDER_OUTPUT_INVALID');
    expect(truncated.message).toContain('Test-LifeboatGuestPort.ps1');
    const wrongShape = await failure(host.guestTcpCheck(VM, 80, GUEST, 30));
    expect(wrongShape.code).toBe('PROVIDER_OUTPUT_INVALID');
    expect(wrongShape.message).toContain('outcome');
    expect((await failure(host.guestTcpCheck(VM, 80, GUEST, 30))).code).toBe('VM_NOT_FOUND');
  });

  it('an error that echoes the password comes back without it', async () => {
    const echo = {
      stdout: JSON.stringify({
        ok: false,
        error: {
          kind: 'guest-port',
          message: `Cannot bind parameter: "${PASSWORD}"`,
          exceptionType: 'System.Management.Automation.ParameterBindingException',
        },
      }),
      stderr: '',
    };
    const noSession = {
      stdout: JSON.stringify({
        ok: true,
        data: {
          outcome: 'no-session',
          port: 80,
          answer: null,
          message: `Logon failure for ${PASSWORD}`,
          exceptionType: null,
          errorId: null,
        },
      }),
      stderr: '',
    };
    const { host } = hostWith({ [scripts.guestPort]: [echo, noSession] });
    for (let i = 0; i < 2; i++) {
      const error = await failure(host.guestTcpCheck(VM, 80, GUEST, 30));
      expect(`${error.message} ${error.fix}`).not.toContain('Gu3st');
      expect(error.message).toContain('••••');
    }
  });

  it('script results: output, an error record, an exit code, a timeout', async () => {
    const { host } = hostWith({
      [scripts.guestScript]: [
        written('Invoke-LifeboatGuestScript.succeeded.json'),
        written('Invoke-LifeboatGuestScript.failed.json'),
        written('Invoke-LifeboatGuestScript.exit-code.json'),
        written('Invoke-LifeboatGuestScript.timeout.json'),
      ],
    });
    expect(await host.guestScript(VM, 'Get-Service MSSQLSERVER', GUEST, 60)).toEqual({
      outcome: 'succeeded',
      output: expect.stringContaining('Running  MSSQLSERVER'),
      errors: [],
      exitCode: null,
    });
    expect(await host.guestScript(VM, 'Get-Service MSSQLSERVER', GUEST, 60)).toMatchObject({
      outcome: 'failed',
      errors: ["Cannot find any service with service name 'MSSQLSERVER'."],
    });
    expect(await host.guestScript(VM, 'x', GUEST, 60)).toMatchObject({ outcome: 'failed', exitCode: 3, output: 'Checking C:\\Data ...' });
    expect(await host.guestScript(VM, 'x', GUEST, 60)).toMatchObject({ outcome: 'timeout' });
  });

  it('the heartbeat as evidence says what the host said', async () => {
    const { host } = hostWith({ [scripts.heartbeat]: { stdout: fs.readFileSync(RECORDED_HEARTBEAT, 'utf8'), stderr: '' } });
    expect(await host.heartbeatEvidence(VM)).toEqual({
      state: 'ok',
      hostSaid: 'Hyper-V on HV02: VM Running, heartbeat integration service "Takt" enabled, status Ok (OK)',
    });
  });
});

/** A Hyper-V host as hostSandboxVm sees it, answering heartbeats from a list and guest checks through the replay runner. */
function sandboxOn(
  states: GuestHeartbeat[],
  recordings: Partial<Record<ScriptName, Recording | Recording[]>> = {},
  credential: typeof GUEST | null = GUEST,
  host?: Hypervisor,
) {
  const replay = hostWith(recordings);
  const hv = host ?? replay.host;
  if (!host) {
    const queue = [...states];
    hv.heartbeatEvidence = async () => {
      const state = queue.length > 1 ? queue.shift()! : queue[0]!;
      return { state, hostSaid: `Hyper-V on HV02: VM Running, heartbeat ${state}` };
    };
  }
  const vm = hostSandboxVm(hv, 'hv02', VM, 'drill VM', 1, new AbortController().signal, async () => undefined, {
    guestCredential: credential,
  });
  return { vm, runner: replay.runner };
}

describe("hostSandboxVm on Hyper-V: only the guest's own answer passes", () => {
  it('heartbeat ok: boot passed, with the heartbeat as evidence', async () => {
    const { vm } = sandboxOn(['no-contact', 'ok']);
    const result = await vm.checkBoot(5, new AbortController().signal);
    expect(result).toMatchObject({ status: 'passed', detail: 'The guest answered its heartbeat.' });
    expect(result.evidence).toEqual([{ kind: 'heartbeat', text: 'ok: Hyper-V on HV02: VM Running, heartbeat ok' }]);
  });

  it('heartbeat degraded: passed, with a note', async () => {
    const result = await sandboxOn(['degraded']).vm.checkBoot(5, new AbortController().signal);
    expect(result.status).toBe('passed');
    expect(result.detail).toMatch(/degraded/);
    expect(result.evidence?.[0]?.kind).toBe('heartbeat');
  });

  it('no integration services: unverified, never passed, with the fix', async () => {
    const result = await sandboxOn(['not-installed']).vm.checkBoot(5, new AbortController().signal);
    expect(result).toMatchObject({
      status: 'unverified',
      detail: 'The VM is running but has no Hyper-V integration services, so nothing proves the guest came up.',
      fix: 'Install Hyper-V integration services in the guest, or add a TCP or in-guest check.',
    });
  });

  it('no heartbeat in time: failed', async () => {
    const result = await sandboxOn(['no-contact']).vm.checkBoot(0.05, new AbortController().signal);
    expect(result.status).toBe('failed');
    expect(result.detail).toMatch(/^No guest heartbeat within 0.05 s \(last state: no-contact\)/);
    expect(result.fix).toMatch(/console/);
  });

  it('falls back to heartbeat() on a hypervisor without heartbeatEvidence, and words it for its kind', async () => {
    const vsphere = { kind: 'vsphere', heartbeat: async () => 'not-installed' } as unknown as Hypervisor;
    const vm = hostSandboxVm(vsphere, 'vc', 'vm-1', 'drill VM', 1, new AbortController().signal, async () => undefined);
    const result = await vm.checkBoot(1, new AbortController().signal);
    expect(result).toMatchObject({
      status: 'unverified',
      detail: 'The VM is running but has no VMware Tools, so nothing proves the guest came up.',
    });
    expect(result.fix).toMatch(/^Install VMware Tools in the guest/);
    // No guest operations on vSphere yet: skipped, saying so, before any credential question.
    const tcp = await vm.checkTcp(80, 5, new AbortController().signal);
    expect(tcp).toMatchObject({
      status: 'skipped',
      detail: expect.stringMatching(
        /^Port 80: not checked, Lifeboat does not run checks inside vSphere guests yet \(VMware guest operations are not implemented\)/,
      ),
    });
    expect(tcp.fix).toMatch(/heartbeat/);
    expect((await vm.runScript('x', 5, new AbortController().signal)).status).toBe('skipped');
  });

  it("a proxied hypervisor that answers every property with a function (failover's per-call connection)", async () => {
    const proxied = new Proxy({} as Hypervisor, {
      get: (_t, property) => {
        if (property === 'then' || typeof property === 'symbol') return undefined;
        const real: Record<string, unknown> = { heartbeat: async () => 'ok' };
        return async (...args: unknown[]) => (real[property] as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    });
    const vm = hostSandboxVm(proxied, 'x', 'vm', 'failed-over VM', 1, new AbortController().signal, async () => undefined, {
      guestCredential: GUEST,
    });
    expect(await vm.checkBoot(1, new AbortController().signal)).toMatchObject({
      status: 'passed',
      evidence: [{ kind: 'heartbeat', text: 'ok: heartbeat ok' }],
    });
    const tcp = await vm.checkTcp(80, 5, new AbortController().signal);
    expect(tcp.status).toBe('skipped');
    expect(tcp.fix).toMatch(/heartbeat check/);
  });

  it("TCP with no guest credential: skipped, saying to add one to the plan's VM; nothing is run", async () => {
    const { vm, runner } = sandboxOn(['ok'], {}, null);
    const result = await vm.checkTcp(80, 30, new AbortController().signal);
    expect(result.status).toBe('skipped');
    expect(result.detail).toMatch(/^Port 80: not checked, the plan has no guest credential for this VM \(PowerShell Direct/);
    expect(result.fix).toMatch(/^Add a guest credential to this VM in the recovery plan/);
    expect((await vm.runScript('Get-Service x', 30, new AbortController().signal)).status).toBe('skipped');
    expect(runner.calls).toEqual([]);
  });

  it('TCP through the runner: passed with the answer as evidence, failed naming the port', async () => {
    const { vm, runner } = sandboxOn(['ok'], {
      [scripts.guestPort]: [
        written('Test-LifeboatGuestPort.answered-http.json'),
        written('Test-LifeboatGuestPort.connected.json'),
        written('Test-LifeboatGuestPort.refused.json'),
        written('Test-LifeboatGuestPort.timeout.json'),
      ],
    });
    const http = await vm.checkTcp(80, 30, new AbortController().signal);
    expect(http).toMatchObject({ status: 'passed', detail: 'Port 80 answered inside the guest: HTTP/1.1 200 OK' });
    expect(http.evidence).toEqual([
      {
        kind: 'tcp-answer',
        text: expect.stringMatching(/^port 80: HTTP\/1\.1 200 OK\nContent-Length: 703\n[\s\S]*Server: Microsoft-IIS\/10\.0/),
      },
    ]);
    expect(await vm.checkTcp(1433, 30, new AbortController().signal)).toMatchObject({
      status: 'passed',
      evidence: [{ kind: 'tcp-answer', text: 'port 1433: connected' }],
    });
    const refused = await vm.checkTcp(1433, 30, new AbortController().signal);
    expect(refused).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^Port 1433 refused inside the guest \(No connection could be made/),
    });
    expect(refused.fix).toMatch(/port 1433 starts by itself/);
    expect(refused.evidence).toBeUndefined();
    expect(await vm.checkTcp(443, 30, new AbortController().signal)).toMatchObject({
      status: 'failed',
      detail: 'Port 443 did not answer inside the guest within 30 s.',
    });
    expect(runner.calls.map((c) => [c.params.port, c.params.timeoutSeconds])).toEqual([
      [80, 30],
      [1433, 30],
      [1433, 30],
      [443, 30],
    ]);
  });

  it("a refused guest sign-in fails the check with the typed error's message and fix, password-free", async () => {
    const { vm } = sandboxOn(['ok'], { [scripts.guestPort]: written('Test-LifeboatGuestPort.no-session-credential.json') });
    const result = await vm.checkTcp(80, 30, new AbortController().signal);
    expect(result.status).toBe('failed');
    expect(result.detail).toContain('refused the guest account .\\Administrator');
    expect(result.fix).toMatch(/guest credential saved for this VM/);
    expect(JSON.stringify(result)).not.toContain('Gu3st');
  });

  it("check scripts: the output as script-output evidence; a failure names the script's error", async () => {
    const { vm } = sandboxOn(['ok'], {
      [scripts.guestScript]: [
        written('Invoke-LifeboatGuestScript.succeeded.json'),
        written('Invoke-LifeboatGuestScript.failed.json'),
        written('Invoke-LifeboatGuestScript.exit-code.json'),
        written('Invoke-LifeboatGuestScript.timeout.json'),
      ],
    });
    const ok = await vm.runScript('Get-Service MSSQLSERVER', 60, new AbortController().signal);
    expect(ok).toMatchObject({
      status: 'passed',
      detail: 'The check script succeeded inside the guest: Status   Name               DisplayName',
    });
    expect(ok.evidence).toEqual([
      { kind: 'script-output', text: expect.stringContaining('Running  MSSQLSERVER        SQL Server (MSSQLSERVER)') },
    ]);
    const failed = await vm.runScript('Get-Service MSSQLSERVER', 60, new AbortController().signal);
    expect(failed).toMatchObject({
      status: 'failed',
      detail: "The check script failed inside the guest: Cannot find any service with service name 'MSSQLSERVER'.",
    });
    expect(failed.evidence).toEqual([{ kind: 'script-output', text: "Cannot find any service with service name 'MSSQLSERVER'." }]);
    expect(await vm.runScript('x', 60, new AbortController().signal)).toMatchObject({
      status: 'failed',
      detail: 'The check script failed inside the guest: exit code 3.',
      evidence: [{ kind: 'script-output', text: 'Checking C:\\Data ...' }],
    });
    expect(await vm.runScript('x', 60, new AbortController().signal)).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/still running inside the guest after 60 s/),
    });
  });
});
