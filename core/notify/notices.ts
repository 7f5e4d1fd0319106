import type { ConsoleEvent } from '../contract/events';

export interface DesktopNotice {
  title: string;
  body: string;
  urgency: 'normal' | 'critical';
}

/**
 * Which engine events deserve a notification (desktop and email): failures and RPO alerts always, and finished drills
 * (their result is news). Successful routine copies stay quiet — a busy generalist mutes a chatty app.
 */
export function noticeFor(
  event: ConsoleEvent,
  describeJob: (jobId: string) => { title: string; kind: string } | null,
): DesktopNotice | null {
  if (event.type === 'alert.raised') {
    return {
      title: event.alert.severity === 'critical' ? 'Lifeboat: action needed' : 'Lifeboat: warning',
      body: event.alert.message,
      urgency: event.alert.severity === 'critical' ? 'critical' : 'normal',
    };
  }
  if (event.type === 'job.finished') {
    const job = describeJob(event.jobId);
    if (event.status === 'failed')
      return {
        title: 'Lifeboat: a job failed',
        body: `${job?.title ?? 'A job'} failed${event.message ? `: ${event.message}` : '.'}`,
        urgency: 'critical',
      };
    if (job?.kind === 'drill' && event.status === 'succeeded')
      return { title: 'Lifeboat: drill finished', body: `${job.title}: ${event.message ?? 'finished'}`, urgency: 'normal' };
  }
  return null;
}
