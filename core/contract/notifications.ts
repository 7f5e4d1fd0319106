import { z } from 'zod';
import { method } from './define';

export const emailSecurity = ['starttls', 'tls', 'none'] as const;

export interface EmailSettings {
  enabled: boolean;
  host: string;
  port: number;
  /** starttls: upgrade on 587; tls: implicit TLS on 465; none: plain (only for a relay on the local network). */
  security: (typeof emailSecurity)[number];
  username: string | null;
  /** The password is write-only: it is sealed on save and never returned. */
  passwordStored: boolean;
  from: string;
  to: string[];
  events: { failures: boolean; rpo: boolean; drills: boolean };
}

const email = z.string().trim().email('Use an email address like it@example.com.');

const emailSettingsInput = z
  .object({
    enabled: z.boolean(),
    host: z.string().trim().max(253).default(''),
    port: z.number().int().min(1).max(65535).default(587),
    security: z.enum(emailSecurity).default('starttls'),
    username: z.string().trim().max(320).nullable().default(null),
    /** Omit to keep the stored password; null to forget it. */
    password: z.string().max(1024).nullable().optional(),
    from: email.or(z.literal('')).default(''),
    to: z.array(email).max(20).default([]),
    events: z.object({ failures: z.boolean(), rpo: z.boolean(), drills: z.boolean() }).default({ failures: true, rpo: true, drills: true }),
  })
  .superRefine((input, ctx) => {
    if (!input.enabled) return;
    if (!input.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'Enter the mail server name, e.g. smtp.office365.com.' });
    if (!input.from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'Enter the address emails come from.' });
    if (input.to.length === 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'Enter at least one address to send alerts to.' });
  });

export const notificationMethods = {
  getEmailSettings: method('Email alert settings (the password is never returned).', z.object({}).default({}))
    .returns<EmailSettings>()
    .reads('notifications'),
  saveEmailSettings: method('Save email alert settings; the password is sealed like every credential.', emailSettingsInput)
    .returns<EmailSettings>()
    .changes('notifications'),
  sendTestEmail: method('Send a test email with the saved settings; explains what to fix when it fails.', z.object({}).default({}))
    .returns<{ accepted: string[] }>()
    .reads(),
};
