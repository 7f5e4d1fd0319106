import { describe, expect, it } from 'vitest';
import type { Drill, DrillVmResult } from '../../core/contract/drills';
import { achievedRto, drillOutcome, evidenceLabel, unprovenWords } from '../../renderer/model/drills';

const vm = (name: string, status: DrillVmResult['status']): DrillVmResult => ({
  vmId: null,
  vm: name,
  recoveryPointId: 'p',
  recoveryPointTime: '2026-01-01T00:00:00Z',
  status,
  checks: [],
  screenshot: null,
  recoveredSeconds: null,
  failure: null,
});

describe('how a drill result reads', () => {
  it('never says an unverified drill came back, and names the VMs nothing proved', () => {
    const drill: Pick<Drill, 'status' | 'vms' | 'rtoSeconds'> = {
      status: 'unverified',
      vms: [vm('web01', 'unverified'), vm('files01', 'passed')],
      rtoSeconds: 80,
    };
    expect(drillOutcome(drill)).toEqual({
      tone: 'warn',
      value: 'Started, not proven',
      hint: 'web01 started, but nothing proved its guest came up. Not counted as a pass.',
    });
    expect(achievedRto(drill)).toBeNull();
    expect(unprovenWords({ vms: [vm('a', 'unverified'), vm('b', 'unverified')] })).toBe(
      'a and b started, but nothing proved their guests came up',
    );
    expect(unprovenWords({ vms: ['a', 'b', 'c', 'd', 'e'].map((n) => vm(n, 'unverified')) })).toBe(
      'a, b, c and 2 more started, but nothing proved their guests came up',
    );
  });

  it('keeps passed green with its RTO, and failed red with a count', () => {
    expect(drillOutcome({ status: 'passed', vms: [vm('web01', 'passed')] })).toMatchObject({ tone: 'ok', value: 'Every VM came back' });
    expect(achievedRto({ status: 'passed', rtoSeconds: 64 })).toBe(64);
    expect(drillOutcome({ status: 'failed', vms: [vm('web01', 'failed'), vm('db01', 'unverified')] })).toMatchObject({
      tone: 'bad',
      value: '1 VM failed',
    });
    expect(achievedRto({ status: 'failed', rtoSeconds: 64 })).toBeNull();
  });

  it('labels evidence in plain words', () => {
    expect(evidenceLabel({ kind: 'serial-line', text: 'DRILL-GUEST-READY' })).toBe('Serial console');
    expect(evidenceLabel({ kind: 'tcp-answer', text: 'HTTP/1.0 200 OK' })).toBe('HTTP answer');
    expect(evidenceLabel({ kind: 'tcp-answer', text: 'SSH-2.0-OpenSSH_9.2' })).toBe('Port answer');
    expect(evidenceLabel({ kind: 'screen-text', text: 'login:' })).toBe('Screen text');
    expect(evidenceLabel({ kind: 'script-output', text: 'ok' })).toBe('Script output');
    expect(evidenceLabel({ kind: 'heartbeat', text: 'OK' })).toBe('Heartbeat');
  });
});
