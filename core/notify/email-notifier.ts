import type { LifeboatError } from '../contract/errors';
import type { EmailSettings } from '../contract/notifications';
import type { EventBus } from '../event-bus';
import { sendEmail } from './email';
import { noticeFor } from './notices';

export interface EmailNotifierDeps {
  bus: EventBus;
  settings(): EmailSettings;
  password(): string | null;
  describeJob(jobId: string): { title: string; kind: string } | null;
  /** A mail that could not be sent: the engine turns it into a visible alert. */
  onFailure(error: LifeboatError): void;
}

/** Mails the events the user asked for: failures, RPO alerts, drill results. Returns the unsubscribe. */
export function startEmailNotifier(deps: EmailNotifierDeps): () => void {
  return deps.bus.subscribe((event) => {
    if (event.type !== 'alert.raised' && event.type !== 'job.finished') return;
    const settings = deps.settings();
    if (!settings.enabled) return;
    const notice = noticeFor(event, deps.describeJob);
    if (!notice) return;
    const category = event.type === 'alert.raised' ? 'rpo' : event.status === 'failed' ? 'failures' : 'drills';
    if (!settings.events[category]) return;
    sendEmail(settings, deps.password(), {
      subject: notice.title,
      text: `${notice.body}\n\nOpen the Lifeboat console for details.\n`,
    }).catch(deps.onFailure);
  });
}
