import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { RecoveryPlan } from '../../core/contract/drills';
import { openDisk } from '../../core/disks';
import { runDrill, type DrillDeps } from '../../core/drills/engine';
import { qemuDrillSandbox } from '../../core/drills/qemu-drill-sandbox';
import { findQemu } from '../../core/drills/qemu-sandbox';
import type { JobRunContext } from '../../core/jobs/queue';
import type { VaultPort } from '../../core/replication/vault-port';
import { createService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { JobsStore } from '../../core/store/jobs';
import { PlansStore } from '../../core/store/plans';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { VmsStore } from '../../core/store/vms';
import { tempDir } from '../helpers/temp';

// The drill engine against the real sample lab and the real QEMU sandbox. The "vault" here restores from the
// lab's own disk files (the real vault's round trip is tested in the vault and replication suites), so this
// test is about the drill: order, checks, evidence, measurements, cleanup.
const qemu = findQemu();

function labVault(diskFiles: Map<string, string[]>, corrupt: Set<string>): VaultPort {
  return {
    latest: async () => null,
    backup: async () => {
      throw new Error('not used');
    },
    prune: async () => [],
    pointDisks: async (pointId) =>
      Promise.all(
        diskFiles.get(pointId)!.map(async (file, index) => {
          const reader = await openDisk(file);
          const size = reader.virtualSize;
          await reader.close();
          return { name: `disk${index}`, size };
        }),
      ),
    restoreDisk: async (pointId, disk, writer) => {
      const reader = await openDisk(diskFiles.get(pointId)![Number(disk.slice(4))]!);
      for (const { offset, length } of await reader.extents()) await writer.write(offset, await reader.read(offset, length));
      await reader.close();
    },
    verifyPoint: async (pointId) =>
      corrupt.has(pointId)
        ? { ok: false, problem: 'pack 3f2a… failed its checksum (block at 4 MiB of disk0)' }
        : { ok: true, problem: null },
    close: async () => undefined,
  };
}

describe.skipIf(!qemu)('drill engine on the sample lab', () => {
  it('restores, boots in plan order, checks, screenshots, measures and cleans up; a corrupt point fails its VM only', async () => {
    const dir = tempDir();
    const service = createService({ dataDir: dir, operator: 'alice' });
    const client = createLocalClient(service.api);
    await client.createSampleLab({});
    const vms = await client.listVms();
    await service.close();

    const db = openCatalog(dir);
    const points = new RecoveryPointsStore(db);
    const diskFiles = new Map<string, string[]>();
    for (const vm of vms) {
      const id = `point-${vm.name}`;
      diskFiles.set(
        id,
        vm.disks.map((d) => (path.isAbsolute(d.path) ? d.path : path.join(path.dirname(vm.configPath!), d.path))),
      );
      points.upsert({
        id,
        vmId: vm.id,
        vmName: vm.name,
        targetId: 't',
        jobId: null,
        time: '2026-11-25T09:50:00.000Z',
        appConsistent: true,
        sizeBytes: 0,
        storedBytes: 0,
        details: {},
      });
    }
    const byName = new Map(vms.map((vm) => [vm.name, vm]));
    const plan: RecoveryPlan = new PlansStore(db).create(
      {
        name: 'Office',
        groups: [
          {
            name: 'Directory',
            vms: [{ vmId: byName.get('lab-dc01')!.id, checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] }],
            then: { kind: 'none' },
          },
          {
            name: 'Apps',
            vms: [byName.get('lab-files01')!, byName.get('lab-web01')!].map((vm) => ({
              vmId: vm.id,
              checks: [{ kind: 'boot' as const }, { kind: 'vault-verify' as const }],
            })),
            then: { kind: 'none' },
          },
        ],
        points: { kind: 'latest' },
        networkMapping: [],
        drillNetwork: null,
        manualSteps: ['Log in to the file share'],
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
      { id: 'drill-1', kind: 'drill', title: 'Drill Office', trigger: 'manual', vmId: null, policyId: null, hostId: null, targetId: null },
      new Date(),
    );
    const drills = new DrillsStore(db);
    let now = Date.parse('2026-11-25T10:00:00Z');
    const deps: DrillDeps = {
      drills,
      jobs,
      points,
      clock: { now: () => new Date((now += 1000)) },
      vm: (id) => new VmsStore(db).get(id),
      openVault: async () => labVault(diskFiles, new Set(['point-lab-web01'])),
      sandboxFor: (_vm, workDir) => qemuDrillSandbox(qemu!, workDir, 'vmdk'),
      evidenceDir: path.join(dir, 'evidence'),
      workRoot: path.join(dir, 'drills'),
    };
    const run: JobRunContext = {
      jobId: 'drill-1',
      signal: new AbortController().signal,
      log: (line) => jobs.appendLog('drill-1', line),
      progress: () => undefined,
    };

    const drill = await runDrill(plan, { operator: 'alice' }, run, deps);

    expect(drill.status).toBe('failed');
    expect(drill.vms.map((v) => `${v.vm}:${v.status}`)).toEqual(['lab-dc01:passed', 'lab-files01:passed', 'lab-web01:failed']);
    expect(drill.vms[2]!.failure).toContain('failed its checksum');
    expect(drill.vms[0]!.checks.map((c) => `${c.kind}:${c.status}`)).toEqual(['boot:passed', 'vault-verify:passed']);
    expect(drill.vms[0]!.checks[0]!.detail).toContain('LIFEBOAT-BOOT-OK lab-dc01');
    expect(drill.vms[0]!.checks[0]!.evidence).toContainEqual({ kind: 'serial-line', text: 'LIFEBOAT-BOOT-OK lab-dc01' });
    for (const vm of drill.vms) expect(fs.readFileSync(vm.screenshot!).subarray(1, 4).toString()).toBe('PNG');
    expect(drill.rpoSeconds).toBe(10 * 60 + 1);
    expect(drill.rtoSeconds).toBeNull(); // not every VM recovered
    expect(drill.cleanupConfirmed).toBe(true);
    expect(drill.isolation).toContain('no network adapter');
    expect(fs.existsSync(path.join(dir, 'drills', 'drill-1'))).toBe(false);

    const steps = drills.steps('drill-1');
    const started = steps.filter((s) => s.name === 'Start in isolation').map((s) => s.vm);
    // Plan order: the Directory group first; the two Apps VMs start together, in either order.
    expect(started[0]).toBe('lab-dc01');
    expect(started.slice(1).sort()).toEqual(['lab-files01', 'lab-web01']);
    const appsStarted = steps.filter((s) => s.name === 'Start in isolation' && s.vm !== 'lab-dc01').map((s) => s.startedAt);
    const dcChecked = steps.filter((s) => s.vm === 'lab-dc01' && s.name === 'Vault data verification').map((s) => s.finishedAt!);
    expect(appsStarted.every((t) => t >= dcChecked[0]!)).toBe(true);
    expect(steps.at(-1)).toMatchObject({ name: 'Verify nothing is left', status: 'passed' });
    expect(steps.find((s) => s.name.startsWith('Manual step'))).toMatchObject({ status: 'skipped' });
    expect(drills.get('drill-1')).toMatchObject({ status: 'failed', cleanupConfirmed: true });
    expect(drills.actionItems().map((a) => a.subject)).toEqual(['lab-web01']);
    expect(jobs.heldResources()).toEqual([]);
    db.close();
  });
});
