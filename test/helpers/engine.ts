import { spawnSync } from 'node:child_process';
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

/**
 * Command lines of running QEMU processes that mention `marker` (a data folder, a drill VM name) — and
 * `within` when given (the test's own data folder), so suite files running side by side never count each
 * other's guests.
 */
export function qemuProcesses(marker: string, within?: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .filter((line) => line.includes('qemu-system') && line.includes(marker) && (within === undefined || line.includes(within)));
}
