import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import type { Vm } from '../../core/contract/hosts';
import type { Policy } from '../../core/contract/protection';
import type { DiskReader } from '../../core/disks/types';
import type { Checkpoint, Hypervisor } from '../../core/hypervisors/types';
import type { JobRunContext } from '../../core/jobs/queue';
import { releaseLeftovers } from '../../core/jobs/leftovers';
import { replicateVm, type ReplicationDeps } from '../../core/replication/run';
import type { VaultBackupInput, VaultPort } from '../../core/replication/vault-port';
import { openCatalog } from '../../core/store/database';
import { JobsStore } from '../../core/store/jobs';
import { RecoveryPointsStore } from '../../core/store/recovery-points';
import { manualClock } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

// The orchestration's failure paths (release on every path), driven by a hypervisor and vault that fail on
// cue. The same run against real peers (sample lab, vSphere simulator, folder vault and Azurite) is in the
// integration suite.

const policy: Policy = {
  id: 'p1',
  name: 'Office',
  vmIds: ['vm1'],
  targetId: 't1',
  rpoMinutes: 15,
  schedule: null,
  consistency: 'prefer',
  retention: { keepLast: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
  bandwidth: [],
  enabled: true,
  createdAt: '',
  updatedAt: '',
  intervalMinutes: 7,
};
const vm = {
  id: 'vm1',
  hostId: 'h1',
  hostName: 'HV01',
  hostKind: 'hyperv',
  externalId: 'ext-1',
  name: 'web01',
  disks: [],
  nics: [],
  cpus: 2,
  memoryMiB: 2048,
  firmware: 'uefi',
  generation: 2,
  guestOs: null,
} as unknown as Vm;

function fakeReader(): DiskReader {
  return {
    format: 'raw',
    name: 'd',
    virtualSize: 1024,
    stats: { bytesReadFromSource: 0 },
    extents: async () => [],
    read: async (_o, l) => Buffer.alloc(l),
    close: async () => undefined,
  };
}

function recordingHypervisor(kind: Checkpoint['kind'] = 'app-consistent') {
  const calls: string[] = [];
  const hypervisor = {
    createCheckpoint: async (vmId: string) => {
      calls.push(`checkpoint ${vmId}`);
      return {
        id: 'cp1',
        vmId,
        name: 'Lifeboat',
        kind,
        createdAt: '2026-11-25T10:00:00.000Z',
        note: kind === 'crash-consistent' ? 'VSS failed in the guest' : null,
        disks: [{ key: 'scsi0:0', path: 'x', capacityBytes: 1024, changeId: null }],
      } satisfies Checkpoint;
    },
    openCheckpointDisk: async () => fakeReader(),
    changedAreas: async () => ({ kind: 'full-read', reason: 'test' }),
    releaseCheckpoint: async (checkpoint: Checkpoint) => void calls.push(`release ${checkpoint.id}`),
    close: async () => void calls.push('close'),
  } as unknown as Hypervisor;
  return { hypervisor, calls };
}

function vaultThat(backup: (input: VaultBackupInput, signal: AbortSignal) => Promise<void>): VaultPort {
  return {
    latest: async () => null,
    backup: async (input, options) => {
      await backup(input, options.signal);
      return { id: 'point-1', time: input.time.toISOString(), sizeBytes: 1024, storedBytes: 100, bytesRead: 1024, uploadBytesPerSecond: 0 };
    },
    prune: async () => ['point-1'],
    pointDisks: async () => [],
    restoreDisk: async () => undefined,
    verifyPoint: async () => ({ ok: true, problem: null }),
    close: async () => undefined,
  };
}

function setup(hypervisor: Hypervisor, vault: VaultPort) {
  const db = openCatalog(tempDir());
  const jobs = new JobsStore(db);
  jobs.insert(
    { id: 'job-1', kind: 'replication', title: 'Copy web01', trigger: 'manual', vmId: 'vm1', policyId: 'p1', hostId: 'h1', targetId: 't1' },
    new Date(),
  );
  const deps: ReplicationDeps = {
    connect: () => hypervisor,
    openVault: async () => vault,
    points: new RecoveryPointsStore(db),
    jobs,
    clock: manualClock('2026-11-25T10:00:00Z'),
  };
  const controller = new AbortController();
  const run: JobRunContext = {
    jobId: 'job-1',
    signal: controller.signal,
    log: (line) => jobs.appendLog('job-1', line),
    progress: () => undefined,
  };
  return { deps, run, jobs, controller, points: deps.points };
}

describe('replication run', () => {
  it('commits a recovery point, records consistency, and releases the checkpoint', async () => {
    const { hypervisor, calls } = recordingHypervisor('crash-consistent');
    const { deps, run, jobs, points } = setup(
      hypervisor,
      vaultThat(async () => undefined),
    );
    const outcome = await replicateVm(policy, vm, run, deps);
    expect(outcome).toEqual({ bytesRead: 1024, bytesStored: 100, appConsistent: false });
    expect(points.listForVm('vm1').map((p) => p.id)).toEqual(['point-1']);
    expect(calls).toEqual(['checkpoint ext-1', 'release cp1', 'close']);
    expect(jobs.get('job-1')!.log).toMatch(/Crash-consistent checkpoint taken: VSS failed in the guest/);
    expect(jobs.heldResources()).toEqual([]);
  });

  it('releases the checkpoint when the vault fails and when the run is cancelled', async () => {
    const failing = recordingHypervisor();
    const broken = setup(
      failing.hypervisor,
      vaultThat(async () => {
        throw new LifeboatError('BACKEND_UNAVAILABLE', 'The vault stopped answering.');
      }),
    );
    await expect(replicateVm(policy, vm, broken.run, broken.deps)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(failing.calls).toEqual(['checkpoint ext-1', 'release cp1', 'close']);

    const cancelled = recordingHypervisor();
    const waiting = setup(
      cancelled.hypervisor,
      vaultThat((_input, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))),
    );
    const pending = replicateVm(policy, vm, waiting.run, waiting.deps);
    waiting.controller.abort(new LifeboatError('CANCELLED', 'Cancelled by the operator.'));
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(cancelled.calls).toEqual(['checkpoint ext-1', 'release cp1', 'close']);
    expect(waiting.points.listForVm('vm1')).toEqual([]);
  });

  it('releases at the next start a checkpoint that a killed run left behind', async () => {
    const { hypervisor, calls } = recordingHypervisor();
    const { deps, jobs } = setup(
      hypervisor,
      vaultThat(async () => undefined),
    );
    const checkpoint = await hypervisor.createCheckpoint('ext-1', { consistency: 'prefer', name: 'x' });
    jobs.setResources('job-1', [{ kind: 'checkpoint', hostId: 'h1', ref: checkpoint, description: 'checkpoint of web01' }]);
    jobs.markInterrupted(new Date());
    expect(await releaseLeftovers(deps)).toEqual({ released: 1, failed: [] });
    expect(calls.slice(1)).toEqual(['release cp1', 'close']);
    expect(jobs.heldResources()).toEqual([]);
    expect(jobs.get('job-1')!.log).toContain('Released the checkpoint of web01 left by this job');
  });
});
