import { describe, expect, it } from 'vitest';
import { intervalMinutesFor, type Job } from '../../core/contract/protection';
import { drillProgress, moveVm, syncGroups, toPlanGroups, verdict, type DraftGroup } from '../../renderer/model/drills';
import { formatBytes, formatDuration } from '../../renderer/format';
import {
  ASSUMED_RATE,
  bandwidthSentence,
  estimateFirstCopy,
  estimateRate,
  presetOf,
  RETENTION_PRESETS,
  retentionReach,
  retentionSentence,
  rpoSentence,
  sharedLimit,
  suggestPolicyName,
} from '../../renderer/model/protection';

const GiB = 1024 ** 3;

function job(bytesRead: number, seconds: number, status: Job['status'] = 'succeeded'): Job {
  const started = Date.parse('2026-11-25T10:00:00Z');
  return {
    id: String(Math.random()),
    kind: 'replication',
    title: 'Copy x',
    status,
    trigger: 'manual',
    vmId: null,
    policyId: null,
    hostId: null,
    targetId: null,
    createdAt: new Date(started).toISOString(),
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(started + seconds * 1000).toISOString(),
    bytesRead,
    bytesStored: 0,
    bytesTotal: 0,
    appConsistent: true,
    error: null,
    progress: null,
  };
}

describe('protect wizard in plain words', () => {
  it('says what an RPO means and how often copies start', () => {
    expect(rpoSentence(15)).toBe('Lose at most 15 minutes of work');
    expect(rpoSentence(60)).toBe('Lose at most 1 hour of work');
    expect(rpoSentence(24 * 60)).toBe('Lose at most 1 day of work');
    expect(rpoSentence(90)).toBe('Lose at most 90 minutes of work');
    expect(intervalMinutesFor(15)).toBe(7);
    expect(intervalMinutesFor(1)).toBe(1);
  });

  it('describes retention and recognises its presets', () => {
    expect(retentionSentence({ keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 })).toBe(
      'Keep the newest 24 copies, plus one a day for 7 days, one a week for 4 weeks and one a month for 12 months.',
    );
    expect(retentionSentence({ keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 })).toBe('Keep the newest 1 copy.');
    expect(presetOf(RETENTION_PRESETS[2]!.retention)).toBe('compliance');
    expect(presetOf({ keepLast: 5, daily: 0, weekly: 0, monthly: 0, yearly: 0 })).toBe('custom');
    expect(retentionReach({ keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 }, 60)).toBe('12 months');
    expect(retentionReach({ keepLast: 24, daily: 0, weekly: 0, monthly: 0, yearly: 0 }, 60)).toBe('12 hours');
  });

  it('estimates the first copy from disk sizes, measured speed, or an explained assumption, capped by the bandwidth limit', () => {
    const vms = [
      { disks: [{ capacityBytes: 100 * GiB }, { capacityBytes: null }] },
      { disks: [{ capacityBytes: 27 * GiB }] },
    ] as unknown as Parameters<typeof estimateFirstCopy>[0];
    const assumed = estimateRate([], { kind: 'folder', path: '/srv/vault' }, []);
    expect(assumed).toEqual({ bytesPerSecond: ASSUMED_RATE.folder, basis: 'a typical local disk or gigabit network share' });
    const estimate = estimateFirstCopy(vms, assumed);
    expect(estimate.bytes).toBe(127 * GiB);
    expect(estimate.sizeWords).toBe('at most 136 GB');
    expect(estimate.timeWords).toBe('about 45 min 27 s');

    expect(estimateRate([], { kind: 'azure', path: 'azblob://c' }, []).bytesPerSecond).toBe(ASSUMED_RATE.cloud);
    const measured = estimateRate([job(600e6, 10), job(400e6, 10), job(5e9, 1, 'failed')], null, []);
    expect(measured).toEqual({ bytesPerSecond: 50e6, basis: 'the average speed of your last 2 copies' });
    const limited = estimateRate([job(600e6, 10)], null, [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00', bytesPerSecond: 5e6 }]);
    expect(limited).toEqual({ bytesPerSecond: 5e6, basis: 'your bandwidth limit of 5 MB/s (while it applies)' });
    expect(bandwidthSentence({ days: [5, 1, 2, 3, 4], from: '08:00', to: '18:00', bytesPerSecond: 20e6 })).toBe(
      'Weekdays 08:00–18:00: at most 20 MB/s',
    );
  });

  it("names another policy's tighter limit on the same vault, and the time the copy can take under it", () => {
    const own = estimateRate([], null, [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59', bytesPerSecond: 5e6 }]);
    const estimate = estimateFirstCopy([{ disks: [{ capacityBytes: 840e6 }] }] as unknown as Parameters<typeof estimateFirstCopy>[0], own);
    expect(estimate.timeWords).toBe('about 2 min 48 s');
    const window = { days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' };
    expect(sharedLimit(estimate, own, [{ name: 'Looser', bandwidth: [{ ...window, bytesPerSecond: 8e6 }] }])).toBeNull();
    const shared = sharedLimit(estimate, own, [{ name: 'Accounting', bandwidth: [{ ...window, bytesPerSecond: 2e6 }] }]);
    expect(shared).toMatchObject({ policyName: 'Accounting', bytesPerSecond: 2e6, seconds: 840 });
    expect(shared!.words).toContain('its limit of 2 MB/s applies to this copy too');
    expect(shared!.words).toContain('up to about 14 min');
  });

  it('suggests a policy name from the VMs', () => {
    expect(suggestPolicyName([{ name: 'web01', hostName: 'HV01' }])).toBe('web01');
    expect(
      suggestPolicyName([
        { name: 'a', hostName: 'Sample lab' },
        { name: 'b', hostName: 'Sample lab' },
      ]),
    ).toBe('Sample lab');
    expect(
      suggestPolicyName([
        { name: 'a', hostName: 'HV01' },
        { name: 'b', hostName: 'HV02' },
      ]),
    ).toBe('2 VMs');
  });
});

describe('drill plan boot order', () => {
  const groups: DraftGroup[] = [{ name: 'Group 1', vmIds: ['dc', 'sql', 'web'], then: { kind: 'none' } }];

  it('moves VMs between groups, makes a new group past the last, and drops empty groups', () => {
    const two = moveVm(groups, 'web', 1);
    expect(two.map((g) => [g.name, g.vmIds])).toEqual([
      ['Group 1', ['dc', 'sql']],
      ['Group 2', ['web']],
    ]);
    const three = moveVm(two, 'sql', 1, 0);
    expect(three.map((g) => g.vmIds)).toEqual([['dc'], ['sql', 'web']]);
    const back = moveVm(moveVm(three, 'sql', 0), 'web', 0);
    expect(back.map((g) => [g.name, g.vmIds])).toEqual([['Group 1', ['dc', 'sql', 'web']]]);
  });

  it('keeps groups in step with the chosen VMs and builds the plan with checks', () => {
    const synced = syncGroups(moveVm(groups, 'web', 1), ['dc', 'web', 'file']);
    expect(synced.map((g) => g.vmIds)).toEqual([['dc'], ['web', 'file']]);
    expect(syncGroups([], ['a'])).toEqual([{ name: 'Group 1', vmIds: ['a'], then: { kind: 'none' } }]);
    const plan = toPlanGroups(synced, { web: { heartbeat: true, ports: [443], vaultVerify: false } });
    expect(plan[1]!.vms).toEqual([
      {
        vmId: 'web',
        checks: [{ kind: 'boot' }, { kind: 'heartbeat', timeoutSeconds: 300 }, { kind: 'tcp', port: 443, timeoutSeconds: 120 }],
      },
      { vmId: 'file', checks: [{ kind: 'boot' }, { kind: 'vault-verify' }] },
    ]);
  });

  it('judges measured times against goals and never shows a running drill as done', () => {
    expect(verdict(60, 1800)).toBe('met');
    expect(verdict(1801, 1800)).toBe('missed');
    expect(verdict(null, 1800)).toBe('unknown');
    expect(drillProgress({ status: 'running' }, [])).toBe(2);
    expect(
      drillProgress(
        { status: 'running' },
        Array.from({ length: 50 }, () => ({ status: 'passed' }) as never),
      ),
    ).toBeLessThan(100);
    expect(drillProgress({ status: 'passed' }, [])).toBe(100);
  });
});

describe('formatting', () => {
  it('reads like a person wrote it', () => {
    expect(formatBytes(20_000_000)).toBe('20 MB');
    expect(formatBytes(218_103_808)).toBe('218 MB');
    expect(formatBytes(3_400_000)).toBe('3.4 MB');
    expect(formatDuration(1800)).toBe('30 min');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(71)).toBe('1 min 11 s');
    expect(formatDuration(0.2)).toBe('under 1 s');
  });
});
