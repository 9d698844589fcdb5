import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { startReceiver, type Receiver } from './receiver.js';

// Retries wait for real back-off (about 1 s, 2 s, then Retry-After 1 s): generous on a loaded machine.
jest.setTimeout(90_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestApp;
let rx: Receiver;
beforeAll(async () => { t = await startTestApp('sqlite'); }, 30_000);
afterAll(async () => { await t.close(); });
afterEach(async () => { await rx?.close(); });

/** A webhook contact point on a fresh receiver and a policy sending critical gas alerts to it. */
async function hook(extra: Record<string, unknown> = {}, policy: Record<string, unknown> = {}) {
  rx = await startReceiver();
  const cp = await t.api('POST', '/api/contact-points', { name: 'dispatch', kind: 'webhook', url: rx.url, ...extra });
  expect(cp.status).toBe(201);
  if (cp.body.secret) rx.setSecret(cp.body.secret);
  const district = `D${Math.random().toString(36).slice(2, 8)}`;
  const p = await t.api('POST', '/api/notification-policies', { name: 'gas', match: { district, severity: ['critical'] }, contactPoints: [cp.body.id], ...policy });
  expect(p.status).toBe(201);
  const sensor = await t.sensor('safety', 'gas', { district });
  return { cp: cp.body, policy: p.body, sensor, district };
}

async function alertOf(deviceId: string) {
  return eventually(async () => (await t.api('GET', `/api/alerts?deviceId=${deviceId}`)).body.items[0], `an alert for ${deviceId}`, 20_000);
}

describe('webhook notifications', () => {
  it('sends a signed citysense webhook for a CO breach, with the alert and a console link', async () => {
    const { cp, sensor, district } = await hook();
    expect(cp.secret).toMatch(/^whsec_/);
    await sensor.send({ co: 120, ch4: 1 });
    const [r] = await rx.waitFor((x) => x.length >= 1, 'the fired webhook');
    expect(r!.signatureOk).toBe(true);
    expect(r!.id).toMatch(/^msg_/);
    expect(Math.abs(r!.timestamp - Date.now() / 1000)).toBeLessThan(120);
    expect(r!.body.transition).toBe('fired');
    expect(r!.body.alert).toMatchObject({ ruleId: 'carbon-monoxide', deviceId: sensor.id, district, severity: 'critical', value: 120, state: 'firing' });
    const alert = await alertOf(sensor.id);
    expect(r!.body.alert.url).toBe(`${t.httpUrl}/#/alerts/${alert.id}`);

    // The secret is shown once: never by GET.
    const got = await t.api('GET', `/api/contact-points/${cp.id}`);
    expect(got.body.secret).toBeUndefined();
    expect(got.body.secretSet).toBe(true);
    expect(JSON.stringify((await t.api('GET', '/api/contact-points')).body)).not.toContain(cp.secret);
  });

  it('retries a failing receiver with the same webhook-id (500, 500, 429 Retry-After: 1) until it accepts: one delivery', async () => {
    const { sensor } = await hook();
    rx.script([{ status: 500 }, { status: 500 }, { status: 429, headers: { 'retry-after': '1' } }]);
    await sensor.send({ co: 150 });
    await rx.waitFor((x) => x.some((r) => r.answered === 200), 'the accepted try', 60_000);
    expect(rx.received.map((r) => r.answered)).toEqual([500, 500, 429, 200]);
    expect(rx.ids()).toHaveLength(1);
    expect(rx.received.every((r) => r.signatureOk)).toBe(true);
    // Retry-After: 1 was honoured (no sooner than a second after the 429).
    expect(rx.received[3]!.at - rx.received[2]!.at).toBeGreaterThanOrEqual(900);

    const alert = await alertOf(sensor.id);
    const n = await eventually(async () => {
      const res = await t.api('GET', `/api/alerts/${alert.id}/notifications`);
      return res.body.items.at(-1)?.status === 'delivered' ? res.body.items : undefined;
    }, 'the delivery recorded as delivered');
    expect(n.map((x: any) => [x.attempt, x.status, x.httpStatus])).toEqual([[1, 'pending', 500], [2, 'pending', 500], [3, 'pending', 429], [4, 'delivered', 200]]);
    expect(n.every((x: any) => x.id === rx.ids()[0] && x.transition === 'fired' && x.kind === 'webhook')).toBe(true);
    expect(n[3].deliveredAt).toEqual(expect.any(String));
  });

  it('disables a contact point whose receiver answers 410 Gone, and sends it nothing more', async () => {
    const { cp, sensor } = await hook();
    rx.script([{ status: 410 }]);
    await sensor.send({ co: 200 });
    await rx.waitFor((x) => x.length >= 1, 'the first try');
    const got = await eventually(async () => { const r = await t.api('GET', `/api/contact-points/${cp.id}`); return r.body.disabled ? r.body : undefined; }, 'the contact point disabled');
    expect(got.disabledReason).toContain('410');
    const alert = await alertOf(sensor.id);
    const n = (await t.api('GET', `/api/alerts/${alert.id}/notifications`)).body.items;
    expect(n.map((x: any) => [x.attempt, x.status, x.httpStatus])).toEqual([[1, 'failed', 410]]);
    await sensor.send({ co: 10 }); // resolves: the disabled contact point is not told
    await eventually(async () => (await t.api('GET', `/api/alerts/${alert.id}`)).body.state === 'resolved', 'the alert resolved');
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.received).toHaveLength(1);

    // A PUT enables it again (and keeps its secret, which GET never shows).
    const put = await t.api('PUT', `/api/contact-points/${cp.id}`, { name: 'dispatch', kind: 'webhook', url: rx.url });
    expect(put.body).toMatchObject({ disabled: false, disabledReason: null, secretSet: true });
    await sensor.send({ co: 220 });
    await rx.waitFor((x) => x.length >= 2, 'the next alert to the enabled contact point');
    expect(rx.received[1]!.signatureOk).toBe(true);
  });

  it('sends one fired notification for 1,000 breaching readings of one device, then one resolved', async () => {
    const { sensor } = await hook();
    const t0 = Date.now() - 10_000;
    for (let i = 0; i < 1000; i++) sensor.client.publish(sensor.topic, JSON.stringify({ ts: t0 + i, values: { co: 100 + (i % 50) } }), { qos: 1 });
    await sensor.send({ co: 120 }, t0 + 1000);
    await rx.waitFor((x) => x.length >= 1, 'the fired webhook');
    await sensor.send({ co: 5 });
    await rx.waitFor((x) => x.some((r) => r.body.transition === 'resolved'), 'the resolved webhook');
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.received.map((r) => r.body.transition)).toEqual(['fired', 'resolved']);
  });

  it('notifies no one of a silenced alert', async () => {
    const { sensor } = await hook();
    const s = await t.api('POST', '/api/silences', { match: { deviceId: sensor.id }, to: '+1h', reason: 'maintenance' }, t.adminToken);
    expect(s.status).toBe(201);
    await sensor.send({ co: 300 });
    const alert = await alertOf(sensor.id);
    expect(alert.silenced).toBe(true);
    await sensor.send({ co: 5 });
    await eventually(async () => (await t.api('GET', `/api/alerts/${alert.id}`)).body.state === 'resolved', 'the alert resolved');
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.received).toHaveLength(0);
    expect((await t.api('GET', `/api/alerts/${alert.id}/notifications`)).body.items).toEqual([]);
  });

  it('announces a firing alert as fired when the silence that covered it ends', async () => {
    const { sensor } = await hook();
    const s = await t.api('POST', '/api/silences', { match: { deviceId: sensor.id }, to: '+1h', reason: 'maintenance' });
    await sensor.send({ co: 300 });
    const alert = await alertOf(sensor.id);
    expect(alert.silenced).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.received).toHaveLength(0);
    expect((await t.api('DELETE', `/api/silences/${s.body.id}`)).status).toBe(204);
    const [r] = await rx.waitFor((x) => x.length >= 1, 'the fired webhook after the silence');
    expect(r!.body).toMatchObject({ transition: 'fired', alert: { id: alert.id, silenced: false, state: 'firing' } });
  });

  it('speaks Alertmanager v4 and Slack', async () => {
    const { sensor, district } = await hook({ format: 'alertmanager' });
    const slackRx = await startReceiver();
    try {
      const slack = await t.api('POST', '/api/contact-points', { name: 'chat', kind: 'webhook', url: slackRx.url, format: 'slack' });
      await t.api('POST', '/api/notification-policies', { name: 'chat', match: { district }, contactPoints: [slack.body.id] });
      await sensor.send({ co: 99 });
      const [am] = await rx.waitFor((x) => x.length >= 1, 'the Alertmanager webhook');
      expect(am!.body).toMatchObject({ version: '4', status: 'firing', receiver: 'dispatch', alerts: [{ status: 'firing', labels: { alertname: 'carbon monoxide', severity: 'critical', device: sensor.id, district } }] });
      expect(am!.body.alerts[0].generatorURL).toContain('/#/alerts/');
      const [sl] = await slackRx.waitFor((x) => x.length >= 1, 'the Slack webhook');
      expect(sl!.body.text).toBe(`CRITICAL carbon monoxide 99 ppm — ${sensor.id}, ${district}`);
      expect(sl!.body.blocks[0]).toMatchObject({ type: 'header' });
    } finally {
      await slackRx.close();
    }
  });

  it('reminds while an alert is unacknowledged and escalates one not acknowledged in time; an acknowledged one neither', async () => {
    const esc = await startReceiver();
    try {
      const next = await t.api('POST', '/api/contact-points', { name: 'next on call', kind: 'webhook', url: esc.url });
      const { sensor, district } = await hook({}, { repeatEvery: '1s', escalate: { after: '3s', contactPoints: [next.body.id] } });
      await sensor.send({ co: 120 });
      const alert = await alertOf(sensor.id);
      await esc.waitFor((x) => x.length >= 1, 'the escalation', 30_000);
      expect(esc.received[0]!.body).toMatchObject({ transition: 'escalated', alert: { id: alert.id, state: 'firing' } });
      await rx.waitFor((x) => x.filter((r) => r.body.transition === 'repeat').length >= 2, 'two reminders', 30_000);
      expect(rx.received[0]!.body.transition).toBe('fired');

      expect((await t.api('POST', `/api/alerts/${alert.id}/ack`, {})).status).toBe(200);
      await sleep(1500); // a reminder already in flight may still arrive
      const seen = rx.received.length;
      await sleep(2500);
      expect(rx.received.length).toBe(seen);

      // Acknowledged before `after`: no escalation, no reminder.
      const other = await t.sensor('safety', 'gas', { district });
      await other.send({ co: 130 });
      const second = await alertOf(other.id);
      expect((await t.api('POST', `/api/alerts/${second.id}/ack`, {})).status).toBe(200);
      await sleep(4500);
      expect(esc.received.filter((r) => r.body.alert?.id === second.id)).toEqual([]);
      expect(rx.received.filter((r) => r.body.alert?.id === second.id).map((r) => r.body.transition)).toEqual(['fired']);
      expect(esc.received).toHaveLength(1);
    } finally {
      await esc.close();
    }
  });
});

describe('contact point and policy checks', () => {
  it('refuses a policy naming an unknown contact point or rule, naming the field', async () => {
    const a = await t.api('POST', '/api/notification-policies', { name: 'x', contactPoints: ['nope'] });
    expect(a.status).toBe(400);
    expect(a.body.error.message).toContain('contactPoints[0]');
    const cp = await t.api('POST', '/api/contact-points', { name: 'ok', kind: 'webhook', url: 'http://127.0.0.1:9/x' });
    const b = await t.api('POST', '/api/notification-policies', { name: 'x', contactPoints: [cp.body.id], match: { ruleId: 'no-such-rule' } });
    expect(b.status).toBe(400);
    expect(b.body.error.message).toContain('match.ruleId');
    const c = await t.api('POST', '/api/notification-policies', { name: 'x', contactPoints: [cp.body.id], escalate: { after: '5m', contactPoints: ['ghost'] } });
    expect(c.status).toBe(400);
    expect(c.body.error.message).toContain('escalate.contactPoints[0]');
    const d = await t.api('POST', '/api/notification-policies', { name: 'x', contactPoints: [cp.body.id], repeatEvery: 'often' });
    expect(d.status).toBe(400);
    expect(d.body.error.message).toContain('repeatEvery');
  });

  it('refuses bad contact points, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', kind: 'webhook' }, 'url'],
      [{ name: 'x', kind: 'webhook', url: 'ftp://x' }, 'url'],
      [{ name: 'x', kind: 'webhook', url: 'http://x', secret: 'plain' }, 'secret'],
      [{ name: 'x', kind: 'webhook', url: 'http://x', format: 'teams' }, 'format'],
      [{ name: 'x', kind: 'email' }, 'to'],
      [{ name: 'x', kind: 'email', to: ['not-an-address'] }, 'to'],
      [{ name: 'x', kind: 'pager', url: 'http://x' }, 'kind'],
    ];
    for (const [body, field] of cases) {
      const r = await t.api('POST', '/api/contact-points', body);
      expect([r.status, r.body.error.message.includes(field)]).toEqual([400, true]);
    }
    const viewer = await t.api('POST', '/api/tokens', { name: 'v', role: 'viewer' });
    expect((await t.api('POST', '/api/contact-points', { name: 'x', kind: 'email', to: ['a@b.org'] }, viewer.body.token)).status).toBe(403);
    expect((await t.api('GET', '/api/contact-points', undefined, viewer.body.token)).status).toBe(200);
  });

  it('sends a test notification and answers with its outcome; refuses to delete a contact point a policy uses', async () => {
    rx = await startReceiver();
    const cp = await t.api('POST', '/api/contact-points', { name: 'test me', kind: 'webhook', url: rx.url });
    rx.setSecret(cp.body.secret);
    const ok = await t.api('POST', `/api/contact-points/${cp.body.id}/test`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ delivered: true, status: 'delivered', httpStatus: 200, transition: 'test', attempt: 1 });
    expect(rx.received[0]!.signatureOk).toBe(true);
    expect(rx.received[0]!.body.transition).toBe('test');
    rx.script([{ status: 503 }]);
    const bad = await t.api('POST', `/api/contact-points/${cp.body.id}/test`);
    expect(bad.body).toMatchObject({ delivered: false, status: 'failed', httpStatus: 503 });

    const p = await t.api('POST', '/api/notification-policies', { name: 'uses it', contactPoints: [cp.body.id] });
    expect((await t.api('DELETE', `/api/contact-points/${cp.body.id}`)).status).toBe(409);
    expect((await t.api('DELETE', `/api/notification-policies/${p.body.id}`)).status).toBe(204);
    expect((await t.api('DELETE', `/api/contact-points/${cp.body.id}`)).status).toBe(204);
    expect((await t.api('GET', `/api/contact-points/${cp.body.id}`)).status).toBe(404);
  });
});
