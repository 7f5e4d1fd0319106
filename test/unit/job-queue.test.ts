import { describe, expect, it } from 'vitest';
import { topicsOf, type ConsoleEvent } from '../../core/contract/events';
import { stepRecorder } from '../../core/drills/steps';
import { DrillsStore } from '../../core/store/drills';
import { LifeboatError } from '../../core/contract/errors';
import { EventBus } from '../../core/event-bus';
import { JobQueue, type JobRequest, type JobRunContext } from '../../core/jobs/queue';
import { openCatalog } from '../../core/store/database';
import { JobsStore } from '../../core/store/jobs';
import { manualClock } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

/** A job that runs until the test releases it: the test decides when work happens, no timers involved. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

function setup(limits = { total: 4, perHost: 1, perTarget: 2 }) {
  const db = openCatalog(tempDir());
  const store = new JobsStore(db);
  const bus = new EventBus();
  const events: ConsoleEvent[] = [];
  bus.subscribe((event) => events.push(event));
  let tick = 0;
  const queue = new JobQueue(
    store,
    bus,
    manualClock('2026-11-25T10:00:00Z'),
    () => limits,
    () => (tick += 1000),
  );
  const started: string[] = [];
  const request = (key: string, hostId: string, work: (ctx: JobRunContext) => Promise<void>): JobRequest => ({
    key,
    kind: 'replication',
    title: `Copy ${key}`,
    trigger: 'manual',
    vmId: key,
    policyId: null,
    hostId,
    targetId: 't1',
    run: async (ctx) => {
      started.push(key);
      await work(ctx);
      return { bytesRead: 10, bytesStored: 5, appConsistent: true };
    },
  });
  return { db, store, queue, events, started, request };
}

describe('job queue', () => {
  it('announces each timeline step a drill records, so an open drill page shows steps that move no bytes', async () => {
    const { db, queue, events, request } = setup();
    const drills = new DrillsStore(db);
    const drill = { id: 'drill-1' };
    drills.save({
      id: drill.id,
      planId: null,
      plan: 'Office',
      kind: 'test',
      status: 'running',
      startedAt: '2026-11-25T10:00:00Z',
      finishedAt: null,
      operator: 'op',
      notes: null,
      rpoSeconds: null,
      rtoSeconds: null,
      rpoTargetSeconds: null,
      rtoTargetSeconds: null,
      isolation: '',
      cleanupConfirmed: false,
      vms: [],
    });
    const job = queue.submit(
      request('vm-a', 'h1', async (ctx) => {
        const { step } = stepRecorder(drill.id, drills, manualClock('2026-11-25T10:00:00Z'), ctx);
        await step('Start in isolation', 'vm-a', async () => 'started');
      }),
    );
    expect((await job.done).error ?? null).toBeNull();
    expect(events.filter((event) => event.type === 'job.step')).toEqual([
      { type: 'job.step', jobId: job.job.id },
      { type: 'job.step', jobId: job.job.id },
    ]);
    expect(topicsOf({ type: 'job.step', jobId: job.job.id })).toEqual(['drills']);
  });

  it('keeps to one job per host at a time and runs the next when one finishes', async () => {
    const { queue, started, request } = setup();
    const a = gate();
    const first = queue.submit(request('vm-a', 'h1', () => a.opened));
    const second = queue.submit(request('vm-b', 'h1', async () => undefined));
    const other = queue.submit(request('vm-c', 'h2', async () => undefined));
    await other.done;
    expect(started).toEqual(['vm-a', 'vm-c']);
    a.release();
    expect((await first.done).status).toBe('succeeded');
    expect((await second.done).status).toBe('succeeded');
    expect(started).toEqual(['vm-a', 'vm-c', 'vm-b']);
  });

  it('marks a copy that Lifeboat stopped (SIGTERM) as interrupted, with the bytes it had read, not as cancelled by the operator', async () => {
    const { queue, store, events, request } = setup();
    const reading = gate();
    const job = queue.submit(
      request('vm-a', 'h1', async (ctx) => {
        ctx.progress('Copying disks', 236 * 1024 * 1024, 1024 * 1024 * 1024);
        reading.release();
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      }),
    );
    await reading.opened;
    expect(store.get(job.job.id)!.bytesRead).toBe(236 * 1024 * 1024); // kept while running: a SIGKILL keeps it too
    await queue.close();
    const stopped = store.get(job.job.id)!;
    expect(stopped).toMatchObject({
      status: 'interrupted',
      error: 'Lifeboat stopped while this copy was running.',
      bytesRead: 236 * 1024 * 1024,
    });
    expect(events.find((e) => e.type === 'job.finished')).toMatchObject({
      status: 'interrupted',
      message: 'Lifeboat stopped while this copy was running.',
    });
  });

  it('never runs the same key twice at once', async () => {
    const { queue, request } = setup();
    const a = gate();
    const first = queue.submit(request('vm-a', 'h1', () => a.opened));
    const again = queue.submit(request('vm-a', 'h1', async () => undefined));
    expect(again.job.id).toBe(first.job.id);
    a.release();
    await first.done;
  });

  it('records results, logs and failures in the catalog', async () => {
    const { queue, store, request, events } = setup();
    const ok = await queue.submit(
      request('vm-a', 'h1', async (ctx) => {
        ctx.log('checkpoint taken');
        ctx.progress('copying', 50, 100);
        ctx.progress('copying', 100, 100);
      }),
    ).done;
    expect(ok).toMatchObject({ status: 'succeeded', bytesRead: 10, bytesStored: 5, appConsistent: true });
    expect(store.get(ok.id)!.log).toContain('checkpoint taken');
    const progress = events.filter((e) => e.type === 'job.progress');
    expect(progress.at(-1)).toMatchObject({ phase: 'copying', bytesDone: 100, bytesTotal: 100, etaSeconds: 0 });
    expect((progress.at(-1) as { bytesPerSecond: number }).bytesPerSecond).toBeGreaterThan(0);

    const failed = await queue.submit(
      request('vm-b', 'h1', async () => {
        throw new LifeboatError('HOST_UNREACHABLE', 'HV01 did not answer.', { fix: 'Check the host is on.' });
      }),
    ).done;
    expect(failed).toMatchObject({ status: 'failed', error: 'HV01 did not answer.' });
    expect(store.get(failed.id)!.log).toContain('Failed: HV01 did not answer. — Check the host is on.');
    expect(events.filter((e) => e.type === 'job.finished').map((e) => (e as { status: string }).status)).toEqual(['succeeded', 'failed']);
  });

  it('cancels a running job through its signal and a queued one before it starts', async () => {
    const { queue, request, started } = setup();
    const working = gate();
    const running = queue.submit(
      request('vm-a', 'h1', (ctx) => {
        working.release();
        return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      }),
    );
    const queued = queue.submit(request('vm-b', 'h1', async () => undefined));
    await working.opened;
    queue.cancel(queued.job.id);
    queue.cancel(running.job.id);
    expect((await running.done).status).toBe('cancelled');
    expect((await queued.done).status).toBe('cancelled');
    expect(started).toEqual(['vm-a']);
  });

  it("cancels by key and resolves only once the job has cleaned up (a failover stopping a VM's copy)", async () => {
    const { queue, request } = setup();
    const working = gate();
    const cleanup: string[] = [];
    const running = queue.submit(
      request('replicate:vm-a', 'h1', (ctx) => {
        working.release();
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            // The snapshot is released later, on another turn of the event loop: cancelKey must wait for it.
            setImmediate(() => {
              cleanup.push('snapshot released');
              reject(ctx.signal.reason);
            });
          }),
        );
      }),
    );
    await working.opened;
    expect(await queue.cancelKey('replicate:vm-b')).toBe(false);
    expect(await queue.cancelKey('replicate:vm-a')).toBe(true);
    expect(cleanup).toEqual(['snapshot released']);
    expect(queue.isBusy('replicate:vm-a')).toBe(false);
    expect((await running.done).status).toBe('cancelled');
  });

  it('marks jobs a dead process left running as interrupted', () => {
    const { db, store } = setup();
    store.insert(
      { id: 'j1', kind: 'replication', title: 'x', trigger: 'schedule', vmId: 'v', policyId: null, hostId: null, targetId: null },
      new Date(),
    );
    store.markRunning('j1', new Date());
    const interrupted = new JobsStore(db).markInterrupted(new Date());
    expect(interrupted.map((j) => j.id)).toEqual(['j1']);
    expect(store.get('j1')).toMatchObject({ status: 'interrupted', error: expect.stringContaining('stopped') });
  });
});
