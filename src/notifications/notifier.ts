// Where outgoing mail goes: an SMTP server (nodemailer) when SMTP_URL is set, else the development
// mailbox table (app.mailbox_message), read by operators holding notifications:read and, in
// development, by `npm run mailbox`. Neither logs a mail's text: it may carry a consent code.
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';
import type { NotificationKind, PrismaClient } from '../generated/prisma/client.ts';

export interface OutgoingMail {
  kind: NotificationKind;
  /** One e-mail address. */
  to: string;
  /** Two-letter language code of the text. */
  language: string;
  subject: string;
  /** Plain text. */
  text: string;
}

export interface Notifier {
  readonly kind: 'smtp' | 'mailbox';
  /** Resolves once the mail is accepted (by the SMTP server, or stored); rejects otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

/** SMTP through nodemailer; every exchange bounded by MAIL_TIMEOUT_MS. */
export function createSmtpNotifier(options: { url: string; from: string; timeoutMs: number }): Notifier {
  const transport = nodemailer.createTransport(options.url, {
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // nodemailer may log envelopes and bodies; never, here.
    logger: false,
    debug: false,
  } as Parameters<typeof nodemailer.createTransport>[1]);
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({
        from: options.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        headers: { 'Content-Language': mail.language },
      });
    },
    async close() {
      transport.close();
    },
  };
}

/** The development mailbox: the mail is a row, for operators and `npm run mailbox` to read. */
export function createMailboxNotifier(prisma: PrismaClient): Notifier {
  return {
    kind: 'mailbox',
    async send(mail) {
      await prisma.mailboxMessage.create({
        data: { kind: mail.kind, recipient: mail.to, language: mail.language, subject: mail.subject, text: mail.text },
        select: { id: true },
      });
    },
    async close() {},
  };
}

/** The notifier the configuration chooses. */
export function createNotifier(config: Pick<Config, 'notifications'>, prisma: PrismaClient): Notifier {
  const n = config.notifications;
  return n.smtpUrl ? createSmtpNotifier({ url: n.smtpUrl, from: n.from, timeoutMs: n.timeoutMs }) : createMailboxNotifier(prisma);
}
