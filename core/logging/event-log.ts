import type { ConsoleEvent } from '../contract/events';
import type { RotatingLog } from './rotating-log';

/** The engine events worth a line in the log file; progress ticks are not. */
export function logEvent(log: RotatingLog, event: ConsoleEvent): void {
  switch (event.type) {
    case 'job.started':
      log.write('info', `job ${event.jobId} started: ${event.title}`);
      break;
    case 'job.finished':
      log.write(
        event.status === 'failed' ? 'error' : 'info',
        `job ${event.jobId} ${event.status}${event.message ? `: ${event.message}` : ''}`,
      );
      break;
    case 'alert.raised':
      log.write(event.alert.severity === 'critical' ? 'error' : 'warn', `alert: ${event.alert.message}`);
      break;
    case 'inventory.changed':
      log.write('info', `inventory of host ${event.hostId}: ${event.added} added, ${event.removed} removed, ${event.changed} changed`);
      break;
    case 'settings.changed':
      log.write('info', 'settings changed');
      break;
    case 'job.progress':
      break;
  }
}
