import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { EmailSettings } from '../contract/notifications';
import type { RoomDeps } from '../service-context';
import { JobsStore } from '../store/jobs';
import { sendEmail } from './email';
import { startEmailNotifier } from './email-notifier';

/** What this module needs from the engine (see RoomDeps). */
export type NotifyDeps = RoomDeps<'audit' | 'bus' | 'clock' | 'db' | 'onClose' | 'onStartBackground' | 'operator' | 'secrets' | 'settings'>;

export const SMTP_PASSWORD_SECRET = 'smtp-password';

const DEFAULTS: Omit<EmailSettings, 'passwordStored'> = {
  enabled: false,
  host: '',
  port: 587,
  security: 'starttls',
  username: null,
  from: '',
  to: [],
  events: { failures: true, rpo: true, drills: true },
};

/** Email alerts: settings, a test button, and — in the engine process — mail for failures, RPO alerts and drills. */
export function notificationsApi(ctx: NotifyDeps): Pick<ConsoleApi, 'getEmailSettings' | 'saveEmailSettings' | 'sendTestEmail'> {
  const read = (): EmailSettings => ({ ...DEFAULTS, ...ctx.settings.get('email'), passwordStored: ctx.secrets.has(SMTP_PASSWORD_SECRET) });
  const password = (): string | null => (ctx.secrets.has(SMTP_PASSWORD_SECRET) ? (ctx.secrets.get(SMTP_PASSWORD_SECRET) ?? null) : null);

  ctx.onStartBackground(() => {
    const jobs = new JobsStore(ctx.db);
    const stop = startEmailNotifier({
      bus: ctx.bus,
      settings: read,
      password,
      describeJob: (id) => jobs.get(id) ?? null,
      // Shown in the console, not mailed: a failing mail server must not feed on itself.
      onFailure: (error) =>
        ctx.bus.emit({
          type: 'alert.raised',
          alert: {
            id: `email-${ctx.clock.now().getTime()}`,
            severity: 'info',
            message: `An email alert could not be sent: ${error.message}`,
            ...(error.fix ? { fix: error.fix } : {}),
          },
        }),
    });
    ctx.onClose(stop);
  });

  return {
    async getEmailSettings() {
      return read();
    },

    async saveEmailSettings({ password: newPassword, ...settings }) {
      const now = ctx.clock.now();
      ctx.db.transaction(() => {
        ctx.settings.set('email', settings, now);
        if (newPassword === null) ctx.secrets.delete(SMTP_PASSWORD_SECRET);
        else if (newPassword !== undefined) ctx.secrets.put(SMTP_PASSWORD_SECRET, 'SMTP password for email alerts', newPassword, now);
        ctx.audit.append(ctx.operator, 'settings.changed', 'email alerts', {
          enabled: settings.enabled,
          host: settings.host,
          to: settings.to,
        });
      })();
      return read();
    },

    async sendTestEmail() {
      const settings = read();
      if (!settings.host || !settings.from || settings.to.length === 0) {
        throw new LifeboatError('NOT_SET_UP', 'Email alerts are not set up yet.', {
          fix: 'Enter the mail server, From and To addresses, save, then send a test.',
        });
      }
      return sendEmail(settings, password(), {
        subject: 'Lifeboat test email',
        text: `This is a test from Lifeboat for ${ctx.settings.get('organisation') ?? 'your organisation'}.\nIf you can read it, email alerts will reach you.\n`,
      });
    },
  };
}
