// Operators' side of the alerts, end to end: Socket.IO auth, ack and resolve pushed to every client,
// roles, silences, and resuming with `since` after a lost connection (CONTRACT.md sections 5, 5.2, 6).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type LiveClient, type LiveEvent, type TestApp } from '../fixtures/app.js';

const isAlertEvent = (e: LiveEvent) => e.event === 'alert:fired' || e.event === 'alert:acknowledged' || e.event === 'alert:resolved';

describe('alerts for operators, end to end (Socket.IO and REST)', () => {
  let t: TestApp;
  const tokens = { viewer: '', operator: '' };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    for (const role of ['viewer', 'operator'] as const) {
      const r = await t.api('POST', '/api/tokens', { name: `${role} desk`, role });
      expect(r.status).toBe(201);
      tokens[role] = r.body.token;
    }
  });
  afterAll(async () => {
    await t.close();
  });

  /** This client's alert events for one device, in arrival order. */
  const alertEvents = (c: LiveClient, deviceId: string) => c.events.filter((e) => isAlertEvent(e) && e.payload.deviceId === deviceId);
  /** Fires a carbon monoxide alert (for 0) on a new gas sensor and returns both. */
  async function gasAlert() {
    const s = await t.sensor('safety', 'gas');
    await s.send({ co: 80 });
    const r = await t.api('GET', `/api/alerts?deviceId=${s.id}`);
    expect(r.body.items).toHaveLength(1);
    return { s, alert: r.body.items[0] };
  }

  it('refuses a socket without a token or with a bad one (connect_error "unauthorized")', async () => {
    await expect(t.live(null)).rejects.toMatchObject({ message: 'unauthorized' });
    await expect(t.live('not-a-token')).rejects.toMatchObject({ message: 'unauthorized' });
    const ok = await t.live(tokens.viewer);
    expect(ok.socket.connected).toBe(true);
    await ok.waitFor((e) => e.event === 'alerts:snapshot', 'the snapshot on connect');
    ok.close();
  });

  it('tells, in device:status, the time of the last accepted reading, also for a device that leaves at once', async () => {
    const c = await t.live();
    const s = await t.sensor('safety', 'gas');
    const before = Date.now();
    await s.send({ co: 3 });
    await s.client.endAsync(); // well within the 500 ms in which lastSeen updates are gathered
    const offline = await c.waitFor((e) => e.event === 'device:status' && e.payload.deviceId === s.id && e.payload.status === 'offline', 'device:status offline');
    expect(offline.payload.lastSeen).not.toBeNull();
    expect(Date.parse(offline.payload.lastSeen)).toBeGreaterThanOrEqual(before);
    expect((await t.api('GET', `/api/devices/${s.id}`)).body.lastSeen).toBe(offline.payload.lastSeen);
    c.close();
  });

  it('pushes fired, acknowledged and resolved to every client; a viewer may not ack', async () => {
    const a = await t.live(tokens.viewer);
    const b = await t.live();
    const { s, alert } = await gasAlert();
    for (const c of [a, b]) await c.waitFor((e) => e.event === 'alert:fired' && e.payload.id === alert.id, 'alert:fired');

    const denied = await t.api('POST', `/api/alerts/${alert.id}/ack`, {}, tokens.viewer);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect((await t.api('GET', `/api/alerts/${alert.id}`)).body.state).toBe('firing');

    const acked = await t.api('POST', `/api/alerts/${alert.id}/ack`, { note: 'crew on the way' }, tokens.operator);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ id: alert.id, state: 'acknowledged', acknowledgedBy: 'operator desk' });
    for (const c of [a, b]) {
      const e = await c.waitFor((x) => x.event === 'alert:acknowledged' && x.payload.id === alert.id, 'alert:acknowledged');
      expect(e.payload).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator desk', acknowledgedAt: acked.body.acknowledgedAt });
    }

    const resolved = await t.api('POST', `/api/alerts/${alert.id}/resolve`, { note: 'vented' }, tokens.operator);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'operator desk' });
    for (const c of [a, b]) {
      await c.waitFor((x) => x.event === 'alert:resolved' && x.payload.id === alert.id, 'alert:resolved');
      expect(alertEvents(c, s.id).map((x) => x.event)).toEqual(['alert:fired', 'alert:acknowledged', 'alert:resolved']);
    }
    const detail = await t.api('GET', `/api/alerts/${alert.id}`, undefined, tokens.viewer);
    expect(detail.body.transitions.map((x: any) => [x.kind, x.actor, x.note])).toEqual([
      ['fired', 'system', undefined],
      ['acknowledged', 'operator desk', 'crew on the way'],
      ['resolved', 'operator desk', 'vented'],
    ]);
    expect((await t.api('POST', `/api/alerts/${alert.id}/ack`, {}, tokens.operator)).status).toBe(409);
    a.close();
    b.close();
  });

  it('pushes a gas alert within a second after a reading stamped a minute ahead (a device clock ahead of the platform)', async () => {
    const c = await t.live();
    const s = await t.sensor('safety', 'gas');
    await s.send({ co: 0 }, Date.now() + 60_000); // accepted: up to 5 minutes ahead is valid
    const sent = Date.now();
    await s.send({ co: 500 }); // flat: stamped with the receive time
    const fired = await c.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === s.id, 'alert:fired', 1000);
    expect(fired.at - sent).toBeLessThan(1000);
    expect(fired.payload).toMatchObject({ ruleId: 'carbon-monoxide', value: 500 });
    expect(Date.parse(fired.payload.firedAt)).toBeLessThanOrEqual(fired.at);
    c.close();
  });

  it('raises no second alert for a breach that goes on after an operator resolved it, only after the clear level', async () => {
    const c = await t.live();
    const { s, alert } = await gasAlert();
    expect((await t.api('POST', `/api/alerts/${alert.id}/resolve`, {}, tokens.operator)).status).toBe(200);
    await s.send({ co: 110 });
    await c.subscribe({}); // a round trip: whatever the reading caused has been pushed
    expect((await t.api('GET', `/api/alerts?deviceId=${s.id}`)).body.items).toHaveLength(1);
    await s.send({ co: 10 });
    await s.send({ co: 120 });
    const next = await c.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === s.id && e.payload.id !== alert.id, 'the next episode');
    expect(next.payload).toMatchObject({ value: 120 });
    expect(alertEvents(c, s.id).map((e) => e.event)).toEqual(['alert:fired', 'alert:resolved', 'alert:fired']);
    c.close();
  });

  it('resolves an acknowledged alert when its clear condition holds, and pushes it', async () => {
    const c = await t.live();
    const { s, alert } = await gasAlert();
    expect((await t.api('POST', `/api/alerts/${alert.id}/ack`, {}, tokens.operator)).status).toBe(200);
    await s.send({ co: 10 });
    const e = await c.waitFor((x) => x.event === 'alert:resolved' && x.payload.id === alert.id, 'alert:resolved');
    expect(e.payload).toMatchObject({ state: 'resolved', resolvedBy: 'system', acknowledgedBy: 'operator desk', lastValue: 10 });
    c.close();
  });

  it('mutes a matching alert while a silence holds and pushes it when the silence expires', async () => {
    const c = await t.live();
    const s = await t.sensor('safety', 'smoke', { district: 'Xixia' });
    const until = Date.now() + 1500;
    const silence = await t.api('POST', '/api/silences', { match: { deviceId: s.id }, to: until, reason: 'detector test' }, tokens.operator);
    expect(silence.status).toBe(201);
    expect((await t.api('POST', '/api/silences', { match: { deviceId: s.id }, to: until, reason: 'x' }, tokens.viewer)).status).toBe(403);

    await s.send({ obscuration: 30 });
    const [alert] = (await t.api('GET', `/api/alerts?deviceId=${s.id}`)).body.items;
    expect(alert).toMatchObject({ ruleId: 'smoke', state: 'firing', silenced: true });
    // Recorded, not pushed: the round trip of a subscribe brings everything emitted before it.
    await c.subscribe({});
    expect(alertEvents(c, s.id)).toEqual([]);

    // The silence ends by itself: the alert, still open, is announced then.
    const fired = await c.waitFor((e) => e.event === 'alert:fired' && e.payload.id === alert.id, 'alert:fired after the silence', 10_000);
    expect(fired.at).toBeGreaterThanOrEqual(until);
    expect(fired.payload).toMatchObject({ state: 'firing', silenced: false });
    const detail = await t.api('GET', `/api/alerts/${alert.id}`);
    expect(detail.body).toMatchObject({ silenced: false });
    expect(detail.body.transitions.map((x: any) => x.kind)).toEqual(['fired', 'unsilenced']);
    const silences = await t.api('GET', '/api/silences?state=expired');
    expect(silences.body.items.map((x: any) => x.id)).toContain(silence.body.id);

    // Unmuted: the next episode is pushed as it fires.
    await s.send({ obscuration: 1 });
    await s.send({ obscuration: 40 });
    const next = await c.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === s.id && e.payload.id !== alert.id, 'the next alert:fired');
    expect(next.payload).toMatchObject({ silenced: false, district: 'Xixia' });
    expect(alertEvents(c, s.id).map((e) => e.event)).toEqual(['alert:fired', 'alert:resolved', 'alert:fired']);
    c.close();
  });

  it('sends a client that resubscribes with `since` every transition it missed, in order, then live ones, once each', async () => {
    const s = await t.sensor('safety', 'structure');
    const first = await t.live();
    expect(await first.subscribe({ deviceIds: [s.id] })).toEqual({ deviceIds: [s.id] });
    const t0 = Date.now() - 60_000;
    await s.send({ vibration: 30 }, t0);
    const seen = await first.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === s.id, 'the first alert:fired');
    const alertA = seen.payload.id as number;
    const since = seen.payload.eventId as number;
    first.close();

    // Three transitions while it is away.
    expect((await t.api('POST', `/api/alerts/${alertA}/ack`, {}, tokens.operator)).status).toBe(200);
    await s.send({ vibration: 5 }, t0 + 1000);
    await s.send({ vibration: 40 }, t0 + 2000);
    const [alertB] = (await t.api('GET', `/api/alerts?deviceId=${s.id}&state=active`)).body.items;
    // Transitions of other devices meanwhile are not its business.
    const other = await t.sensor('safety', 'structure');
    await other.send({ vibration: 50 });

    const back = await t.live();
    const onConnect = await back.waitFor((e) => e.event === 'alerts:snapshot', 'the snapshot on connect');
    expect(await back.subscribe({ deviceIds: [s.id], since })).toEqual({ deviceIds: [s.id] });
    const snap = await back.waitFor((e) => e.event === 'alerts:snapshot' && e !== onConnect, 'the snapshot after subscribe');
    expect(snap.payload.map((a: any) => a.id)).toEqual([alertB.id]);

    // A live one after the replay.
    expect((await t.api('POST', `/api/alerts/${alertB.id}/ack`, {}, tokens.operator)).status).toBe(200);
    await back.waitFor((e) => e.event === 'alert:acknowledged' && e.payload.id === alertB.id, 'the live alert:acknowledged');

    const got = back.events.filter((e) => e !== onConnect && (isAlertEvent(e) || e.event === 'alerts:snapshot'));
    expect(got.map((e) => [e.event, e.payload.id, e.payload.state])).toEqual([
      ['alert:acknowledged', alertA, 'acknowledged'],
      ['alert:resolved', alertA, 'resolved'],
      ['alert:fired', alertB.id, 'firing'],
      ['alerts:snapshot', undefined, undefined],
      ['alert:acknowledged', alertB.id, 'acknowledged'],
    ]);
    const ids = got.filter(isAlertEvent).map((e) => e.payload.eventId as number);
    expect(ids[0]).toBeGreaterThan(since);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(got.every((e) => !isAlertEvent(e) || e.payload.deviceId === s.id)).toBe(true);
    back.close();
  });
});
