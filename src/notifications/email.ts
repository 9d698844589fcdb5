// Email delivery through nodemailer (SMTP_URL, SMTP_FROM): one transport, reused for every message.
import nodemailer, { type Transporter } from 'nodemailer';
import type { ContactPoint } from '../storage/index.js';
import type { SendOutcome } from './send-types.js';
import type { Summary } from './summary.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The plain-text and HTML bodies: the facts in order, the console link last. */
export function emailBodies(summary: Summary): { text: string; html: string } {
  const text = `${summary.subject}\n\n${summary.facts.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
  const rows = summary.facts.filter(([k]) => k !== 'Console').map(([k, v]) => `<tr><th align="left">${escape(k)}</th><td>${escape(v)}</td></tr>`).join('');
  const html = `<!doctype html><html><body><h2>${escape(summary.subject)}</h2><table>${rows}</table>`
    + `<p><a href="${escape(summary.url)}">Open the alert in citysense</a></p></body></html>`;
  return { text, html };
}

export interface Mailer {
  send(cp: ContactPoint, summary: Summary): Promise<SendOutcome>;
  close(): void;
}

/** A mailer for `smtpUrl`; without one every email fails with an error naming SMTP_URL. */
export function createMailer(smtpUrl: string | undefined, from: string): Mailer {
  let transport: Transporter | undefined;
  return {
    async send(cp, summary) {
      if (!smtpUrl) return { ok: false, error: 'SMTP_URL is not set: email cannot be sent' };
      transport ??= nodemailer.createTransport(smtpUrl);
      try {
        await transport.sendMail({ from, to: cp.to, subject: summary.subject, ...emailBodies(summary) });
        return { ok: true };
      } catch (err) {
        const e = err as Error & { responseCode?: number };
        return { ok: false, error: `SMTP: ${e.message}${e.responseCode ? ` (${e.responseCode})` : ''}` };
      }
    },
    close() {
      transport?.close();
    },
  };
}
