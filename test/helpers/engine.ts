import type { ConsoleEvent } from '../../core/contract/events';
import type { LifeboatService } from '../../core/service';

/** Resolves with the next `count` job.finished events (the engine's own signal that work is done). */
export function nextFinishedJobs(service: LifeboatService, count: number): Promise<Extract<ConsoleEvent, { type: 'job.finished' }>[]> {
  const seen: Extract<ConsoleEvent, { type: 'job.finished' }>[] = [];
  return new Promise((resolve) => {
    const stop = service.subscribe((event) => {
      if (event.type !== 'job.finished') return;
      seen.push(event);
      if (seen.length === count) {
        stop();
        resolve(seen);
      }
    });
  });
}

/** Every alert.raised event from now on. */
export function recordAlerts(service: LifeboatService): string[] {
  const alerts: string[] = [];
  service.subscribe((event) => {
    if (event.type === 'alert.raised') alerts.push(`${event.alert.severity}: ${event.alert.message}`);
  });
  return alerts;
}
