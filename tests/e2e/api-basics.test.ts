import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect as netConnect } from 'node:net';
import { startTestApp, type TestApp } from '../fixtures/app.js';

describe('registry, tokens and operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves /healthz, /readyz and Prometheus /metrics without a token', async () => {
    expect((await t.api('GET', '/healthz', undefined, null)).status).toBe(200);
    const ready = await t.api('GET', '/readyz', undefined, null);
    expect(ready.status).toBe(200);
    const metrics = await t.api('GET', '/metrics', undefined, null);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/citysense_mqtt_connections/);
    expect(metrics.body).toMatch(/citysense_messages_refused_total/);
  });

  it('answers 401 without a token and 403 for too low a role', async () => {
    expect((await t.api('GET', '/api/catalog', undefined, null)).status).toBe(401);
    expect((await t.api('GET', '/api/catalog', undefined, 'nonsense')).body.error.code).toBe('unauthorized');
    const viewer = await t.api('POST', '/api/tokens', { name: 'wall screen', role: 'viewer' });
    expect(viewer.status).toBe(201);
    expect(viewer.body.token).toEqual(expect.any(String));
    expect((await t.api('GET', '/api/catalog', undefined, viewer.body.token)).status).toBe(200);
    const denied = await t.api('POST', '/api/devices', { id: 'x1', domain: 'safety', type: 'gas' }, viewer.body.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect((await t.api('DELETE', `/api/tokens/${viewer.body.id}`)).status).toBe(204);
    expect((await t.api('GET', '/api/catalog', undefined, viewer.body.token)).status).toBe(401);
  });

  it('registers a device and shows the password only once', async () => {
    const r = await t.api('POST', '/api/devices', { id: 'fridge-7', domain: 'healthcare', type: 'cold_chain', district: 'Jinfeng', location: { lat: 38.47, lon: 106.23 } });
    expect(r.status).toBe(201);
    expect(r.body.credentials).toEqual({ username: 'fridge-7', password: expect.any(String) });
    const got = await t.api('GET', '/api/devices/fridge-7');
    expect(got.body).toMatchObject({ id: 'fridge-7', district: 'Jinfeng', status: 'offline', lastSeen: null });
    expect(JSON.stringify(got.body)).not.toContain(r.body.credentials.password);
    expect((await t.api('POST', '/api/devices', { id: 'fridge-7', domain: 'healthcare', type: 'cold_chain' })).status).toBe(409);
  });

  it.each([
    [{ id: 'bad/id', domain: 'safety', type: 'gas' }, /id/],
    [{ id: '.', domain: 'safety', type: 'gas' }, /^body id: must not be '\.' or '\.\.'/],
    [{ id: '..', domain: 'safety', type: 'gas' }, /^body id: must not be '\.' or '\.\.'/],
    [{ domain: 'safety', type: 'gas' }, /^body id: required \(must be 1–64 of/],
    [{ id: 'ok', domain: 'safety', type: 'toaster' }, /catalog/],
    [{ id: 'ok', domain: 'safety' }, /type/],
    [{ id: 'ok', domain: 'safety', type: 'gas', location: { lat: 91, lon: 0 } }, /location.lat/],
  ])('refuses a bad registration %j with a 400 that names the field', async (input, field) => {
    const r = await t.api('POST', '/api/devices', input);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(field);
  });

  it('answers a missing or non-numeric query parameter with a 400 that names it and what it takes', async () => {
    expect((await t.api('POST', '/api/devices', { id: 'gas-q1', domain: 'safety', type: 'gas' })).status).toBe(201);
    const noMetric = await t.api('GET', '/api/devices/gas-q1/readings?from=-1h');
    expect(noMetric.status).toBe(400);
    expect(noMetric.body.error).toMatchObject({ code: 'bad_request', message: 'query metric: required (must be a catalog metric name)' });
    const badLimit = await t.api('GET', '/api/devices?limit=many');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toBe('query limit: must be a number');
    const noMatch = await t.api('POST', '/api/silences', { to: '+1h', reason: 'works' });
    expect(noMatch.status).toBe(400);
    expect(noMatch.body.error.message).toBe('body match: required (an object)');
  });

  it('answers 404 for an unknown device and route, 413 for a 5 MB body, 400 for bad JSON', async () => {
    expect((await t.api('GET', '/api/devices/nope')).status).toBe(404);
    expect((await t.api('GET', '/api/nothing-here')).status).toBe(404);
    const big = await t.api('POST', '/api/devices', JSON.stringify({ id: 'x', pad: 'x'.repeat(5 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect((await t.api('POST', '/api/devices', '{"id":')).status).toBe(400);
  });

  it('answers and closes an HTTP upgrade for any path but /mqtt and Socket.IO (it hung open)', async () => {
    const { port } = new URL(t.httpUrl);
    for (const path of ['/nothing', '/api/whoami']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = netConnect(Number(port), '127.0.0.1', () => {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
        });
        let got = '';
        const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer for ${path} within 2 s`)); }, 2000);
        socket.on('data', (d) => (got += d.toString()));
        socket.on('close', () => { clearTimeout(timer); resolve(got); });
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
  });

  it('throttles repeated authentication failures with 429', async () => {
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await t.api('GET', '/api/stats', undefined, `wrong-${i}`)).status;
    expect(status).toBe(429);
  });
});
