import { describe, expect, it } from 'vitest';
import { methods } from '../../core/contract/api';
import { CHANGE_TOPICS, type ChangeTopic } from '../../core/contract/define';
import { topicsOf, type ConsoleEvent } from '../../core/contract/events';

/** Verbs that change the catalog: a method named with one must say what it changes. */
const CHANGING = /^(add|cancel|check|close|complete|create|delete|discover|export|rebuild|remove|restore|run|save|set|start|update)[A-Z]?/;
const READING = /^(get|list|preview|read)[A-Z]/;
/** Named like a change, but what they write (a support zip) is nothing a console lists. */
const ACTS_OUTSIDE_THE_CATALOG = new Set(['exportDiagnostics']);

/** One of every event the engine sends that is not a catalog change. */
const ENGINE_EVENTS: ConsoleEvent[] = [
  { type: 'settings.changed', settings: {} as never },
  { type: 'inventory.changed', hostId: 'h', added: 1, removed: 0, changed: 0 },
  { type: 'job.started', jobId: 'j', kind: 'replication', title: 'Copy' },
  { type: 'job.progress', jobId: 'j', phase: 'Copying', bytesDone: 1, bytesTotal: 2, bytesPerSecond: 1, etaSeconds: 1 },
  { type: 'job.finished', jobId: 'j', status: 'succeeded' },
  { type: 'vault.health' },
  { type: 'alert.raised', alert: { id: 'a', severity: 'warning', message: 'm' } },
];

describe('ConsoleApi contract: what each method changes', () => {
  it('has every method declare either what it changes or that it only reads', () => {
    for (const [name, spec] of Object.entries(methods)) {
      expect(Array.isArray(spec.changes) && Array.isArray(spec.reads), name).toBe(true);
      expect(spec.changes.length > 0 && spec.reads.length > 0, `${name} both changes and reads`).toBe(false);
      for (const topic of [...spec.changes, ...spec.reads]) expect(CHANGE_TOPICS, name).toContain(topic);
      if (READING.test(name)) expect(spec.changes, `${name} reads`).toEqual([]);
      else if (CHANGING.test(name) && !ACTS_OUTSIDE_THE_CATALOG.has(name))
        expect(spec.changes.length, `${name} must declare what it changes`).toBeGreaterThan(0);
    }
  });

  it('announces every topic a read depends on, by a method or an engine event', () => {
    const announced = new Set<ChangeTopic>([...Object.values(methods).flatMap((spec) => spec.changes), ...ENGINE_EVENTS.flatMap(topicsOf)]);
    const read = new Set(Object.values(methods).flatMap((spec) => spec.reads));
    expect([...read].filter((topic) => !announced.has(topic))).toEqual([]);
  });

  it('lets progress refresh nothing, and a finished job refresh what jobs write', () => {
    expect(topicsOf(ENGINE_EVENTS[3]!)).toEqual([]);
    expect(topicsOf({ type: 'job.finished', jobId: 'j', status: 'failed' })).toEqual(
      expect.arrayContaining(['jobs', 'points', 'drills', 'alerts']),
    );
    expect(topicsOf({ type: 'catalog.changed', topics: ['plans'], method: 'createPlan' })).toEqual(['plans']);
  });
});
