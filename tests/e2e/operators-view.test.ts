// What an operator sees of a running citysense (issue 15): its log lines at info, read from a real process's
// output, and the /metrics that say what is slow. Nothing per message at info; alert transitions, refusal
// summaries, authentication failures and lockouts are there, rate-limited where a flood could make them many.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import { startChildApp, type ChildApp } from '../fixtures/child-app.js';
import { eventually } from '../fixtures/app.js';

type Line = { level: number; msg: string; [k: string]: any };

describe('the operators view of a running citysense', () => {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-ops-'));
  const token = randomBytes(20).toString('hex');
  let app: ChildApp;
  let client: MqttClient;
  let device: { id: string; password: string; topic: string };
  const logs = () => app.lines.filter((l): l is Line => typeof l === 'object' && l !== null);
  const info = () => logs().filter((l) => l.level === 30);
  const api = async (method: string, path: string, body?: unknown, bearer: string | null = token) => {
    const res = await fetch(app.httpUrl + path, {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const text = (await api('GET', '/metrics', undefined, null)).body as string;
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  };

  beforeAll(async () => {
    app = await startChildApp({ DATA_DIR: dir, ADMIN_TOKEN: token, LOG_LEVEL: 'debug' });
    const id = `gas-ops-${process.pid}`;
    const res = await api('POST', '/api/devices', { id, domain: 'safety', type: 'gas', district: 'Xingqing' });
    expect(res.status).toBe(201);
    device = { id, password: res.body.credentials.password, topic: `city/safety/gas/${id}` };
    client = await mqtt.connectAsync(app.mqttUrl, { username: id, password: device.password, clientId: 'aedes-knows-me-as-this', reconnectPeriod: 0 });
  }, 60_000);
  afterAll(async () => {
    await client?.endAsync(true).catch(() => undefined);
    if (app && app.proc.exitCode === null) app.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the console's URL in `citysense started`, and the device in `MQTT client connected` (debug)", async () => {
    const started = info().find((l) => l.msg === 'citysense started')!;
    expect(started.consoleUrl).toBe(`${app.httpUrl}/`);
    const connected = await eventually(() => logs().find((l) => l.msg === 'MQTT client connected' && l.clientId === 'aedes-knows-me-as-this'), 'the connected line');
    expect(connected).toMatchObject({ level: 20, deviceId: device.id });
  });

  it('logs every alert transition at info: rule, device, district, value, by whom', async () => {
    await client.publishAsync(device.topic, JSON.stringify({ co: 80 }), { qos: 1 });
    const fired = (await eventually(() => info().find((l) => l.msg === 'alert fired' && l.deviceId === device.id), 'alert fired'))!;
    expect(fired).toMatchObject({ rule: 'carbon monoxide', ruleId: 'carbon-monoxide', district: 'Xingqing', value: 80, severity: 'critical', by: 'system' });
    expect((await api('POST', `/api/alerts/${fired.alertId}/ack`, { note: 'on it' })).status).toBe(200);
    const acked = await eventually(() => info().find((l) => l.msg === 'alert acknowledged' && l.alertId === fired.alertId), 'alert acknowledged');
    expect(acked).toMatchObject({ rule: 'carbon monoxide', deviceId: device.id, district: 'Xingqing', by: 'ADMIN_TOKEN' });
    await client.publishAsync(device.topic, JSON.stringify({ co: 10 }), { qos: 1 });
    const resolved = await eventually(() => info().find((l) => l.msg === 'alert resolved' && l.alertId === fired.alertId), 'alert resolved');
    expect(resolved).toMatchObject({ rule: 'carbon monoxide', deviceId: device.id, district: 'Xingqing', value: 10, by: 'system' });
    expect(await metric('citysense_alert_transition_seconds_count')).toBeGreaterThanOrEqual(2); // fired and resolved by readings
  });

  it('logs failed REST and Socket.IO authentications rate-limited with the address, and the lockout once; a valid token passes', async () => {
    const socket = io(app.httpUrl, { auth: { token: 'wrong-socket' }, transports: ['websocket'], reconnection: false, forceNew: true });
    const refusal = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.disconnect();
    expect(refusal.message).toBe('unauthorized');
    for (let i = 0; i < 35; i++) expect((await api('GET', '/api/stats', undefined, `wrong-${i}`)).status).toBe(i < 29 ? 401 : 429);
    expect((await api('GET', '/api/stats')).status).toBe(200);
    const failed = info().filter((l) => l.msg.startsWith('authentication failed'));
    expect(failed).toEqual([
      expect.objectContaining({ transport: 'socketio', address: expect.stringContaining('127.0.0.1'), reason: 'bad_token' }),
      expect.objectContaining({ transport: 'rest', address: expect.stringContaining('127.0.0.1'), reason: 'bad_token' }),
    ]);
    const locked = info().filter((l) => l.msg.startsWith('address locked out'));
    expect(locked).toEqual([expect.objectContaining({ transport: 'rest', address: expect.stringContaining('127.0.0.1') })]);
    expect(await metric('citysense_auth_failures_total', { transport: 'socketio', reason: 'bad_token' })).toBe(1);
    expect(await metric('citysense_auth_failures_total', { transport: 'rest', reason: 'bad_token' })).toBe(29);
    expect(await metric('citysense_auth_failures_total', { transport: 'rest', reason: 'rate_limited' })).toBe(6);
    expect(await metric('citysense_auth_lockouts_total', { transport: 'rest' })).toBe(1);

    await expect(mqtt.connectAsync(app.mqttUrl, { username: device.id, password: 'not-it', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    await eventually(async () => (await metric('citysense_auth_failures_total', { transport: 'mqtt', reason: 'wrong_secret' })) === 1, 'the MQTT failure counted');
  });

  it('logs the lockout of an address after 30 failed MQTT logins once, and counts what it refuses', async () => {
    // With the previous test's failure, the 29th here is the address's 30th: it locks the address out, and the
    // 30th here, failing while locked out, is answered at once with CONNACK 3 (counted as rate_limited).
    const wrong = Array.from({ length: 30 }, () => mqtt.connectAsync(app.mqttUrl, { username: device.id, password: 'not-it', reconnectPeriod: 0 }).then(() => 0, (e: { code?: number }) => e.code));
    expect((await Promise.all(wrong)).sort()).toEqual([3, ...Array<number>(29).fill(4)]);
    await expect(mqtt.connectAsync(app.mqttUrl, { username: 'someone-new', password: 'x', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 3 });
    const locked = info().filter((l) => l.msg.startsWith('address locked out') && l.transport === 'mqtt');
    expect(locked).toEqual([expect.objectContaining({ address: expect.stringContaining('127.0.0.1'), reason: 'wrong_secret' })]);
    expect(await metric('citysense_auth_lockouts_total', { transport: 'mqtt' })).toBe(1);
    expect(await metric('citysense_auth_failures_total', { transport: 'mqtt', reason: 'wrong_secret' })).toBe(30);
    await eventually(async () => (await metric('citysense_auth_failures_total', { transport: 'mqtt', reason: 'rate_limited' })) === 2, 'the throttled logins counted');
    // The device's secret is a keyed hash: its good login is checked (microseconds) and gets in while the address is locked out.
    const again = await mqtt.connectAsync(app.mqttUrl, { username: device.id, password: device.password, reconnectPeriod: 0 });
    await again.endAsync();
  }, 60_000);

  it('has request durations by route pattern and status, and publish → PUBACK times', async () => {
    expect((await api('GET', `/api/devices/${device.id}`)).status).toBe(200);
    expect((await api('GET', '/api/devices/no-such-device')).status).toBe(404);
    expect(await metric('citysense_http_request_duration_seconds_count', { method: 'GET', route: '/api/devices/{id}', status: '200' })).toBe(1);
    expect(await metric('citysense_http_request_duration_seconds_count', { method: 'GET', route: '/api/devices/{id}', status: '404' })).toBe(1);
    expect(await metric('citysense_http_request_duration_seconds_count', { route: '/api/stats', status: '401' })).toBe(29);
    expect(await metric('citysense_http_request_duration_seconds_count', { route: 'unmatched', status: '429' })).toBe(6);
    const text = (await api('GET', '/metrics', undefined, null)).body as string;
    expect(text).not.toContain(`/api/devices/${device.id}`); // a pattern, never the raw path
    expect(await metric('citysense_mqtt_publish_ack_seconds_count')).toBeGreaterThanOrEqual(2);
  });

  it('summarises refusals per reason and top devices, never a line per message; the last minute at stop', async () => {
    const from = info().length;
    for (let i = 0; i < 40; i++) await client.publishAsync(device.topic, 'not json', { qos: 1 });
    for (let i = 0; i < 5; i++) await client.publishAsync(device.topic, JSON.stringify({ co: 1e9 }), { qos: 1 });
    const before = info().length;
    await client.endAsync();
    app.proc.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const summaries = info().filter((l) => l.msg === 'messages refused (summary)');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      total: 45, refused: { malformed_json: 40, out_of_range: 5 },
      topDevices: [{ deviceId: device.id, refused: 45, reasons: { malformed_json: 40, out_of_range: 5 } }],
    });
    // No refusal, publish or connection line at info per message: the 45 refusals added only the summary.
    const perMessage = info().slice(from, before).filter((l) => /refused|publish/i.test(l.msg));
    expect(perMessage).toEqual([]);
  });
});
