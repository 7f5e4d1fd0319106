import { describe, expect, it } from 'vitest';
import { WriteGate } from '../../core/replication/write-gate';

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the vault write gate', () => {
  it('lets copies write side by side, holds a prune until they are done, and holds new copies behind a waiting prune', async () => {
    const gate = new WriteGate();
    const events: string[] = [];
    const leaveA = await gate.enterWrite();
    const leaveB = await gate.enterWrite();
    const prune = gate.exclusive(async () => {
      events.push('prune');
      await settle();
      events.push('prune done');
      return 'kept';
    });
    const lateCopy = gate.enterWrite().then((leave) => {
      events.push('late copy writes');
      return leave;
    });
    await settle();
    expect(events).toEqual([]);
    leaveA();
    leaveA(); // a second release is ignored
    await settle();
    expect(events).toEqual([]);
    leaveB();
    expect(await prune).toBe('kept');
    (await lateCopy)();
    expect(events).toEqual(['prune', 'prune done', 'late copy writes']);
    expect(gate.busy).toBe(false);
  });

  it('gives up waiting when the job is cancelled, and lets the copies behind it go', async () => {
    const gate = new WriteGate();
    const leave = await gate.enterWrite();
    const cancel = new AbortController();
    const prune = gate.exclusive(async () => 'never', cancel.signal);
    const lateCopy = gate.enterWrite();
    cancel.abort(new Error('Cancelled by the operator.'));
    await expect(prune).rejects.toThrow('Cancelled by the operator.');
    (await lateCopy)();
    leave();
    expect(gate.busy).toBe(false);
  });
});
