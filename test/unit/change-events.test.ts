import { describe, expect, it } from 'vitest';
import { announcingChanges } from '../../core/change-events';
import { methods, type ConsoleApi } from '../../core/contract/api';
import { createLocalClient } from '../../core/contract/dispatch';
import type { ConsoleEvent } from '../../core/contract/events';
import { createService } from '../../core/service';
import { tempDir } from '../helpers/temp';

const fixedClock = { now: () => new Date('2026-11-25T10:00:00Z') };

function openService() {
  const service = createService({ dataDir: tempDir(), clock: fixedClock, heartbeat: false });
  const events: ConsoleEvent[] = [];
  service.subscribe((event) => events.push(event));
  return { service, client: createLocalClient(service.api), events };
}

const catalogChanges = (events: ConsoleEvent[]) => events.filter((event) => event.type === 'catalog.changed');

describe('catalog change events', () => {
  it('announces what a mutating method changed once it succeeded, and nothing for a read', async () => {
    const { service, client, events } = openService();
    try {
      await client.listPolicies();
      await client.getSchedulesPaused();
      expect(catalogChanges(events)).toEqual([]);

      expect(await client.setSchedulesPaused({ paused: true })).toEqual({ paused: true });
      expect(catalogChanges(events)).toEqual([{ type: 'catalog.changed', topics: ['schedules'], method: 'setSchedulesPaused' }]);
    } finally {
      await service.close();
    }
  });

  it('announces nothing when the change failed', async () => {
    const { service, client, events } = openService();
    try {
      await expect(client.deletePlan({ id: 'no-such-plan' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(catalogChanges(events)).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('wraps exactly the methods that declare changes, passing input and result through', async () => {
    const emitted: ConsoleEvent[] = [];
    const calls: [string, unknown][] = [];
    const api = Object.fromEntries(
      Object.keys(methods).map((name) => [name, async (input: unknown) => (calls.push([name, input]), `${name} done`)]),
    ) as unknown as ConsoleApi;
    const announcing = announcingChanges(api, (event) => emitted.push(event));
    for (const [name, spec] of Object.entries(methods)) {
      emitted.length = 0;
      const result = await (announcing[name as keyof ConsoleApi] as (input: unknown) => Promise<unknown>)({ probe: name });
      expect(result, name).toBe(`${name} done`);
      expect(calls.at(-1), name).toEqual([name, { probe: name }]);
      expect(emitted, name).toEqual(spec.changes.length > 0 ? [{ type: 'catalog.changed', topics: spec.changes, method: name }] : []);
    }
  });
});
