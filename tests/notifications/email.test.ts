import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';

jest.setTimeout(60_000);

interface Mail { from: string; to: string[]; raw: string }

/** A real SMTP server (npm smtp-server) on a free port that keeps every message it is sent. */
async function startSmtp() {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  return { mails, url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A MIME message's headers and bodies, decoded enough to read (quoted-printable, encoded-word subjects). */
function decoded(raw: string): string {
  // RFC 2047: the white space between two adjacent encoded words is not part of the text.
  const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ').replace(/\?=\s+=\?/g, '?==?');
  const words = unfolded.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
  return words.replace(/=\r?\n/g, '').replace(/(=[0-9A-F]{2})+/gi, (m) => Buffer.from(m.split('=').filter(Boolean).map((h) => parseInt(h, 16))).toString('utf8'));
}

let smtp: Awaited<ReturnType<typeof startSmtp>>;
let t: TestApp;
beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp('sqlite', { SMTP_URL: smtp.url, SMTP_FROM: 'citysense <alerts@city.example>', PUBLIC_URL: 'https://console.city.example/' });
}, 30_000);
afterAll(async () => {
  await t.close();
  await smtp.close();
});

describe('email notifications', () => {
  it('emails the on-call engineer a CO breach: severity, rule, device, district, value, time and the console link', async () => {
    const cp = await t.api('POST', '/api/contact-points', { name: 'on-call', kind: 'email', to: ['oncall@city.example'] });
    expect(cp.status).toBe(201);
    expect(cp.body.secret).toBeUndefined();
    await t.api('POST', '/api/notification-policies', { name: 'gas', match: { domain: 'safety', type: 'gas' }, contactPoints: [cp.body.id] });
    const sensor = await t.sensor('safety', 'gas', { district: 'Xixia' });
    await sensor.send({ co: 120 });
    const mail = await eventually(() => smtp.mails[0], 'the email', 20_000);
    const alert = (await t.api('GET', `/api/alerts?deviceId=${sensor.id}`)).body.items[0];

    expect(mail.to).toEqual(['oncall@city.example']);
    expect(mail.from).toBe('alerts@city.example');
    const text = decoded(mail.raw);
    expect(text).toContain(`Subject: CRITICAL carbon monoxide 120 ppm — ${sensor.id}, Xixia`);
    expect(text).toContain('Content-Type: text/plain');
    expect(text).toContain('Content-Type: text/html');
    for (const fact of ['Severity: critical', 'Rule: carbon monoxide', `Device: ${sensor.id} (safety/gas)`, 'District: Xixia', 'Value: carbon monoxide 120 ppm', `Fired at: ${alert.firedAt}`]) {
      expect(text).toContain(fact);
    }
    expect(text).toContain(`https://console.city.example/#/alerts/${alert.id}`);

    const n = await eventually(async () => {
      const r = await t.api('GET', `/api/alerts/${alert.id}/notifications`);
      return r.body.items[0]?.status === 'delivered' ? r.body.items : undefined;
    }, 'the email recorded as delivered');
    expect(n).toMatchObject([{ contactPointId: cp.body.id, kind: 'email', transition: 'fired', attempt: 1, status: 'delivered' }]);
  });

  it('answers a test send of an email contact point with its outcome', async () => {
    const cp = await t.api('POST', '/api/contact-points', { name: 'desk', kind: 'email', to: ['desk@city.example'] });
    const before = smtp.mails.length;
    const r = await t.api('POST', `/api/contact-points/${cp.body.id}/test`);
    expect(r.body).toMatchObject({ delivered: true, status: 'delivered', kind: 'email', transition: 'test' });
    expect(smtp.mails.length).toBe(before + 1);
    expect(decoded(smtp.mails.at(-1)!.raw)).toContain('Subject: TEST INFO');
  });
});
