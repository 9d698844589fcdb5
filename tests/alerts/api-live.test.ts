import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { io as connectClient, type Socket } from 'socket.io-client';
import { createAlertEngine, type AlertEngine, type AlertView } from '../../src/alerts/index.js';
import { hashToken, newSecret } from '../../src/core/index.js';
import { createDeviceStatus } from '../../src/devices/index.js';
import { createAuthenticator } from '../../src/dashboard-api/auth.js';
import { errorHandler, notFoundRoute } from '../../src/dashboard-api/errors.js';
import { attachLive, type Live } from '../../src/dashboard-api/live.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/dashboard-api/index.js';
import { ApiDefinition } from '../../src/dashboard-api/define.js';
import { alertsRoutes } from '../../src/dashboard-api/routes/alerts.js';
import { rulesRoutes } from '../../src/dashboard-api/routes/rules.js';
import { silencesRoutes } from '../../src/dashboard-api/routes/silences.js';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { catalog, deviceId, log, reading, until } from './fixture.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
interface Received { event: string; payload: any }

describe('alerts, rules and silences over REST and Socket.IO', () => {
  let dir: string;
  let meta: SqliteStores;
  let engine: AlertEngine;
  let server: Server;
  let live: Live;
  let base: string;
  const tokens = { admin: newSecret(), operator: newSecret(), viewer: newSecret() };
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-alerts-api-'));
    meta = createSqliteStores(dir);
    for (const role of ['admin', 'operator', 'viewer'] as const) meta.tokens.create(`${role} desk`, role, hashToken(tokens[role]));
    const metrics = new Registry();
    const status = createDeviceStatus({ catalog, registry: meta.devices, log, checkSchedule: false });
    engine = createAlertEngine({ catalog, store: meta.alertStores, devices: meta.devices, status, log, metrics, sweepSchedule: false });
    await engine.start();
    const authenticate = createAuthenticator(meta.tokens);
    const api = express.Router();
    api.use(express.json());
    const definition = new ApiDefinition(authenticate);
    api.use(alertsRoutes(definition, { engine, now: Date.now }));
    api.use(rulesRoutes(definition, engine));
    api.use(silencesRoutes(definition, { engine, now: Date.now }));
    const app = express();
    app.use('/api', api);
    app.use(notFoundRoute);
    app.use(errorHandler(log));
    server = createServer(app);
    live = attachLive(server, { alerts: engine, authenticate, devices: meta.devices, log, metrics });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await live.stop();
    await new Promise((resolve) => server.close(resolve));
    await engine.stop();
    await meta.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, role: keyof typeof tokens | null, body?: unknown) {
    const res = await fetch(base + path, {
      method,
      headers: { ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Connects a client that records every server event from the start, in order. */
  function connect(token: string | undefined): Promise<{ socket: Client; got: Received[] }> {
    const socket: Client = connectClient(base, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push(socket);
    const got: Received[] = [];
    socket.onAny((event: string, payload: unknown) => got.push({ event, payload }));
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve({ socket, got }));
      socket.once('connect_error', (err) => reject(err));
    });
  }
  const alertEvents = (got: Received[]) => got.filter((g) => g.event.startsWith('alert:')).map((g) => [g.event, (g.payload as AlertView).deviceId] as const);

  async function device(domain: string, type: string, district?: string) {
    const id = deviceId(type.replace(/_/g, ''));
    meta.devices.create({ id, domain, type, ...(district ? { district } : {}) }, 'unused-hash');
    return id;
  }

  it('refuses a socket without a token or with a bad one', async () => {
    await expect(connect(undefined)).rejects.toThrow('unauthorized');
    await expect(connect('not-a-token')).rejects.toThrow('unauthorized');
  });

  it('sends the active alerts on connect and after subscribe, and pushes transitions that match the filter', async () => {
    const gas = await device('safety', 'gas', 'Xixia');
    const wear = await device('healthcare', 'wearable', 'Jinfeng');
    const t = Date.now();
    engine.evaluate([reading(gas, 'safety', 'gas', t, { co: 90 })]);
    const { socket, got } = await connect(tokens.viewer);
    await until(() => got.find((g) => g.event === 'alerts:snapshot'), 'the first snapshot');
    expect((got[0]!.payload as AlertView[]).map((a) => a.deviceId)).toContain(gas);

    const filter = { domains: ['safety', 'healthcare'], severities: ['critical' as const], districts: ['Jinfeng'] };
    expect(await socket.emitWithAck('subscribe', filter)).toEqual(filter);
    await until(() => got.filter((g) => g.event === 'alerts:snapshot').length === 2, 'the snapshot after subscribe');
    expect(got[got.length - 1]!.payload).toEqual([]);

    engine.evaluate([reading(gas, 'safety', 'gas', t + 1, { co: 10 })]); // Xixia: not pushed
    engine.evaluate([reading(wear, 'healthcare', 'wearable', t, { heart_rate: 150 }), reading(wear, 'healthcare', 'wearable', t + 30_000, { heart_rate: 151 })]);
    await until(() => alertEvents(got).length === 1, 'the wearable alert');
    expect(alertEvents(got)).toEqual([['alert:fired', wear]]);
    const pushed = got.find((g) => g.event === 'alert:fired')!.payload as AlertView;
    expect(pushed).toMatchObject({ ruleId: 'wearable-heart-rate-high', state: 'firing', district: 'Jinfeng', value: 151, threshold: 130, silenced: false });
    expect(pushed.firedAt).toBe(new Date(t + 30_000).toISOString());

    // Ack and resolve through REST are pushed; a viewer may not ack.
    expect((await call('POST', `/api/alerts/${pushed.id}/ack`, 'viewer', {})).status).toBe(403);
    expect((await call('POST', `/api/alerts/${pushed.id}/ack`, null, {})).status).toBe(401);
    const acked = await call('POST', `/api/alerts/${pushed.id}/ack`, 'operator', { note: 'calling the ward' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator desk' });
    const resolved = await call('POST', `/api/alerts/${pushed.id}/resolve`, 'operator', {});
    expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'operator desk' });
    expect((await call('POST', `/api/alerts/${pushed.id}/resolve`, 'operator', {})).status).toBe(409);
    await until(() => alertEvents(got).length === 3, 'ack and resolve pushes');
    expect(alertEvents(got)).toEqual([['alert:fired', wear], ['alert:acknowledged', wear], ['alert:resolved', wear]]);

    const one = await call('GET', `/api/alerts/${pushed.id}`, 'viewer');
    expect(one.body.transitions.map((x: any) => [x.kind, x.actor])).toEqual([['fired', 'system'], ['acknowledged', 'operator desk'], ['resolved', 'operator desk']]);
    expect(one.body.transitions[1].note).toBe('calling the ward');
    socket.disconnect();
  });

  it('replays every missed transition in order after `since`, then goes on live without gap or repeat', async () => {
    const dev = await device('safety', 'smoke');
    const first = await connect(tokens.viewer);
    const t = Date.now();
    engine.evaluate([reading(dev, 'safety', 'smoke', t, { obscuration: 50 })]);
    await until(() => alertEvents(first.got).length === 1, 'the first firing');
    const lastSeen = (first.got.find((g) => g.event === 'alert:fired')!.payload as AlertView).eventId;
    first.socket.disconnect();

    // Three transitions while the client is away.
    const id = engine.activeAlerts().find((a) => a.deviceId === dev)!.id;
    engine.ack(id, { id: 'user-ops', name: 'ops' });
    engine.evaluate([reading(dev, 'safety', 'smoke', t + 1000, { obscuration: 1 })]);
    engine.evaluate([reading(dev, 'safety', 'smoke', t + 2000, { obscuration: 60 })]);

    const again = await connect(tokens.viewer);
    const ack = await again.socket.emitWithAck('subscribe', { deviceIds: [dev], since: lastSeen });
    expect(ack).toEqual({ deviceIds: [dev] });
    engine.evaluate([reading(dev, 'safety', 'smoke', t + 3000, { obscuration: 0 })]);
    await until(() => alertEvents(again.got).length === 4, 'three replayed and one live transition');
    expect(alertEvents(again.got)).toEqual([['alert:acknowledged', dev], ['alert:resolved', dev], ['alert:fired', dev], ['alert:resolved', dev]]);
    const ids = again.got.filter((g) => g.event.startsWith('alert:')).map((g) => (g.payload as AlertView).eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBeGreaterThan(lastSeen);
    again.socket.disconnect();
  });

  it('records silenced alerts without pushing them as fired', async () => {
    const quiet = await device('safety', 'structure', 'Helan');
    const loud = await device('safety', 'structure', 'Helan');
    const { socket, got } = await connect(tokens.viewer);
    expect((await call('POST', '/api/silences', 'viewer', { match: { deviceId: quiet }, to: '+1h', reason: 'bridge works' })).status).toBe(403);
    const created = await call('POST', '/api/silences', 'operator', { match: { deviceId: quiet }, to: '+1h', reason: 'bridge works' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ match: { deviceId: quiet }, reason: 'bridge works', createdBy: 'operator desk', active: true });
    const t = Date.now();
    engine.evaluate([reading(quiet, 'safety', 'structure', t, { vibration: 40 })]);
    engine.evaluate([reading(loud, 'safety', 'structure', t, { vibration: 40 })]);
    await until(() => alertEvents(got).length >= 1, 'the unsilenced alert');
    expect(alertEvents(got)).toEqual([['alert:fired', loud]]);
    const listed = await call('GET', `/api/alerts?deviceId=${quiet}`, 'viewer');
    expect(listed.body.items).toEqual([expect.objectContaining({ deviceId: quiet, silenced: true, state: 'firing' })]);

    expect((await call('GET', '/api/silences', 'viewer')).body.items.map((s: any) => s.id)).toContain(created.body.id);
    expect((await call('DELETE', `/api/silences/${created.body.id}`, 'viewer')).status).toBe(403);
    expect((await call('DELETE', `/api/silences/${created.body.id}`, 'operator')).status).toBe(204);
    await until(() => alertEvents(got).length === 2, 'the alert announced once its silence ended');
    expect(alertEvents(got)[1]).toEqual(['alert:fired', quiet]);
    expect((await call('GET', '/api/silences?state=all', 'viewer')).body.items.map((s: any) => s.id)).not.toContain(created.body.id);
    socket.disconnect();
  });

  it.each([
    [{ match: {}, to: '+1h', reason: 'x' }, /match/],
    [{ match: { deviceId: 'a' }, to: 'tomorrow', reason: 'x' }, /body to/],
    [{ match: { deviceId: 'a' }, to: '-1h', reason: 'x' }, /body to/],
    [{ match: { deviceId: 'a' }, to: '+1h' }, /reason/],
    [{ match: { ruleId: 'nope' }, to: '+1h', reason: 'x' }, /match.ruleId/],
    // Beyond what a Date holds: such a silence could never be listed again.
    [{ match: { deviceId: 'a' }, to: '+99999999999d', reason: 'x' }, /body to/],
    [{ match: { deviceId: 'a' }, to: 8_640_000_000_000_001, reason: 'x' }, /body to/],
    [{ match: { deviceId: 'a' }, from: 8_640_000_000_000_001, to: '+1h', reason: 'x' }, /body from/],
    [{ match: { deviceId: 'a' }, to: '2030-02-30T00:00:00Z', reason: 'x' }, /body to/],
  ])('refuses the silence %j with a 400 naming the field, and keeps nothing of it', async (input, field) => {
    const before = await call('GET', '/api/silences?state=all', 'viewer');
    const r = await call('POST', '/api/silences', 'operator', input);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(field);
    const after = await call('GET', '/api/silences?state=all', 'viewer');
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual(before.body.items);
  });

  it('takes RFC 3339 times with a lower-case t and z, as RFC 3339 allows', async () => {
    const to = new Date(Date.now() + 3_600_000).toISOString().replace('T', 't').replace('Z', 'z');
    const r = await call('POST', '/api/silences', 'operator', { match: { deviceId: 'lower-case' }, to, reason: 'x' });
    expect(r.status).toBe(201);
    expect(r.body.to).toBe(to.toUpperCase());
    expect((await call('DELETE', `/api/silences/${r.body.id}`, 'operator')).status).toBe(204);
  });

  it('streams readings of watched devices only, at most 100 a client, and device status', async () => {
    const watched = await device('transport', 'bus');
    const other = await device('transport', 'bus');
    const { socket, got } = await connect(tokens.viewer);
    expect(await socket.emitWithAck('watch', { deviceIds: [watched] })).toEqual({ deviceIds: [watched] });
    const tooMany = Array.from({ length: 100 }, (_, i) => `bus-${i}`);
    expect(await socket.emitWithAck('watch', { deviceIds: tooMany })).toMatchObject({ error: { code: 'too_many_watched' } });
    const t = Date.UTC(2026, 0, 15, 9, 0, 0);
    live.readings([reading(other, 'transport', 'bus', t, { passengers: 3 }), reading(watched, 'transport', 'bus', t, { passengers: 40, delay: 12 })]);
    live.deviceStatus(watched, 'online', t);
    await until(() => got.some((g) => g.event === 'device:status'), 'the status event');
    expect(got.filter((g) => g.event === 'reading').map((g) => g.payload)).toEqual([
      { deviceId: watched, domain: 'transport', type: 'bus', ts: new Date(t).toISOString(), values: { passengers: 40, delay: 12 } },
    ]);
    expect(got.find((g) => g.event === 'device:status')!.payload).toEqual({ deviceId: watched, status: 'online', lastSeen: new Date(t).toISOString() });

    expect(await socket.emitWithAck('unwatch', { deviceIds: [watched] })).toEqual({ deviceIds: [] });
    expect(await socket.emitWithAck('subscribe', { domains: ['safety'] })).toEqual({ domains: ['safety'] });
    live.readings([reading(watched, 'transport', 'bus', t + 1, { passengers: 41 })]);
    live.deviceStatus(watched, 'offline', t); // transport device: outside the filter
    live.deviceStatus('no-such-device', 'offline', null);
    expect(await socket.emitWithAck('subscribe', {})).toEqual({});
    live.deviceStatus(watched, 'stale', t);
    await until(() => got.filter((g) => g.event === 'device:status').length === 2, 'the second status event');
    expect(got.filter((g) => g.event === 'reading')).toHaveLength(1);
    expect(got.filter((g) => g.event === 'device:status').map((g) => g.payload.status)).toEqual(['online', 'stale']);
    expect(await socket.emitWithAck('subscribe', { severities: ['loud'] } as never)).toMatchObject({ error: { code: 'bad_request' } });
    socket.disconnect();
  });

  it('lists alerts with filters and a cursor, and answers 404 for unknown ones', async () => {
    const dev = await device('safety', 'gas');
    const t = Date.now();
    for (let i = 0; i < 5; i++) {
      engine.evaluate([reading(dev, 'safety', 'gas', t + i * 2, { co: 100 })]);
      engine.evaluate([reading(dev, 'safety', 'gas', t + i * 2 + 1, { co: 0 })]);
    }
    engine.evaluate([reading(dev, 'safety', 'gas', t + 100, { co: 100 })]);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('GET', `/api/alerts?deviceId=${dev}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, 'viewer');
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((a: AlertView) => a.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    const active = await call('GET', `/api/alerts?deviceId=${dev}&state=active`, 'viewer');
    expect(active.body.items.map((a: AlertView) => a.state)).toEqual(['firing']);
    expect((await call('GET', `/api/alerts?deviceId=${dev}&state=resolved&severity=critical&domain=safety`, 'viewer')).body.items).toHaveLength(5);
    expect((await call('GET', `/api/alerts?deviceId=${dev}&from=-1h&to=now`, 'viewer')).body.items.length).toBeLessThanOrEqual(6);
    expect((await call('GET', `/api/alerts?deviceId=${dev}&from=${new Date(t + 50).toISOString()}`, 'viewer')).body.items).toHaveLength(1);
    expect((await call('GET', '/api/alerts?state=open', 'viewer')).status).toBe(400);
    expect((await call('GET', '/api/alerts?from=yesterday', 'viewer')).body.error.message).toMatch(/from/);
    expect((await call('GET', '/api/alerts/999999', 'viewer')).status).toBe(404);
    expect((await call('GET', '/api/alerts/abc', 'viewer')).status).toBe(404);
    expect((await call('GET', '/api/alerts', null)).status).toBe(401);
  });

  describe('rules', () => {
    const valid = { name: 'bus overcrowded', match: { domain: 'transport', type: 'bus' }, metric: 'passengers', condition: { op: '>', value: 250 }, clear: { op: '<', value: 200 }, for: '2m', severity: 'warning' };

    it('lets viewers read, only admins write, and validates against the catalog', async () => {
      const list = await call('GET', '/api/rules', 'viewer');
      expect(list.status).toBe(200);
      expect(list.body.items.length).toBeGreaterThanOrEqual(13);
      expect((await call('GET', '/api/rules/carbon-monoxide', 'viewer')).body).toMatchObject({ metric: 'co', condition: { op: '>', value: 50 }, clear: { op: '<', value: 35 }, for: '0', severity: 'critical', enabled: true });
      expect((await call('POST', '/api/rules', 'operator', valid)).status).toBe(403);
      const created = await call('POST', '/api/rules', 'admin', valid);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ...valid, enabled: true, builtin: false });
      const id = created.body.id;
      const disabled = await call('PUT', `/api/rules/${id}`, 'admin', { ...valid, enabled: false });
      expect(disabled.body).toMatchObject({ id, enabled: false });
      expect((await call('PUT', '/api/rules/nope', 'admin', valid)).status).toBe(404);
      expect((await call('DELETE', `/api/rules/${id}`, 'operator')).status).toBe(403);
      expect((await call('DELETE', `/api/rules/${id}`, 'admin')).status).toBe(204);
      expect((await call('GET', `/api/rules/${id}`, 'viewer')).status).toBe(404);
      expect((await call('POST', '/api/rules', 'admin', { ...valid, id: 'bus-crowd' })).body.id).toBe('bus-crowd');
      expect((await call('POST', '/api/rules', 'admin', { ...valid, id: 'bus-crowd' })).status).toBe(409);
    });

    it.each([
      [{ metric: 'heart_rate' }, /body metric/],
      [{ match: { domain: 'transport', type: 'submarine' } }, /body match.type/],
      [{ match: { domain: 'space' } }, /body match.domain/],
      [{ condition: { op: 'outside', low: 300, high: 10 }, clear: undefined }, /body condition.high/],
      [{ condition: { op: '~', value: 3 } }, /body condition.op/],
      [{ for: '5 minutes' }, /body for/],
      [{ for: '2d' }, /body for/],
      [{ severity: 'loud' }, /body severity/],
      [{ clear: { op: '<', value: 260 } }, /body clear/],
      [{ name: '' }, /body name/],
      [{ extra: true }, /body/],
    ])('refuses %j with a 400 naming the field', async (change, field) => {
      const r = await call('POST', '/api/rules', 'admin', { ...valid, ...change });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
      expect(r.body.error.message).toMatch(field);
    });
  });
});
