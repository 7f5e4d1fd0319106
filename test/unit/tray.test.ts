import { describe, expect, it } from 'vitest';
import { noticeFor } from '../../core/notify/notices';
import type { RpoState, VmRpoStatus } from '../../core/contract/protection';
import { quitPrompt, trayView } from '../../electron/tray-state';

const vm = (status: RpoState, i: number, extra: Partial<VmRpoStatus> = {}): VmRpoStatus => ({
  vmId: `vm-${i}`,
  vm: `vm${i}`,
  policyId: 'p',
  policy: 'Daily',
  rpoMinutes: 60,
  lastPointTime: null,
  ageSeconds: null,
  status,
  ...extra,
});
const states = (...list: RpoState[]): VmRpoStatus[] => list.map((s, i) => vm(s, i));

describe('tray state', () => {
  it('shows idle until something is protected, then the worst VM decides', () => {
    expect(trayView({ rpo: [], runningJobs: 0, paused: false })).toMatchObject({
      health: 'idle',
      icon: 'tray-idle',
      tooltip: 'Lifeboat — No VMs protected yet',
    });
    expect(trayView({ rpo: states('ok', 'ok'), runningJobs: 0, paused: false })).toMatchObject({
      health: 'ok',
      tooltip: 'Lifeboat — All 2 VMs within their RPO',
    });
    // A VM waiting for its first copy is not protected: never green.
    expect(trayView({ rpo: states('ok', 'ok', 'pending'), runningJobs: 0, paused: false })).toMatchObject({
      health: 'idle',
      tooltip: 'Lifeboat — 2 VMs within their RPO; 1 not protected yet (waiting for a first copy)',
    });
    expect(trayView({ rpo: states('ok', 'warning'), runningJobs: 1, paused: false })).toMatchObject({
      health: 'warning',
      tooltip: 'Lifeboat — 1 VM at risk: vm1 (1 running)',
    });
    expect(trayView({ rpo: states('breach', 'warning', 'breach'), runningJobs: 0, paused: true })).toMatchObject({
      health: 'breach',
      icon: 'tray-breach',
      tooltip: 'Lifeboat — 2 VMs are outside their RPO: vm0, vm2 (schedules paused)',
    });
    // The vault down outranks ages: red, and says so.
    const down = [vm('breach', 0, { reason: 'vault', problem: 'Its vault "Local vault" is unavailable' }), vm('ok', 1)];
    expect(trayView({ rpo: down, runningJobs: 0, paused: false })).toMatchObject({
      health: 'breach',
      tooltip: 'Lifeboat — 1 VM is not protected: its vault is unavailable (vm0)',
    });
    const firstFailed = [vm('breach', 0, { reason: 'first-copy' }), vm('breach', 1, { reason: 'first-copy' })];
    expect(trayView({ rpo: firstFailed, runningJobs: 0, paused: false })).toMatchObject({
      health: 'breach',
      tooltip: 'Lifeboat — 2 VMs are not protected yet: their first copies failed (vm0, vm1)',
    });
  });

  it('offers pause or resume, and run-now only when something can run', () => {
    const actions = (view: ReturnType<typeof trayView>) => view.menu.map((item) => `${item.action}:${item.enabled}`);
    expect(actions(trayView({ rpo: [], runningJobs: 0, paused: false }))).toEqual([
      'open:true',
      'runNow:false',
      'pauseAll:false',
      'quit:true',
    ]);
    expect(actions(trayView({ rpo: states('ok'), runningJobs: 0, paused: false }))).toEqual([
      'open:true',
      'runNow:true',
      'pauseAll:true',
      'quit:true',
    ]);
    expect(actions(trayView({ rpo: states('ok'), runningJobs: 0, paused: true }))).toEqual([
      'open:true',
      'runNow:false',
      'resumeAll:true',
      'quit:true',
    ]);
  });

  it('asks before quitting only when quitting would cancel running jobs', () => {
    expect(quitPrompt(0, false)).toBeNull();
    expect(quitPrompt(3, true)).toBeNull(); // the agent keeps running them
    expect(quitPrompt(2, false)).toMatchObject({ message: '2 jobs are still running.', buttons: ['Quit and cancel', 'Keep running'] });
  });
});

describe('desktop notifications', () => {
  const jobs: Record<string, { title: string; kind: string }> = {
    j1: { title: 'Copy web01', kind: 'replication' },
    d1: { title: 'Drill: Office', kind: 'drill' },
  };
  const describe_ = (id: string) => jobs[id] ?? null;

  it('notifies failures, alerts and drill results, not routine successes', () => {
    expect(noticeFor({ type: 'job.finished', jobId: 'j1', status: 'failed', message: 'HV01 unreachable' }, describe_)).toMatchObject({
      body: 'Copy web01 failed: HV01 unreachable',
      urgency: 'critical',
    });
    expect(noticeFor({ type: 'job.finished', jobId: 'j1', status: 'succeeded' }, describe_)).toBeNull();
    expect(noticeFor({ type: 'job.finished', jobId: 'd1', status: 'succeeded', message: 'passed, RTO 2 min' }, describe_)).toMatchObject({
      title: 'Lifeboat: drill finished',
    });
    expect(
      noticeFor({ type: 'alert.raised', alert: { id: 'a', severity: 'critical', message: 'web01 is outside its RPO' } }, describe_),
    ).toMatchObject({ urgency: 'critical', body: 'web01 is outside its RPO' });
    expect(
      noticeFor(
        { type: 'job.progress', jobId: 'j1', phase: 'x', bytesDone: 1, bytesTotal: 2, bytesPerSecond: 1, etaSeconds: 1 },
        describe_,
      ),
    ).toBeNull();
  });
});
