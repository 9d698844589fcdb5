// Scopes (docs/contract.md section 11): a department's user or token sees and acts on only its devices, alerts,
// silences and live events; outside the scope a single resource is 404; the operations centre sees everything.
// Actions are credited to the person's display name and id (a token's as token:{id}); stats hold only the scope.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { eventually, startTestApp, type LiveEvent, type Sensor, type TestApp } from '../fixtures/app.js';

const PASSWORD = 'a long enough password';

describe('scoped users and tokens', () => {
  let t: TestApp;
  let heart: Sensor;
  let gas: Sensor;
  let health: { id: string; cookie: string; call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }> };
  let ops: typeof health;
  let healthAlert: any;
  let gasAlert: any;
  const sockets: Socket[] = [];

  async function person(username: string, name: string, scope?: object) {
    const created = await t.api('POST', '/api/users', { username, name, role: 'operator', password: PASSWORD, ...(scope ? { scope } : {}) });
    expect(created.status).toBe(201);
    const res = await fetch(`${t.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';', 1)[0]!;
    return {
      id: created.body.id as string,
      cookie,
      async call(method: string, path: string, body?: unknown) {
        const r = await fetch(t.httpUrl + path, { method, headers: { cookie, origin: t.httpUrl, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await r.text();
        return { status: r.status, body: text ? JSON.parse(text) : undefined };
      },
    };
  }
  /** A Socket.IO client signed in with a session cookie, recording its events. */
  async function live(cookie: string) {
    const socket = io(t.httpUrl, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie, origin: t.httpUrl } });
    sockets.push(socket);
    const events: LiveEvent[] = [];
    socket.onAny((event, payload) => events.push({ event, payload, at: Date.now() }));
    await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
    const waitFor = async (pick: (e: LiveEvent) => boolean, what: string) => {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        const e = events.find(pick);
        if (e) return e;
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    return { socket, events, waitFor };
  }

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const rule = await t.api('POST', '/api/rules', {
      id: 'heart-test', name: 'heart rate test', enabled: true, match: { domain: 'healthcare', type: 'wearable' },
      metric: 'heart_rate', condition: { op: '>', value: 130 }, for: '0', severity: 'critical',
    });
    expect(rule.status).toBe(201);
    heart = await t.sensor('healthcare', 'wearable', { district: 'Jinfeng' });
    gas = await t.sensor('safety', 'gas', { district: 'Xingqing' });
    health = await person('health.mei', 'Mei Lin (Health)', { domains: ['healthcare'] });
    ops = await person('ops.centre', 'Operations Centre');
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t.close();
  });

  it('pushes a scoped user only the alerts of its scope, and the operations centre all of them', async () => {
    const h = await live(health.cookie);
    const o = await live(ops.cookie);
    await heart.send({ heart_rate: 150 });
    await gas.send({ co: 80 });
    gasAlert = (await o.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === gas.id, 'the gas alert for ops')).payload;
    healthAlert = (await o.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === heart.id, 'the heart alert for ops')).payload;
    await h.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === heart.id, 'the heart alert for health');
    // The gas alert went out before the ops client saw it; by the next round trip health would have it too.
    const watched = await h.socket.timeout(5000).emitWithAck('watch', { deviceIds: [heart.id, gas.id] });
    expect(watched).toEqual({ deviceIds: [heart.id] });
    expect(h.events.filter((e) => JSON.stringify(e.payload).includes(gas.id))).toEqual([]);

    // A filter narrows the scope, never widens it: asking for safety gives an empty snapshot.
    expect(await h.socket.timeout(5000).emitWithAck('subscribe', { domains: ['safety'] })).toEqual({ domains: ['safety'] });
    const snapshot = await h.waitFor((e) => e.event === 'alerts:snapshot' && e.payload.length === 0, 'an empty snapshot');
    expect(snapshot.payload).toEqual([]);
    const fresh = await live(health.cookie);
    const first = await fresh.waitFor((e) => e.event === 'alerts:snapshot', 'the snapshot on connect');
    expect(first.payload.map((a: any) => a.deviceId)).toEqual([heart.id]);
  });

  it('answers a scoped user\'s REST reads with its scope only, and 404 for a single resource outside it', async () => {
    const devices = await health.call('GET', '/api/devices');
    expect(devices.body.items.map((d: any) => d.id)).toEqual([heart.id]);
    expect((await health.call('GET', `/api/devices/${gas.id}`)).status).toBe(404);
    expect((await health.call('GET', `/api/devices/${gas.id}/readings?metric=co`)).status).toBe(404);
    expect((await health.call('GET', `/api/devices/${heart.id}`)).status).toBe(200);
    const alerts = await health.call('GET', '/api/alerts');
    expect(alerts.body.items.map((a: any) => a.deviceId)).toEqual([heart.id]);
    expect((await health.call('GET', `/api/alerts/${gasAlert.id}`)).status).toBe(404);
    expect((await health.call('GET', '/api/stats')).body.activeAlerts).toBe(1);
    expect((await ops.call('GET', '/api/stats')).body.activeAlerts).toBeGreaterThanOrEqual(2);
    const all = await ops.call('GET', '/api/devices');
    expect(all.body.items.map((d: any) => d.id)).toEqual(expect.arrayContaining([heart.id, gas.id]));
  });

  it('refuses a scoped user\'s ack of an alert outside its scope with 404, and credits its own ack to the person', async () => {
    const refused = await health.call('POST', `/api/alerts/${gasAlert.id}/ack`, {});
    expect(refused.status).toBe(404);
    expect((await t.api('GET', `/api/alerts/${gasAlert.id}`)).body.state).toBe('firing');
    const acked = await health.call('POST', `/api/alerts/${healthAlert.id}/ack`, { note: 'nurse on the way' });
    expect(acked.status).toBe(200);
    expect(acked.body.acknowledgedBy).toBe('Mei Lin (Health)');
    const detail = await health.call('GET', `/api/alerts/${healthAlert.id}`);
    expect(detail.body.transitions.at(-1)).toMatchObject({ kind: 'acknowledged', actor: 'Mei Lin (Health)', note: 'nurse on the way' });
    const opsAck = await ops.call('POST', `/api/alerts/${gasAlert.id}/ack`, {});
    expect(opsAck.body.acknowledgedBy).toBe('Operations Centre');
  });

  it('lets a scoped user create silences only inside its scope and see only those', async () => {
    const outside = await health.call('POST', '/api/silences', { match: { domain: 'safety' }, to: '+1h', reason: 'not mine' });
    expect(outside.status).toBe(403);
    expect(outside.body.error.message).toMatch(/match/);
    expect((await health.call('POST', '/api/silences', { match: { deviceId: gas.id }, to: '+1h', reason: 'not mine' })).status).toBe(403);
    expect((await health.call('POST', '/api/silences', { match: { type: 'wearable' }, to: '+1h', reason: 'too wide' })).status).toBe(403);
    const mine = await health.call('POST', '/api/silences', { match: { domain: 'healthcare', type: 'wearable' }, to: '+1h', reason: 'ward drill' });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ createdBy: 'Mei Lin (Health)', createdById: health.id });
    expect((await health.call('GET', `/api/silences/${mine.body.id}`)).body.createdById).toBe(health.id);
    const theirs = await ops.call('POST', '/api/silences', { match: { domain: 'safety' }, to: '+1h', reason: 'gas works' });
    expect(theirs.status).toBe(201);
    expect((await health.call('GET', '/api/silences')).body.items.map((s: any) => s.id)).toEqual([mine.body.id]);
    expect((await health.call('GET', `/api/silences/${theirs.body.id}`)).status).toBe(404);
    expect((await health.call('DELETE', `/api/silences/${theirs.body.id}`)).status).toBe(404);
    expect((await ops.call('GET', '/api/silences')).body.items).toHaveLength(2);
  });

  it('limits a scoped token the same way, and tells it its scope', async () => {
    const created = await t.api('POST', '/api/tokens', { name: 'safety wall', role: 'viewer', scope: { domains: ['safety'] } });
    expect(created.status).toBe(201);
    expect(created.body.scope).toEqual({ domains: ['safety'] });
    const token = created.body.token;
    expect((await t.api('GET', '/api/whoami', undefined, token)).body).toEqual({ name: 'safety wall', role: 'viewer', scope: { domains: ['safety'] } });
    expect((await t.api('GET', '/api/devices', undefined, token)).body.items.map((d: any) => d.id)).toEqual([gas.id]);
    expect((await t.api('GET', `/api/alerts/${healthAlert.id}`, undefined, token)).status).toBe(404);
    const c = await t.live(token);
    const snap = await c.waitFor((e) => e.event === 'alerts:snapshot', 'the snapshot');
    expect(snap.payload.map((a: any) => a.deviceId)).toEqual([gas.id]);
    c.close();
    expect((await t.api('POST', '/api/tokens', { name: 'bad', role: 'viewer', scope: {} })).status).toBe(400);
  });

  it('exports only the readings of devices in the caller\'s scope (GET /api/export/readings)', async () => {
    const ts = Date.now() - 60_000;
    await heart.send({ heart_rate: 71 }, ts);
    await gas.send({ co: 3 }, ts);
    const exported = async (who: typeof health) => {
      const res = await fetch(`${t.httpUrl}/api/export/readings?from=-1h&format=ndjson`, { headers: { cookie: who.cookie } });
      expect(res.status).toBe(200);
      return new Set((await res.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { deviceId: string }).deviceId));
    };
    await eventually(async () => { const all = await exported(ops); return all.has(gas.id) && all.has(heart.id); }, 'both readings stored');
    expect([...(await exported(health))]).toEqual([heart.id]);
  });

  it('shows a scoped admin token only the dead letters of its own devices', async () => {
    await gas.send({ co: 'lots' as unknown as number });
    await heart.send({ heart_rate: 'fast' as unknown as number });
    await eventually(async () => {
      const ids = (await t.api('GET', '/api/dead-letters')).body.items.map((d: any) => d.deviceId);
      return ids.includes(gas.id) && ids.includes(heart.id);
    }, 'both dead letters');
    const token = (await t.api('POST', '/api/tokens', { name: 'health admin', role: 'admin', scope: { domains: ['healthcare'] } })).body.token;
    const scoped = await t.api('GET', '/api/dead-letters?limit=1', undefined, token);
    expect(scoped.body.items.map((d: any) => d.deviceId)).toEqual([heart.id]);
    expect((await t.api('GET', `/api/dead-letters?cursor=${scoped.body.items[0].id}`, undefined, token)).body.items).toEqual([]);
  });

  it('refuses a scoped admin a taken device id alike inside and outside its scope, naming nothing of the device', async () => {
    const token = (await t.api('POST', '/api/tokens', { name: 'health registrar', role: 'admin', scope: { domains: ['healthcare'] } })).body.token;
    const register = (id: string) => t.api('POST', '/api/devices', { id, domain: 'healthcare', type: 'wearable' }, token);
    const inside = await register(heart.id); // a healthcare device: in the token's scope
    const outside = await register(gas.id); // a safety device in Xingqing: outside it
    expect([inside.status, outside.status]).toEqual([409, 409]);
    const shape = (body: any, id: string) => JSON.stringify(body).replaceAll(id, '{id}');
    expect(shape(outside.body, gas.id)).toBe(shape(inside.body, heart.id));
    expect(outside.body).toEqual({ error: { code: 'conflict', message: `device id ${gas.id} is already taken (device ids are city-wide): choose another` } });
    expect(outside.body.error.message.replace(gas.id, '')).not.toMatch(/safety|Xingqing|scope|exists/i); // no domain, district or detail
    expect((await t.api('GET', `/api/devices/${gas.id}`, undefined, token)).status).toBe(404); // and the device itself stays unseen
  });

  it('credits acks and resolves by id too: the user id of a person, token:{id} of a token, none for the engine', async () => {
    const detail = (await health.call('GET', `/api/alerts/${healthAlert.id}`)).body;
    expect(detail.acknowledgedById).toBe(health.id);
    expect(detail.transitions.map((x: any) => [x.kind, x.actor, x.actorId])).toEqual([
      ['fired', 'system', null],
      ['acknowledged', 'Mei Lin (Health)', health.id],
    ]);
    const gasDetail = (await ops.call('GET', `/api/alerts/${gasAlert.id}`)).body;
    expect(gasDetail.acknowledgedById).toBe(ops.id);
    expect(gasDetail.acknowledgedById).not.toBe(health.id);
    // A token: its id, marked as a token (a person's id is never of this form).
    const token = (await t.api('POST', '/api/tokens', { name: 'night desk', role: 'operator' })).body;
    const resolved = await t.api('POST', `/api/alerts/${gasAlert.id}/resolve`, { note: 'vented' }, token.token);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ resolvedBy: 'night desk', resolvedById: `token:${token.id}`, acknowledgedBy: 'Operations Centre', acknowledgedById: ops.id });
    const after = (await t.api('GET', `/api/alerts/${gasAlert.id}`)).body;
    expect(after.transitions.at(-1)).toMatchObject({ kind: 'resolved', actor: 'night desk', actorId: `token:${token.id}`, note: 'vented' });
  });

  it('answers a scoped caller\'s stats with its scope only: its connected devices and alerts, no platform counters', async () => {
    // A second safety device, registered but never connected, and a third in healthcare that connects.
    await t.device('safety', 'gas', { district: 'Xingqing' });
    const pulse = await t.sensor('healthcare', 'wearable', { district: 'Jinfeng' });
    const opsStats = (await ops.call('GET', '/api/stats')).body;
    expect(opsStats.connectedDevices).toBe(3);
    expect(opsStats.readings.accepted).toBeGreaterThanOrEqual(2);
    expect(opsStats.spool).toEqual(expect.objectContaining({ backlog: expect.any(Number) }));
    const mine = (await health.call('GET', '/api/stats')).body;
    expect(mine).toEqual({ connectedDevices: 2, activeAlerts: 1, store: { kind: 'sqlite', up: true } });
    const safety = (await t.api('POST', '/api/tokens', { name: 'safety stats', role: 'viewer', scope: { domains: ['safety'], districts: ['Xingqing'] } })).body.token;
    expect((await t.api('GET', '/api/stats', undefined, safety)).body).toEqual({ connectedDevices: 1, activeAlerts: 0, store: { kind: 'sqlite', up: true } });
    const jinfeng = (await t.api('POST', '/api/tokens', { name: 'Jinfeng office', role: 'viewer', scope: { districts: ['Jinfeng'] } })).body.token;
    expect((await t.api('GET', '/api/stats', undefined, jinfeng)).body.connectedDevices).toBe(2);
    pulse.client.end(true);
    await eventually(async () => (await health.call('GET', '/api/stats')).body.connectedDevices === 1, 'the disconnected device no longer counted');
  });
});
