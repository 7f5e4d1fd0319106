import nodemailer from 'nodemailer';
import { LifeboatError } from '../contract/errors';
import type { EmailSettings } from '../contract/notifications';

export interface EmailMessage {
  subject: string;
  text: string;
}

/** Sends one email with the given settings; SMTP failures become errors that say what to change. */
export async function sendEmail(settings: EmailSettings, password: string | null, message: EmailMessage): Promise<{ accepted: string[] }> {
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    auth: settings.username ? { user: settings.username, pass: password ?? '' } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    const info = await transport.sendMail({ from: settings.from, to: settings.to, subject: message.subject, text: message.text });
    return { accepted: info.accepted.map(String) };
  } catch (error) {
    throw smtpError(settings, error as NodeJS.ErrnoException & { responseCode?: number; command?: string });
  } finally {
    transport.close();
  }
}

function smtpError(settings: EmailSettings, error: NodeJS.ErrnoException & { responseCode?: number; command?: string }): LifeboatError {
  const where = `${settings.host}:${settings.port}`;
  if (error.code === 'EAUTH' || error.responseCode === 535) {
    return new LifeboatError('ACCESS_DENIED', `The mail server ${where} refused the user name or password.`, {
      fix: 'Check the user name and password; Microsoft 365 and Gmail need an app password or SMTP AUTH enabled for this mailbox.',
      cause: error,
    });
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNECTION', 'EDNS', 'ESOCKET'].includes(error.code ?? '')) {
    return new LifeboatError('HOST_UNREACHABLE', `Cannot reach the mail server ${where} (${error.code}).`, {
      fix: 'Check the server name and port (587 for STARTTLS, 465 for TLS, 25 for a local relay) and that a firewall allows it.',
      cause: error,
    });
  }
  if (error.code === 'ETLS' || /certificate|SSL|TLS/i.test(error.message)) {
    return new LifeboatError('HOST_UNREACHABLE', `Secure connection to ${where} failed: ${error.message}.`, {
      fix: 'Use STARTTLS on port 587 or TLS on port 465 as your provider documents; an internal relay may need "none".',
      cause: error,
    });
  }
  if (error.responseCode && error.responseCode >= 500) {
    return new LifeboatError('ACCESS_DENIED', `The mail server ${where} refused the message: ${error.message}.`, {
      fix: 'Check that the From address may send through this server and that the recipients are valid.',
      cause: error,
    });
  }
  return new LifeboatError('INTERNAL', `Sending email through ${where} failed: ${error.message}.`, {
    fix: 'Check the email settings and try again.',
    cause: error,
  });
}
