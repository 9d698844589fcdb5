import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { OpenApiChecker } from '../fixtures/openapi.js';
import { startReceiver } from '../notifications/receiver.js';

// The routes of CONTRACT.md section 5, each of which the document must describe.
const CONTRACT_ROUTES = [
  'get /healthz', 'get /readyz', 'get /metrics', 'get /api/openapi.json', 'get /api/catalog',
  'post /api/devices', 'get /api/devices', 'get /api/devices/{id}', 'delete /api/devices/{id}',
  'post /api/devices/{id}/credentials', 'get /api/devices/{id}/readings',
  'get /api/alerts', 'get /api/alerts/{id}', 'post /api/alerts/{id}/ack', 'post /api/alerts/{id}/resolve',
  'get /api/rules', 'post /api/rules', 'get /api/rules/{id}', 'put /api/rules/{id}', 'delete /api/rules/{id}',
  'get /api/dead-letters', 'get /api/stats', 'get /api/silences', 'post /api/silences', 'delete /api/silences/{id}',
  'post /api/tokens', 'get /api/tokens', 'delete /api/tokens/{id}',
];

describe('the API against its OpenAPI document', () => {
  let t: TestApp;
  let checker: OpenApiChecker;
  let viewer: string;
  let operator: string;
  /**
   * A request whose answer must match the document (status documented, body valid); one the server took without a
   * body must be one the document allows without a body.
   */
  const call = async (method: string, path: string, body?: unknown, token?: string | null) => {
    const r = await t.api(method, path, body, token);
    checker.check(method, path, r.status, r.body);
    if (body === undefined && r.status < 300) {
      const op = checker.operation(method, path)!;
      const requestBody = (checker.doc as any).paths[op.template][method.toLowerCase()].requestBody;
      if (requestBody?.required) throw new Error(`${method} ${op.template} answered ${r.status} without a body, but the document requires one`);
    }
    return r;
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const doc = await t.api('GET', '/api/openapi.json', undefined, null);
    expect(doc.status).toBe(200);
    checker = new OpenApiChecker(doc.body);
    viewer = (await t.api('POST', '/api/tokens', { name: 'viewer', role: 'viewer' })).body.token;
    operator = (await t.api('POST', '/api/tokens', { name: 'night shift', role: 'operator' })).body.token;
  });
  afterAll(async () => {
    await t.close();
  });

  it('is an OpenAPI 3.1 document that describes every route of the contract', () => {
    const doc = checker.doc as any;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m} ${path}`));
    for (const route of CONTRACT_ROUTES) expect(documented).toContain(route);
    const ids = documented.map((r) => { const [m, p] = r.split(' '); return doc.paths[p!][m!].operationId; });
    expect(new Set(ids).size).toBe(ids.length);
    // Every operation that takes input documents its 400; every /api operation with a role its 401 and 403.
    for (const [path, ops] of Object.entries(doc.paths) as [string, Record<string, any>][]) {
      for (const op of Object.values(ops)) {
        if (op['x-role']) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
        if (op.requestBody || op.parameters?.some((p: any) => p.in === 'query')) expect(Object.keys(op.responses)).toContain('400');
        if (op.requestBody) expect(Object.keys(op.responses)).toContain('413');
        expect(path.startsWith('/api/') || ['/healthz', '/readyz', '/metrics'].includes(path)).toBe(true);
      }
    }
  });

  it('serves every documented operation (none is only on paper)', async () => {
    const doc = checker.doc as any;
    for (const [path, ops] of Object.entries(doc.paths) as [string, Record<string, any>][]) {
      for (const method of Object.keys(ops)) {
        const r = await t.api(method.toUpperCase(), path.replace(/\{\w+\}/g, 'zz-none'), method === 'get' || method === 'delete' ? undefined : {}, viewer);
        expect([r.status, r.body?.error?.message]).not.toEqual([404, `no route ${method.toUpperCase()} ${path.replace(/\{\w+\}/g, 'zz-none')}`]);
      }
    }
  });

  it('answers devices, history, tokens, stats and dead letters as documented, errors included', async () => {
    await call('GET', '/healthz', undefined, null);
    await call('GET', '/readyz', undefined, null);
    await call('GET', '/api/catalog', undefined, viewer);
    expect((await call('GET', '/api/catalog', undefined, null)).status).toBe(401);
    const created = await call('POST', '/api/devices', { id: 'oa-gas-1', domain: 'safety', type: 'gas', district: 'Xixia', location: { lat: 38.5, lon: 106.1 } });
    expect(created.status).toBe(201);
    expect((await call('POST', '/api/devices', { id: 'oa-gas-1', domain: 'safety', type: 'gas' })).status).toBe(409);
    expect((await call('POST', '/api/devices', { id: 'oa-2', domain: 'safety', type: 'gas' }, viewer)).status).toBe(403);
    expect((await call('POST', '/api/devices', { id: 'oa 2', domain: 'safety', type: 'gas' })).status).toBe(400);
    expect((await call('POST', '/api/devices', { id: 'x', pad: 'x'.repeat(5 * 1024 * 1024) })).status).toBe(413);

    const c = await t.connect(created.body.credentials);
    const ts = Date.now() - 60_000;
    await c.publishAsync('city/safety/gas/oa-gas-1', JSON.stringify({ ts, seq: 1, values: { co: 4, ch4: 1 } }), { qos: 1 });
    await c.publishAsync('city/safety/gas/oa-gas-1', JSON.stringify({ co: 'x' }), { qos: 1 });
    await eventually(async () => (await t.app.parts.readings.count('oa-gas-1')) === 1, 'the reading');
    const one = await eventually(async () => {
      const r = await call('GET', '/api/devices/oa-gas-1', undefined, viewer);
      return r.body.lastSeen ? r : undefined;
    }, 'lastSeen');
    expect(one!.body).toMatchObject({ status: 'online', district: 'Xixia', clockSkewMs: expect.any(Number) });
    expect(one!.body.clockSkewMs).toBeLessThan(-50_000);
    expect((await call('GET', '/api/devices?domain=safety&status=online', undefined, viewer)).body.items.map((d: any) => d.id)).toContain('oa-gas-1');
    expect((await call('GET', '/api/devices?status=sleeping', undefined, viewer)).status).toBe(400);
    expect((await call('GET', '/api/devices/none', undefined, viewer)).status).toBe(404);
    const hist = await call('GET', '/api/devices/oa-gas-1/readings?metric=co&from=-1h', undefined, viewer);
    expect(hist.body.points).toEqual([{ t: new Date(ts).toISOString(), v: 4 }]);
    expect((await call('GET', '/api/devices/oa-gas-1/readings?metric=co&from=-1h&every=1m&agg=max', undefined, viewer)).body.points).toHaveLength(1);
    expect((await call('GET', '/api/devices/oa-gas-1/readings?metric=temp', undefined, viewer)).status).toBe(400);
    const tooMany = await call('GET', '/api/devices/oa-gas-1/readings?metric=co&from=-30d&every=1s&agg=mean', undefined, viewer);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/raise every or narrow/);
    expect((await call('GET', '/api/devices/oa-gas-1/readings?metric=co&from=yesterday', undefined, viewer)).status).toBe(400);
    expect((await call('GET', '/api/devices/none/readings?metric=co', undefined, viewer)).status).toBe(404);

    const stats = await call('GET', '/api/stats', undefined, viewer);
    expect(stats.body.readings.refused.wrong_type).toBeGreaterThanOrEqual(1);
    const letters = await call('GET', '/api/dead-letters?reason=wrong_type&limit=5');
    expect(letters.body.items[0]).toMatchObject({ deviceId: 'oa-gas-1', reason: 'wrong_type' });
    expect((await call('GET', '/api/dead-letters?reason=bogus')).status).toBe(400);
    expect((await call('GET', '/api/dead-letters', undefined, operator)).status).toBe(403);

    expect((await call('POST', '/api/devices/oa-gas-1/credentials')).status).toBe(200);
    expect((await call('POST', '/api/devices/none/credentials')).status).toBe(404);
    const tok = await call('POST', '/api/tokens', { name: 'kiosk', role: 'viewer' });
    expect((await call('POST', '/api/tokens', { name: 'kiosk', role: 'root' })).status).toBe(400);
    expect((await call('GET', '/api/tokens')).body.items.map((x: any) => x.name)).toContain('kiosk');
    expect((await call('DELETE', `/api/tokens/${tok.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/api/tokens/${tok.body.id}`)).status).toBe(404);
    expect((await call('DELETE', '/api/devices/oa-gas-1')).status).toBe(204);
    expect((await call('DELETE', '/api/devices/oa-gas-1')).status).toBe(404);
  });

  it('answers alerts, rules and silences as documented, errors included', async () => {
    const d = await t.device('safety', 'gas', { district: 'Helan' });
    const c = await t.connect(d);
    await c.publishAsync(d.topic, JSON.stringify({ co: 80 }), { qos: 1 });
    const fired = await eventually(async () => (await call('GET', `/api/alerts?deviceId=${d.id}&state=active`, undefined, viewer)).body.items[0], 'a CO alert');
    expect(fired).toMatchObject({ ruleName: expect.any(String), severity: 'critical', state: 'firing', deviceId: d.id });
    expect((await call('GET', `/api/alerts/${fired.id}`, undefined, viewer)).body.transitions[0].kind).toBe('fired');
    expect((await call('GET', '/api/alerts/999999', undefined, viewer)).status).toBe(404);
    expect((await call('GET', '/api/alerts?state=burning', undefined, viewer)).status).toBe(400);
    expect((await call('POST', `/api/alerts/${fired.id}/ack`, {}, viewer)).status).toBe(403);
    expect((await call('POST', `/api/alerts/${fired.id}/ack`, { note: 'x'.repeat(2 * 1024 * 1024) }, operator)).status).toBe(413);
    // The note is optional: ack and resolve take no body at all.
    const acked = await call('POST', `/api/alerts/${fired.id}/ack`, undefined, operator);
    expect(acked.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'night shift' });
    expect((await call('POST', `/api/alerts/${fired.id}/resolve`, undefined, operator)).body.state).toBe('resolved');

    const rules = await call('GET', '/api/rules', undefined, viewer);
    expect(rules.body.items.length).toBeGreaterThanOrEqual(13);
    const rule = { id: 'oa-ch4', name: 'methane high', match: { domain: 'safety', type: 'gas' }, metric: 'ch4', condition: { op: '>', value: 20 }, clear: { op: '<', value: 10 }, for: '30s', severity: 'critical' };
    expect((await call('POST', '/api/rules', rule)).status).toBe(201);
    expect((await call('POST', '/api/rules', rule)).status).toBe(409);
    expect((await call('POST', '/api/rules', rule, operator)).status).toBe(403);
    const badMetric = await call('POST', '/api/rules', { ...rule, id: 'oa-x', metric: 'heart_rate' });
    expect([badMetric.status, badMetric.body.error.message]).toEqual([400, expect.stringMatching(/metric/)]);
    expect((await call('POST', '/api/rules', { ...rule, id: 'oa-y', condition: { op: 'inside', low: 5, high: 1 } })).status).toBe(400);
    expect((await call('POST', '/api/rules', { ...rule, id: 'oa-z', for: 'soon' })).body.error.message).toMatch(/for/);
    expect((await call('GET', '/api/rules/oa-ch4', undefined, viewer)).body.for).toBe('30s');
    expect((await call('GET', '/api/rules/none', undefined, viewer)).status).toBe(404);
    expect((await call('PUT', '/api/rules/oa-ch4', { ...rule, for: '1m' })).body.for).toBe('1m');
    expect((await call('PUT', '/api/rules/none', rule)).status).toBe(404);
    expect((await call('DELETE', '/api/rules/oa-ch4')).status).toBe(204);
    expect((await call('DELETE', '/api/rules/oa-ch4')).status).toBe(404);

    const silence = await call('POST', '/api/silences', { match: { district: 'Helan' }, to: '+1h', reason: 'sensor maintenance' }, operator);
    expect(silence.status).toBe(201);
    expect((await call('POST', '/api/silences', { match: {}, to: '+1h', reason: 'x' }, operator)).status).toBe(400);
    expect((await call('POST', '/api/silences', { match: { district: 'Helan' }, to: '+1h', reason: 'x' }, viewer)).status).toBe(403);
    expect((await call('GET', '/api/silences', undefined, viewer)).body.items.map((s: any) => s.id)).toContain(silence.body.id);
    expect((await call('GET', `/api/silences/${silence.body.id}`, undefined, viewer)).body.active).toBe(true);
    expect((await call('DELETE', `/api/silences/${silence.body.id}`, undefined, operator)).status).toBe(204);
    expect((await call('DELETE', `/api/silences/${silence.body.id}`, undefined, operator)).status).toBe(404);
  });

  it('answers contact points, policies and deliveries as documented, errors included', async () => {
    const rx = await startReceiver();
    try {
      const hook = await call('POST', '/api/contact-points', { id: 'oa-hook', name: 'dispatch', kind: 'webhook', url: rx.url, format: 'slack' });
      expect(hook.status).toBe(201);
      expect(hook.body).toMatchObject({ kind: 'webhook', format: 'slack', secretSet: true, secret: expect.stringMatching(/^whsec_/) });
      const mail = await call('POST', '/api/contact-points', { id: 'oa-mail', name: 'duty desk', kind: 'email', to: ['duty@city.example'] });
      expect(mail.body).toMatchObject({ kind: 'email', to: ['duty@city.example'], disabled: false, disabledAt: null });
      expect((await call('POST', '/api/contact-points', { name: 'x', kind: 'webhook' })).status).toBe(400);
      expect((await call('POST', '/api/contact-points', { name: 'x', kind: 'email', to: ['a@b.example'] }, operator)).status).toBe(403);
      expect((await call('GET', '/api/contact-points', undefined, viewer)).body.items.map((c: any) => c.id)).toEqual(expect.arrayContaining(['oa-hook', 'oa-mail']));
      expect((await call('GET', '/api/contact-points/oa-hook', undefined, viewer)).body.secretSet).toBe(true);
      expect((await call('PUT', '/api/contact-points/oa-hook', { name: 'dispatch', kind: 'webhook', url: rx.url })).body.format).toBe('citysense');
      expect((await call('POST', '/api/contact-points/oa-hook/test')).body).toMatchObject({ delivered: true, transition: 'test', status: 'delivered' });

      const policy = await call('POST', '/api/notification-policies', {
        id: 'oa-policy', name: 'gas to dispatch', match: { type: 'gas', severity: ['critical'] }, contactPoints: ['oa-hook'],
        repeatEvery: '10m', escalate: { after: '15m', contactPoints: ['oa-mail'] },
      });
      expect(policy.status).toBe(201);
      expect(policy.body.on).toEqual(['fired', 'resolved']);
      expect((await call('POST', '/api/notification-policies', { name: 'x', contactPoints: ['none'] })).status).toBe(400);
      expect((await call('GET', '/api/notification-policies', undefined, viewer)).body.items.map((p: any) => p.id)).toContain('oa-policy');
      expect((await call('GET', '/api/notification-policies/oa-policy', undefined, viewer)).body.escalate).toEqual({ after: '15m', contactPoints: ['oa-mail'] });
      expect((await call('PUT', '/api/notification-policies/oa-policy', { name: 'gas to dispatch', match: { type: 'gas' }, contactPoints: ['oa-hook'], on: ['fired'] })).body.on).toEqual(['fired']);

      const d = await t.device('safety', 'gas');
      const c = await t.connect(d);
      await c.publishAsync(d.topic, JSON.stringify({ co: 80 }), { qos: 1 });
      const fired = await eventually(async () => (await call('GET', `/api/alerts?deviceId=${d.id}&state=active`, undefined, viewer)).body.items[0], 'a CO alert');
      const deliveries = await eventually(async () => {
        const r = await call('GET', `/api/alerts/${fired.id}/notifications`, undefined, viewer);
        return r.body.items.some((x: any) => x.status === 'delivered') ? r.body.items : undefined;
      }, 'the delivered notification');
      expect(deliveries[0]).toMatchObject({ contactPointId: 'oa-hook', kind: 'webhook', transition: 'fired' });
      expect((await call('GET', '/api/alerts/999999/notifications', undefined, viewer)).status).toBe(404);

      expect((await call('DELETE', '/api/contact-points/oa-hook')).status).toBe(409);
      expect((await call('DELETE', '/api/notification-policies/oa-policy')).status).toBe(204);
      expect((await call('DELETE', '/api/contact-points/oa-hook')).status).toBe(204);
      expect((await call('DELETE', '/api/contact-points/oa-mail')).status).toBe(204);
      expect((await call('GET', '/api/contact-points/oa-mail', undefined, viewer)).status).toBe(404);
    } finally {
      await rx.close();
    }
  }, 60_000);

  it('refuses or neutralises injection in every parameter that reaches a query, and the data stays', async () => {
    const d = await t.device('safety', 'flood');
    const c = await t.connect(d);
    await c.publishAsync(d.topic, JSON.stringify({ ts: Date.now() - 1000, values: { water_level: 42 } }), { qos: 1 });
    await eventually(async () => (await t.app.parts.readings.count(d.id)) === 1, 'the reading');
    const evil = ["x' OR '1'='1", 'a"; DROP TABLE reading_values; --', "'; DELETE FROM devices; --", '\\\'', '1) OR (1=1'];
    for (const e of evil) {
      const q = encodeURIComponent(e);
      for (const path of [
        `/api/devices/${q}/readings?metric=water_level`,
        `/api/devices/${d.id}/readings?metric=${q}`,
        `/api/devices/${d.id}/readings?metric=water_level&from=${q}`,
        `/api/devices/${d.id}/readings?metric=water_level&to=${q}`,
        `/api/devices/${d.id}/readings?metric=water_level&every=${q}&agg=mean`,
        `/api/devices/${d.id}/readings?metric=water_level&every=1m&agg=${q}`,
        `/api/devices/${d.id}/readings?metric=water_level&limit=${q}`,
        `/api/devices?domain=${q}`, `/api/devices?type=${q}`, `/api/devices?district=${q}`, `/api/devices?cursor=${q}`,
        `/api/alerts?domain=${q}`, `/api/alerts?deviceId=${q}`, `/api/alerts?cursor=${q}`, `/api/alerts?severity=${q}`,
        `/api/dead-letters?reason=${q}`, `/api/dead-letters?cursor=${q}`,
        `/api/devices/${q}`, `/api/rules/${q}`, `/api/silences/${q}`, `/api/alerts/${q}`,
      ]) {
        const r = await call('GET', path);
        expect([200, 400, 404]).toContain(r.status);
        if (r.status === 200 && Array.isArray(r.body.items)) expect(r.body.items).toEqual([]);
        if (r.status === 200 && Array.isArray(r.body.points)) expect(r.body.points).toEqual([]);
      }
    }
    const after = await call('GET', `/api/devices/${d.id}/readings?metric=water_level&from=-1h`, undefined, viewer);
    expect(after.body.points.map((p: any) => p.v)).toEqual([42]);
    expect((await call('GET', `/api/devices/${d.id}`, undefined, viewer)).status).toBe(200);
  });

  it('pages through 1,000 alerts returning each exactly once', async () => {
    const d = await t.device('safety', 'gas');
    const c: MqttClient = await t.connect(d);
    const start = Date.now() - 3_600_000;
    // 1,000 episodes of the CO rule (fires > 50, clears < 35, no `for`): breach, then clear, in event time.
    for (let i = 0; i < 1000; i++) {
      c.publish(d.topic, JSON.stringify({ ts: start + i * 2000, values: { co: 60 } }), { qos: 1 });
      c.publish(d.topic, JSON.stringify({ ts: start + i * 2000 + 1000, values: { co: 10 } }), { qos: 1 });
    }
    await eventually(async () => (await t.app.parts.readings.count(d.id)) === 2000, '2,000 readings', 30_000);
    await eventually(async () => (await t.api('GET', `/api/alerts?deviceId=${d.id}&state=resolved&limit=1000`, undefined, viewer)).body.items.length === 1000, '1,000 resolved alerts', 30_000);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await call('GET', `/api/alerts?deviceId=${d.id}&limit=37${cursor ? `&cursor=${cursor}` : ''}`, undefined, viewer);
      seen.push(...r.body.items.map((a: any) => a.id));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(pages).toBe(Math.ceil(1000 / 37));
  }, 90_000);
});

describe('history answers are the same from InfluxDB and SQLite', () => {
  let apps: TestApp[] = [];
  beforeAll(async () => {
    apps = [await startTestApp('sqlite'), await startTestApp('influxdb')];
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  it('for raw points and every aggregate', async () => {
    const base = Math.floor((Date.now() - 2 * 3_600_000) / 3_600_000) * 3_600_000; // an hour boundary, 1–2 h ago
    const readings = Array.from({ length: 120 }, (_, i) => ({ ts: base + i * 37_000 + (i % 7) * 1000, values: { temp: Math.round((20 + 5 * Math.sin(i / 9) + (i % 5) * 0.37) * 100) / 100 } }));
    const answers: unknown[][] = [];
    for (const t of apps) {
      const d = await t.device('safety', 'smoke');
      const c = await t.connect(d);
      for (const r of readings) await c.publishAsync(d.topic, JSON.stringify(r), { qos: 1 });
      await eventually(async () => (await t.app.parts.readings.count(d.id)) === readings.length, 'all readings');
      const from = new Date(base).toISOString();
      const to = new Date(base + 3 * 3_600_000).toISOString();
      const mine: unknown[] = [];
      mine.push((await t.api('GET', `/api/devices/${d.id}/readings?metric=temp&from=${from}&to=${to}&limit=50`)).body.points);
      for (const agg of ['mean', 'min', 'max', 'last', 'count', 'sum']) {
        for (const every of ['5m', '1h']) {
          const r = await t.api('GET', `/api/devices/${d.id}/readings?metric=temp&from=${from}&to=${to}&every=${every}&agg=${agg}`);
          expect(r.status).toBe(200);
          mine.push({ agg, every, points: (r.body.points as { t: string; v: number }[]).map((p) => ({ t: p.t, v: Math.round(p.v * 1e6) / 1e6 })) });
        }
      }
      answers.push(mine);
    }
    expect((answers[0]![0] as unknown[]).length).toBe(50);
    expect(answers[1]).toEqual(answers[0]);
  }, 60_000);
});

describe('the OpenAPI checker itself', () => {
  it('refuses a body that does not match and a status that is not documented', async () => {
    const t = await startTestApp('sqlite');
    try {
      const checker = new OpenApiChecker((await t.api('GET', '/api/openapi.json', undefined, null)).body);
      expect(() => checker.check('GET', '/api/stats', 200, { connectedDevices: 'many' })).toThrow(/does not match/);
      expect(() => checker.check('GET', '/api/devices/x', 200, { id: 'x', extra: true })).toThrow(/does not match/);
      expect(() => checker.check('GET', '/api/stats', 409, {})).toThrow(/not documented/);
      expect(() => checker.check('GET', '/api/nowhere', 200, {})).toThrow(/not in the OpenAPI document/);
    } finally {
      await t.close();
    }
  });
});
