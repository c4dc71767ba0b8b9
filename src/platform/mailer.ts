// E-mail over SMTP with nodemailer; without SMTP_URL messages are written to the log instead.
import nodemailer from 'nodemailer';
import type { Logger } from './logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Stable per logical message, so a retried send is recognisable as the same mail. */
  messageId: string;
}

export interface Mailer {
  send(msg: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(opts: { smtpUrl?: string; from: string; log: Logger }): Mailer {
  if (!opts.smtpUrl) {
    return {
      async send(msg) {
        opts.log.info(
          { mail: { to: msg.to, subject: msg.subject, messageId: msg.messageId } },
          'e-mail (SMTP_URL unset, not sent)',
        );
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(opts.smtpUrl);
  return {
    async send(msg) {
      await transport.sendMail({
        from: opts.from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        messageId: `<${msg.messageId}@order-hub>`,
      });
    },
    close: () => transport.close(),
  };
}
