import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hypervProvider } from '../../core/hypervisors/hyperv/provider';
import { READ_ONLY_SCRIPTS, recordHost, redactSecrets } from '../../core/hypervisors/hyperv/record';
import { ReplayPowerShellRunner } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts } from '../../core/hypervisors/hyperv/runner';
import type { HostConnection } from '../../core/hypervisors/types';
import { runCli } from '../helpers/cli';
import { checkProvenance } from '../helpers/fixture-provenance';
import { repoRoot, tempDir } from '../helpers/temp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'hyperv');
const PASSWORD = 'Winter2026!';
/** DC01 in ps51-inventory.json: replication on, so Measure-VMReplication runs for it (and only for it). */
const DC01 = '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11';
const VM_IDS = [
  DC01,
  'a1c9e7d5-3b2f-4e10-8c6a-9f0e1d2c3b44',
  '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b55',
  '7e6f5a4b-3c2d-4e1f-9a8b-7c6d5e4f3a66',
];

/**
 * A "customer host" to record: the hand-written fixtures, with the password planted where a careless script or a
 * user's VM notes could put it, a secret-looking field, and the scripts that change things present too (recording
 * must never ask for them).
 */
function customerHost(): string {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, `${scripts.host}.json`),
    JSON.stringify({
      ok: true,
      data: {
        name: 'HV01',
        product: 'Microsoft Windows Server 2022 Datacenter',
        version: '10.0.20348',
        language: 'de-DE',
        setupToken: 'tok-4417-abcd',
        note: `password=${PASSWORD}`,
      },
    }),
  );
  const inventory = fs.readFileSync(path.join(FIXTURES, 'ps51-inventory.json'), 'utf8').replace(/^\uFEFF/, '');
  const parsed = JSON.parse(inventory) as { data: { vms: { notes: string }[] } };
  parsed.data.vms[1]!.notes = `Local admin ${PASSWORD} (ask Bob)`;
  fs.writeFileSync(path.join(dir, `${scripts.listVms}.json`), '\uFEFF' + JSON.stringify(parsed) + '\r\n');
  fs.copyFileSync(path.join(FIXTURES, 'drill', `${scripts.heartbeat}.json`), path.join(dir, `${scripts.heartbeat}.json`));
  // One VM answers differently: replaying the recording must give each VM its own answer.
  fs.writeFileSync(path.join(dir, `${scripts.heartbeat}.${VM_IDS[3]}.json`), '{"ok":true,"data":{"state":"Off","integrationServices":[]}}');
  fs.writeFileSync(path.join(dir, `${scripts.heartbeat}.stderr.txt`), `WARNUNG: Anmeldung mit Kennwort ${PASSWORD} protokolliert\r\n`);
  fs.copyFileSync(
    path.join(FIXTURES, 'failover', `${scripts.measureReplication}.json`),
    path.join(dir, `${scripts.measureReplication}.json`),
  );
  fs.copyFileSync(path.join(FIXTURES, 'ps51-checkpoint-app.json'), path.join(dir, `${scripts.checkpoint}.json`));
  fs.copyFileSync(path.join(FIXTURES, 'drill', `${scripts.removeVm}.json`), path.join(dir, `${scripts.removeVm}.json`));
  return dir;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

const connection = (settings: HostConnection['settings'] = {}): HostConnection => ({
  id: 'hv01',
  name: 'HV01',
  kind: 'hyperv',
  address: 'HV01',
  settings,
  credentials: { username: 'CORP\\lifeboat', password: PASSWORD },
});

describe('lifeboat hosts record (a host answering from saved outputs)', () => {
  it('saves the read-only outputs, redacted, with provenance and a manifest, and replays to the same VMs', () => {
    const data = tempDir();
    const source = customerHost();
    const out = path.join(tempDir(), 'case-4711');
    const env = { LIFEBOAT_HOST_PASSWORD: PASSWORD };
    const add = runCli(
      ['--data', data, 'hosts', 'add', 'hyperv', '--address', 'HV01', '--username', 'CORP\\lifeboat', '--replay', source],
      env,
    );
    expect(add.status, add.stderr).toBe(0);

    const recorded = runCli(['--data', data, 'hosts', 'record', 'HV01', '--out', out]);
    expect(recorded.status, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain(`Recorded HV01: 7 script outputs in ${out} (3 skipped, see manifest.json).`);

    const outputs = [
      `${scripts.host}.json`,
      `${scripts.listVms}.json`,
      ...VM_IDS.map((id) => `${scripts.heartbeat}.${id}.json`),
      // The stderr beside the general heartbeat file; the VM with a file of its own printed nothing there.
      ...VM_IDS.slice(0, 3).map((id) => `${scripts.heartbeat}.${id}.stderr.txt`),
      `${scripts.measureReplication}.${DC01}.json`,
    ];
    expect(filesUnder(out).sort()).toEqual([...outputs, 'PROVENANCE.md', 'manifest.json'].sort());
    for (const file of [...outputs.filter((f) => f.endsWith('.json')), 'manifest.json']) {
      expect(() => JSON.parse(fs.readFileSync(path.join(out, file), 'utf8').replace(/^\uFEFF/, '')), file).not.toThrow();
    }

    // No file holds the password; secret-looking values are replaced.
    for (const file of filesUnder(out)) expect(fs.readFileSync(path.join(out, file), 'utf8'), file).not.toContain(PASSWORD);
    const host = JSON.parse(fs.readFileSync(path.join(out, `${scripts.host}.json`), 'utf8')) as { data: Record<string, string> };
    expect(host.data.setupToken).toBe('••••');
    expect(host.data.note).toBe('password=••••');
    expect(fs.readFileSync(path.join(out, `${scripts.listVms}.json`), 'utf8')).toContain('Local admin •••• (ask Bob)');

    const provenance = fs.readFileSync(path.join(out, 'PROVENANCE.md'), 'utf8');
    for (const file of [...outputs, 'manifest.json']) {
      expect(provenance).toContain(`- ${file}: recorded on HV01, 10.0.20348, de-DE, `);
    }
    expect(checkProvenance(out, { recursive: false })).toEqual([]);

    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      status: string;
      hostName: string;
      kind: string;
      lifeboatVersion: string;
      scripts: { script: string }[];
      skipped: { script: string; vmId: string; reason: string }[];
    };
    expect(manifest).toMatchObject({ status: 'complete', hostName: 'HV01', kind: 'hyperv' });
    expect(manifest.lifeboatVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(new Set(manifest.scripts.map((s) => s.script))).toEqual(
      new Set([scripts.host, scripts.listVms, scripts.heartbeat, scripts.measureReplication]),
    );
    expect(manifest.skipped.map((s) => [s.script, s.vmId])).toEqual(VM_IDS.slice(1).map((id) => [scripts.measureReplication, id]));
    expect(manifest.skipped[0]!.reason).toMatch(/replication is not enabled/);

    // A second recording into the same folder is refused: nothing is overwritten.
    const again = runCli(['--data', data, 'hosts', 'record', 'HV01', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is not empty.*\n {2}fix: Choose a new folder/);

    // The recording replays as the host did.
    const addRecorded = runCli(['--data', data, 'hosts', 'add', 'hyperv', '--name', 'HV01 offline', '--replay', out]);
    expect(addRecorded.status, addRecorded.stderr).toBe(0);
    const discovered = runCli(['--data', data, 'discover', '--json']);
    expect(discovered.status, discovered.stderr).toBe(0);
    const vms = JSON.parse(discovered.stdout) as { name: string; host: string }[];
    const byHost = (name: string) =>
      vms
        .filter((vm) => vm.host === name)
        .map((vm) => vm.name)
        .sort();
    expect(byHost('HV01 offline')).toEqual(byHost('HV01'));
    expect(byHost('HV01')).toHaveLength(4);
  });

  it('runs only read-only scripts, the password only as a secret, and replays each VM its own answer', async () => {
    const source = customerHost();
    const out = path.join(tempDir(), 'rec');
    const runner = ReplayPowerShellRunner.fromFolder(source);
    const recording = await recordHost(runner, connection(), out, { version: '9.9.9', now: new Date('2026-12-04T10:00:00Z') });
    expect(recording.files).toContain(`${scripts.measureReplication}.${DC01}.json`);
    expect(runner.calls.length).toBe(2 + VM_IDS.length + 1);
    for (const call of runner.calls) {
      expect(READ_ONLY_SCRIPTS).toContain(call.script);
      expect(call.command).not.toContain(PASSWORD);
      expect(call.secrets).toEqual({ password: PASSWORD });
    }
    expect(fs.readFileSync(path.join(out, 'PROVENANCE.md'), 'utf8')).toContain(
      `- ${scripts.listVms}.json: recorded on HV01, 10.0.20348, de-DE, 2026-12-04`,
    );

    const live = hypervProvider({ runner: () => ReplayPowerShellRunner.fromFolder(source) }).connect(connection());
    const replayed = hypervProvider({ runner: () => ReplayPowerShellRunner.fromFolder(out) }).connect(connection());
    const summary = (list: Awaited<ReturnType<typeof live.listVms>>) =>
      list.map((vm) => [vm.externalId, vm.name, vm.powerState, vm.disks.length, vm.nics.length, vm.replication?.state ?? null]);
    expect(summary(await replayed.listVms())).toEqual(summary(await live.listVms()));
    expect(await replayed.heartbeat(DC01)).toBe('ok');
    expect(await replayed.heartbeat(VM_IDS[3]!.toUpperCase())).toBe(await live.heartbeat(VM_IDS[3]!));
    expect(await replayed.heartbeat(VM_IDS[3]!)).not.toBe('ok');
  });

  it('fails with the typed error when the host cannot be reached, and the manifest says what failed', () => {
    const data = tempDir();
    const working = tempDir();
    fs.writeFileSync(
      path.join(working, `${scripts.host}.json`),
      '{"ok":true,"data":{"name":"HV09","product":"Microsoft Windows Server 2019 Standard","version":"10.0.17763"}}',
    );
    fs.copyFileSync(path.join(FIXTURES, 'ps7-inventory-empty.json'), path.join(working, `${scripts.listVms}.json`));
    expect(runCli(['--data', data, 'hosts', 'add', 'hyperv', '--address', 'HV09', '--replay', working]).status).toBe(0);
    // Added while it answered; since then WinRM cannot reach it.
    fs.copyFileSync(path.join(FIXTURES, 'ps7-error-remote-unreachable.json'), path.join(working, `${scripts.host}.json`));

    const out = path.join(tempDir(), 'rec');
    const recorded = runCli(['--data', data, 'hosts', 'record', 'HV09', '--out', out]);
    expect(recorded.status).toBe(1);
    expect(recorded.stderr).toMatch(/error: .*HV09/);
    expect(recorded.stderr).toMatch(/fix: /);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      status: string;
      failed: { code: string; message: string };
    };
    expect(manifest.status).toBe('failed');
    expect(manifest.failed.code).not.toBe('INTERNAL');
    expect(manifest.failed.message).toMatch(/HV09/);
    expect(fs.existsSync(path.join(out, `${scripts.listVms}.json`))).toBe(false);
  });

  it('refuses to record a host that is not Hyper-V', () => {
    const data = tempDir();
    const folder = tempDir();
    expect(runCli(['--data', data, 'hosts', 'add', 'workstation', '--folder', folder, '--name', 'WS']).status).toBe(0);
    const recorded = runCli(['--data', data, 'hosts', 'record', 'WS', '--out', path.join(tempDir(), 'rec')]);
    expect(recorded.status).toBe(2);
    expect(recorded.stderr).toContain('only Hyper-V hosts can be recorded');
  });
});

describe('redactSecrets', () => {
  it('replaces the password in every spelling a PowerShell output may carry it, and secret-looking values', () => {
    const password = `O'Brien<&>\\"x`;
    // Windows PowerShell 5.1's ConvertTo-Json writes ' < > & as \u0027 \u003c \u003e \u0026; PowerShell 7 does not.
    const ps51 = JSON.stringify({ message: `bad ${password}` }).replace(/[<>&']/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    expect(redactSecrets(ps51, password)).toBe('{"message":"bad ••••"}');
    expect(redactSecrets(JSON.stringify({ message: `bad ${password}` }), password)).toBe('{"message":"bad ••••"}');
    expect(redactSecrets(`stderr: ${password}\r\n`, password)).toBe('stderr: ••••\r\n');
    expect(redactSecrets(Buffer.from(password).toString('base64'), password)).toBe('••••');
    expect(redactSecrets('{"ApiKey":"abc","clientSecret":"x\\"y","token":null,"name":"DC01"}', '')).toBe(
      '{"ApiKey":"••••","clientSecret":"••••","token":null,"name":"DC01"}',
    );
    expect(JSON.parse(redactSecrets('{"m":"token: ab\\"c"}', ''))).toEqual({ m: 'token: ••••"c' });
  });
});

describe('ReplayPowerShellRunner.fromFolder', () => {
  it('reads a file when a call first asks for it, and refuses one over 16 MiB with the fix', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, `${scripts.listVms}.json`), Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
    const runner = ReplayPowerShellRunner.fromFolder(dir);
    // Written after the runner was made: nothing was read up front.
    fs.writeFileSync(path.join(dir, `${scripts.host}.json`), '{"ok":true,"data":{"name":"HV01"}}');
    expect((await runner.run(scripts.host, {})).stdout).toContain('HV01');
    const refused = await runner.run(scripts.listVms, {}).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/at most 16 MiB/) as unknown });
    expect((refused as { fix?: string }).fix).toMatch(/record the host again/);
    await expect(runner.run(scripts.checkpoint, { vmId: DC01 })).rejects.toMatchObject({ code: 'MODULE_MISSING' });
    await expect(ReplayPowerShellRunner.fromFolder(path.join(dir, 'gone')).run(scripts.host, {})).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('keeps only the most recent 1000 calls', async () => {
    const runner = new ReplayPowerShellRunner({ [scripts.heartbeat]: (params) => ({ stdout: String(params.n), stderr: '' }) });
    for (let n = 0; n < 1005; n++) await runner.run(scripts.heartbeat, { n });
    expect(runner.calls).toHaveLength(1000);
    expect(runner.calls[0]!.params).toEqual({ n: 5 });
    expect(runner.calls.at(-1)!.params).toEqual({ n: 1004 });
  });
});
