import { describe, expect, it } from 'vitest';
import { encodeChangeId, keepRctReference, rctChangedAreas, type ScriptCall } from '../../core/hypervisors/hyperv/change-tracking';
import { scripts } from '../../core/hypervisors/hyperv/runner';
import type { Checkpoint } from '../../core/hypervisors/types';

const GiB = 1024 ** 3;
const checkpoint: Checkpoint = {
  id: '11111111-2222-4333-8444-555555555555',
  vmId: '3f2b6c1e-8a4d-4f6e-9b1a-2c7d5e8f0a11',
  name: 'Lifeboat',
  kind: 'app-consistent',
  createdAt: '2026-12-04T10:00:00.000Z',
  note: null,
  noChangeTracking: null,
  disks: [{ key: 'SCSI:0:0', path: 'D:\\VMs\\DC01.vhdx', capacityBytes: 40 * GiB, changeId: null, identity: 'AAAA-1' }],
};
const kept = { v: 1 as const, referencePoint: 'rp-1', rct: 'rctid-1', disk: 'AAAA-1', size: 40 * GiB, path: 'D:\\VMs\\DC01.vhdx' };

/** A host that must not be asked: the kept reference already tells the disk changed under it. */
const unreachable: ScriptCall = async () => {
  throw new Error('the host was asked');
};

describe('Hyper-V RCT: when the kept reference no longer describes the disk', () => {
  it.each([
    ['replaced', { ...kept, disk: 'BBBB-2' }, /was replaced since the last copy \(its VHDX identifier changed from BBBB-2 to AAAA-1\)/],
    ['resized', { ...kept, size: 30 * GiB }, /was resized since the last copy \(from 32212254720 to 42949672960 bytes\)/],
    ['moved', { ...kept, path: 'E:\\VMs\\DC01.vhdx' }, /moved since the last copy \(from E:\\VMs\\DC01.vhdx to D:\\VMs\\DC01.vhdx\)/],
  ])('reads in full when the disk was %s', async (_what, reference, reason) => {
    const areas = await rctChangedAreas(unreachable, checkpoint, 'SCSI:0:0', encodeChangeId(reference));
    expect(areas.kind).toBe('full-read');
    expect(areas.kind === 'full-read' && areas.reason).toMatch(reason);
  });

  it('reads in full when the change id is not one it wrote, or the VM has no RCT', async () => {
    expect(await rctChangedAreas(unreachable, checkpoint, 'SCSI:0:0', '52 4a 1b/17')).toMatchObject({ kind: 'full-read' });
    const old = { ...checkpoint, noChangeTracking: 'configuration version 5.0' };
    expect(await rctChangedAreas(unreachable, old, 'SCSI:0:0', encodeChangeId(kept))).toEqual({
      kind: 'full-read',
      reason: 'configuration version 5.0',
    });
  });

  it('asks for the changes of the same disk, a path differing only in case', async () => {
    const asked: unknown[] = [];
    const call = (async (script: string, params: Record<string, unknown>) => {
      asked.push([script, params]);
      return { unavailable: null, ranges: [[4096, 512]] };
    }) as ScriptCall;
    const areas = await rctChangedAreas(call, checkpoint, 'SCSI:0:0', encodeChangeId({ ...kept, path: 'd:\\vms\\dc01.VHDX' }));
    expect(areas).toEqual({ kind: 'changes', extents: [{ offset: 4096, length: 512 }] });
    expect(asked).toEqual([
      [scripts.diskChanges, expect.objectContaining({ limitId: 'rctid-1', size: 40 * GiB, path: 'D:\\VMs\\DC01.vhdx' })],
    ]);
  });
});

describe('Hyper-V RCT: keeping the reference point', () => {
  it('names only the superseded reference points, once, and reports one it could not remove', async () => {
    let sent: Record<string, unknown> = {};
    const call = (async (_script: string, params: Record<string, unknown>) => {
      sent = params;
      return {
        referencePointId: 'rp-2',
        disks: [{ diskIdentifier: 'aaaa-1', rctId: 'rctid-2' }],
        notRemoved: [{ id: 'rp-1', message: 'The operation cannot be performed while the object is in use.' }],
      };
    }) as ScriptCall;
    const result = await keepRctReference(call, checkpoint, [encodeChangeId(kept), encodeChangeId(kept), 'not ours']);
    expect(sent.superseded).toEqual(['rp-1']);
    expect(JSON.parse(result.changeIds['SCSI:0:0']!)).toMatchObject({ referencePoint: 'rp-2', rct: 'rctid-2', disk: 'AAAA-1' });
    expect(result.notes).toEqual([
      expect.stringMatching(/reference point rp-1 of an earlier copy could not be removed \(The operation cannot/),
    ]);
  });

  it('gives no change id to a disk the reference point does not list', async () => {
    const call = (async () => ({
      referencePointId: 'rp-2',
      disks: [{ diskIdentifier: 'CCCC-3', rctId: 'x' }],
      notRemoved: [],
    })) as ScriptCall;
    const result = await keepRctReference(call, checkpoint, []);
    expect(result.changeIds).toEqual({});
    expect(result.notes[0]).toMatch(/no change tracking id for disk SCSI:0:0 .* its next copy reads it in full/);
  });
});
