import { describe, expect, it } from 'vitest';
import { noticeFor } from '../../core/notify/notices';
import { quitPrompt, trayView } from '../../electron/tray-state';

describe('tray state', () => {
  it('shows idle until something is protected, then the worst VM decides', () => {
    expect(trayView({ rpo: [], runningJobs: 0, paused: false })).toMatchObject({ health: 'idle', icon: 'tray-idle', tooltip: 'Lifeboat — No VMs protected yet' });
    expect(trayView({ rpo: ['ok', 'ok', 'pending'], runningJobs: 0, paused: false })).toMatchObject({ health: 'ok', tooltip: 'Lifeboat — All 3 VMs within RPO' });
    expect(trayView({ rpo: ['ok', 'warning'], runningJobs: 1, paused: false })).toMatchObject({ health: 'warning', tooltip: 'Lifeboat — 1 VM at risk (1 running)' });
    expect(trayView({ rpo: ['breach', 'warning', 'breach'], runningJobs: 0, paused: true })).toMatchObject({
      health: 'breach',
      icon: 'tray-breach',
      tooltip: 'Lifeboat — 2 VMs outside RPO (schedules paused)',
    });
  });

  it('offers pause or resume, and run-now only when something can run', () => {
    const actions = (view: ReturnType<typeof trayView>) => view.menu.map((item) => `${item.action}:${item.enabled}`);
    expect(actions(trayView({ rpo: [], runningJobs: 0, paused: false }))).toEqual(['open:true', 'runNow:false', 'pauseAll:false', 'quit:true']);
    expect(actions(trayView({ rpo: ['ok'], runningJobs: 0, paused: false }))).toEqual(['open:true', 'runNow:true', 'pauseAll:true', 'quit:true']);
    expect(actions(trayView({ rpo: ['ok'], runningJobs: 0, paused: true }))).toEqual(['open:true', 'runNow:false', 'resumeAll:true', 'quit:true']);
  });

  it('asks before quitting only when quitting would cancel running jobs', () => {
    expect(quitPrompt(0, false)).toBeNull();
    expect(quitPrompt(3, true)).toBeNull(); // the agent keeps running them
    expect(quitPrompt(2, false)).toMatchObject({ message: '2 jobs are still running.', buttons: ['Quit and cancel', 'Keep running'] });
  });
});

describe('desktop notifications', () => {
  const jobs: Record<string, { title: string; kind: string }> = { j1: { title: 'Copy web01', kind: 'replication' }, d1: { title: 'Drill: Office', kind: 'drill' } };
  const describe_ = (id: string) => jobs[id] ?? null;

  it('notifies failures, alerts and drill results, not routine successes', () => {
    expect(noticeFor({ type: 'job.finished', jobId: 'j1', status: 'failed', message: 'HV01 unreachable' }, describe_)).toMatchObject({ body: 'Copy web01 failed: HV01 unreachable', urgency: 'critical' });
    expect(noticeFor({ type: 'job.finished', jobId: 'j1', status: 'succeeded' }, describe_)).toBeNull();
    expect(noticeFor({ type: 'job.finished', jobId: 'd1', status: 'succeeded', message: 'passed, RTO 2 min' }, describe_)).toMatchObject({ title: 'Lifeboat: drill finished' });
    expect(noticeFor({ type: 'alert.raised', alert: { id: 'a', severity: 'critical', message: 'web01 is outside its RPO' } }, describe_)).toMatchObject({ urgency: 'critical', body: 'web01 is outside its RPO' });
    expect(noticeFor({ type: 'job.progress', jobId: 'j1', phase: 'x', bytesDone: 1, bytesTotal: 2, bytesPerSecond: 1, etaSeconds: 1 }, describe_)).toBeNull();
  });
});
