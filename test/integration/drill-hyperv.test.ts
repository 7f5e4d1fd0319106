import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecoveryPlan } from '../../core/contract/drills';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { runDrill } from '../../core/drills/engine';
import { hypervisorDrillSandbox } from '../../core/drills/hypervisor-sandbox';
import { hypervProvider } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts } from '../../core/hypervisors/hyperv/runner';
import type { VaultPort } from '../../core/replication/vault-port';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { JobsStore } from '../../core/store/jobs';
import { PlansStore } from '../../core/store/plans';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { VmsStore } from '../../core/store/vms';
import { repoRoot, tempDir } from '../helpers/temp';

const RECORDED = path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'drill');

// Hyper-V cannot run here: the drill engine drives the real Hyper-V provider and its scripts' runner, which
// answers with outputs written by hand from the documentation (see the folder's README). What is checked
// is what the engine sends and how it reads replies.
describe('drill on Hyper-V (hand-written host outputs replayed)', () => {
  it('restores as VHDX, creates the VM without a network adapter, boots, reads the heartbeat, removes it', async () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    db.prepare("INSERT INTO hosts (id, name, kind, added_at) VALUES ('hv01', 'HV01', 'hyperv', '2026-01-01')").run();
    const vms = new VmsStore(db);
    vms.applyDiscovery(
      'hv01',
      [
        {
          externalId: '3F2B6C1E-8A4D-4F6E-9B1A-2C7D5E8F0A11',
          name: 'FS01',
          powerState: 'running',
          cpus: 2,
          memoryMiB: 4096,
          firmware: 'uefi',
          generation: 2,
          guestOs: 'Windows Server 2022',
          disks: [],
          nics: [],
          heartbeat: 'ok',
          replication: null,
          configPath: null,
        },
      ],
      new Date(),
    );
    const vm = vms.list()[0]!;
    const points = new RecoveryPointsStore(db);
    points.upsert({
      id: 'p1',
      vmId: vm.id,
      vmName: 'FS01',
      targetId: 't',
      jobId: null,
      time: '2026-11-25T09:45:00.000Z',
      appConsistent: true,
      sizeBytes: 0,
      storedBytes: 0,
      details: {},
    });
    const plan: RecoveryPlan = new PlansStore(db).create(
      {
        name: 'Files',
        groups: [
          {
            name: 'All',
            vms: [{ vmId: vm.id, checks: [{ kind: 'boot' }, { kind: 'heartbeat', timeoutSeconds: 60 }] }],
            then: { kind: 'none' },
          },
        ],
        points: { kind: 'latest' },
        networkMapping: [],
        drillNetwork: null,
        manualSteps: [],
        preScript: null,
        postScript: null,
        rpoTargetMinutes: 60,
        rtoTargetMinutes: 30,
        schedule: null,
      },
      new Date(),
    );
    const jobs = new JobsStore(db);
    jobs.insert(
      { id: 'd1', kind: 'drill', title: 'Drill Files', trigger: 'manual', vmId: null, policyId: null, hostId: null, targetId: null },
      new Date(),
    );

    const runner = ReplayPowerShellRunner.fromFolder(RECORDED);
    // After removal the host no longer lists the drill VM.
    (runner as unknown as { recordings: Record<string, unknown> }).recordings[scripts.listVms] = {
      stdout: fs.readFileSync(path.join(repoRoot, 'test/fixtures/hyperv/ps7-inventory-empty.json'), 'utf8'),
      stderr: '',
    };
    const hyperv = hypervProvider({ runner: () => runner }).connect({
      id: 'hv01',
      name: 'HV01',
      kind: 'hyperv',
      address: null,
      settings: {},
      credentials: null,
    });
    const vault: VaultPort = {
      latest: async () => null,
      backup: async () => {
        throw new Error('not used');
      },
      prune: async () => [],
      pointDisks: async () => [{ name: 'scsi0-0', size: 8 * 1024 * 1024 }],
      restoreDisk: async (_p, _d, writer) => writer.write(0, markerBootSector('LIFEBOAT-BOOT-OK FS01')),
      verifyPoint: async () => ({ ok: true, problem: null }),
      close: async () => undefined,
    };
    let now = Date.parse('2026-11-25T10:00:00Z');
    const drill = await runDrill(
      plan,
      { operator: 'alice' },
      { jobId: 'd1', signal: new AbortController().signal, log: () => undefined, progress: () => undefined },
      {
        drills: new DrillsStore(db),
        jobs,
        points,
        clock: { now: () => new Date((now += 2000)) },
        vm: (id) => vms.get(id),
        openVault: async () => vault,
        sandboxFor: () =>
          hypervisorDrillSandbox({
            hypervisor: hyperv,
            hostId: 'hv01',
            diskFormat: 'vhdx',
            isolatedNetwork: null,
            stage: async (files) => ({ hostPaths: files, remove: async () => undefined }),
          }),
        evidenceDir: path.join(dir, 'evidence'),
        workRoot: path.join(dir, 'drills'),
      },
    );

    expect(drill).toMatchObject({ status: 'passed', cleanupConfirmed: true, isolation: 'no network adapter', rpoSeconds: 15 * 60 + 2 });
    expect(drill.vms[0]!.checks.map((c) => `${c.kind}:${c.status}`)).toEqual(['boot:passed', 'heartbeat:passed']);
    // The heartbeat is the guest's own evidence, with what the host said (its localized service name).
    expect(drill.vms[0]!.checks[0]!.evidence).toEqual([
      { kind: 'heartbeat', text: 'ok: Hyper-V on HV01: VM Running, heartbeat integration service "Takt" enabled, status Ok (OK)' },
    ]);
    expect(runner.calls.map((c) => c.script)).toEqual([
      scripts.createVm,
      scripts.power,
      scripts.heartbeat,
      scripts.heartbeat,
      scripts.power,
      scripts.removeVm,
      scripts.listVms,
    ]);
    const create = runner.calls[0]!;
    expect(create.params).toMatchObject({ name: 'lifeboat-drill-FS01', generation: 2, memoryBytes: 4096 * 1024 * 1024, cpus: 2 });
    expect(create.params.switchName ?? null).toBeNull(); // no network at all
    expect((create.params.disks as string[])[0]).toMatch(/FS01[\\/](\d+-)?scsi0-0\.vhdx$/);
    expect(runner.calls[4]!.params).toMatchObject({ action: 'turnoff' });
    expect(runner.calls[5]!.params).toMatchObject({ marker: 'lifeboat-isolated-vm' });
    // Parameters travel as base64 data, never as script text.
    for (const call of runner.calls) expect(call.command).not.toContain('FS01');
    db.close();
  });
});
