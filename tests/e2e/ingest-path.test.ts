import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { eventually, startTestApp, type StoreKind, type TestApp } from '../fixtures/app.js';

const exec = promisify(execFile);

describe.each<StoreKind>(['sqlite', 'influxdb'])('the ingestion path with %s', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(store);
  });
  afterAll(async () => {
    await t.close();
  });

  const count = (deviceId: string) => t.app.parts.readings.count(deviceId);
  const history = async (deviceId: string, metric: string) =>
    (await t.api('GET', `/api/devices/${deviceId}/readings?metric=${metric}&from=-1d&to=now`)).body.points as { t: string; v: number }[];

  it('stores a QoS 1 reading and answers it from history', async () => {
    const d = await t.device('healthcare', 'wearable');
    const c = await t.connect(d);
    const ts = Date.now() - 1000;
    await c.publishAsync(d.topic, JSON.stringify({ ts, seq: 1, values: { heart_rate: 72, spo2: 97 } }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 1, 'the reading to be stored');
    expect(await history(d.id, 'heart_rate')).toEqual([{ t: new Date(ts).toISOString(), v: 72 }]);
    const device = await eventually(async () => {
      const r = await t.api('GET', `/api/devices/${d.id}`);
      return r.body.lastSeen ? r.body : undefined;
    }, 'lastSeen');
    expect(device.status).toBe('online');
    expect(device.latest.spo2.v).toBe(97);
  });

  it('accepts each payload form: flat, timestamped, array and SenML', async () => {
    const d = await t.device('safety', 'gas');
    const c = await t.connect(d);
    const now = Date.now();
    const t1 = now - 60_000, t2 = now - 50_000, t3 = now - 40_000;
    await c.publishAsync(d.topic, JSON.stringify({ co: 5, ch4: 1 }), { qos: 1 });
    await c.publishAsync(d.topic, JSON.stringify({ ts: new Date(t1).toISOString(), values: { co: 6 } }), { qos: 1 });
    await c.publishAsync(d.topic, JSON.stringify([{ ts: t2, values: { co: 7 } }, { ts: t2 + 1000, values: { co: 8 } }]), { qos: 1 });
    await c.publishAsync(d.topic, JSON.stringify([{ bn: `${d.id}/`, bt: t3 / 1000, n: 'co', u: 'ppm', v: 9 }, { n: 'ch4', u: '%LEL', v: 2, t: 1 }]), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 6, 'six readings');
    const co = await history(d.id, 'co');
    expect(co.map((p) => p.v)).toEqual([6, 7, 8, 9, 5]);
    expect(co[0]!.t).toBe(new Date(t1).toISOString());
    expect((await history(d.id, 'ch4')).map((p) => p.v)).toEqual([2, 1]);
  });

  const refusals: [string, string | Buffer, string][] = [
    ['malformed_json', '{"co": 5', 'not JSON'],
    ['unknown_metric', JSON.stringify({ pressure: 3 }), 'a metric the type has not'],
    ['out_of_range', JSON.stringify({ co: 2001 }), 'a value outside its range'],
    ['wrong_type', JSON.stringify({ co: 'high' }), 'a string for a number'],
    ['bad_unit', JSON.stringify([{ n: 'co', u: 'Cel', v: 5 }]), 'a unit that is not the catalog’s'],
    ['bad_timestamp', JSON.stringify({ ts: Date.now() + 3_600_000, values: { co: 5 } }), 'a timestamp an hour ahead'],
    ['bad_timestamp', JSON.stringify({ ts: Date.now() - 8 * 86_400_000, values: { co: 5 } }), 'a timestamp 8 days old'],
    ['too_large', JSON.stringify({ co: 5, pad: 'x'.repeat(70 * 1024) }), 'a 70 KiB payload'],
  ];
  it.each(refusals)('refuses %s (%#): %s — dead letter, nothing stored', async (reason, payload, _what) => {
    const d = await t.device('safety', 'gas');
    const c = await t.connect(d);
    const before = (await t.api('GET', '/api/stats')).body.readings.refused[reason] ?? 0;
    await c.publishAsync(d.topic, payload, { qos: 1 });
    const letters = await eventually(async () => {
      const r = await t.api('GET', `/api/dead-letters?reason=${reason}&limit=1000`);
      return r.body.items.filter((l: { deviceId: string }) => l.deviceId === d.id);
    }, `a ${reason} dead letter`);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason, topic: d.topic, deviceId: d.id });
    expect(letters[0].payload.length).toBeLessThanOrEqual(1024);
    expect((await t.api('GET', '/api/stats')).body.readings.refused[reason]).toBe(before + 1);
    // A valid reading after it is stored, and the refused one never is.
    await c.publishAsync(d.topic, JSON.stringify({ co: 1 }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 1, 'the valid reading');
    expect(await count(d.id)).toBe(1);
  });

  it('drops a duplicate (device, seq) that a QoS 1 resend creates', async () => {
    const d = await t.device('safety', 'flood');
    const c = await t.connect(d);
    const msg = JSON.stringify({ ts: Date.now() - 5000, seq: 41, values: { water_level: 12 } });
    await c.publishAsync(d.topic, msg, { qos: 1 });
    await c.publishAsync(d.topic, msg, { qos: 1 });
    await c.publishAsync(d.topic, JSON.stringify({ ts: Date.now() - 4000, seq: 42, values: { water_level: 13 } }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 2, 'two readings');
    const dup = await t.api('GET', '/api/dead-letters?reason=duplicate');
    expect(dup.body.items.some((l: { deviceId: string }) => l.deviceId === d.id)).toBe(true);
  });

  it('keeps a resend\'s new readings: only the seqs already received are dropped (and dead-lettered)', async () => {
    const d = await t.device('safety', 'noise');
    const c = await t.connect(d);
    const t0 = Date.now() - 10_000;
    await c.publishAsync(d.topic, JSON.stringify([{ ts: t0, seq: 200, values: { level: 60 } }, { ts: t0 + 1000, seq: 201, values: { level: 61 } }]), { qos: 1 });
    await c.publishAsync(d.topic, JSON.stringify([{ ts: t0 + 1000, seq: 201, values: { level: 61 } }, { ts: t0 + 2000, seq: 202, values: { level: 62 } }]), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 3, 'three readings');
    expect((await history(d.id, 'level')).map((p) => p.v)).toEqual([60, 61, 62]);
    const letters = (await t.api('GET', '/api/dead-letters?reason=duplicate')).body.items.filter((l: { deviceId: string }) => l.deviceId === d.id);
    expect(letters).toHaveLength(1);
    expect(letters[0].detail).toMatch(/seq 201 was already received.*other 1 kept/);
  });

  it('stores every flat reading of a burst from one device, though many arrive in the same millisecond', async () => {
    const d = await t.device('safety', 'noise');
    const c = await t.connect(d);
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => c.publishAsync(d.topic, JSON.stringify({ level: 30 + (i % 100) }), { qos: 1 })));
    await eventually(async () => (await count(d.id)) === n, `${n} readings`);
    // Spread 1 ms apart from the first one's receive time: the last may lie a little ahead of the clock.
    const to = new Date(Date.now() + 60_000).toISOString();
    const points = (await t.api('GET', `/api/devices/${d.id}/readings?metric=level&from=-1h&to=${to}`)).body.points as { t: string; v: number }[];
    expect(points).toHaveLength(n);
    expect(points.map((p) => p.v)).toEqual(Array.from({ length: n }, (_, i) => 30 + (i % 100)));
    // Receive times, not the device's clock: they say nothing about its skew.
    expect((await t.api('GET', `/api/devices/${d.id}`)).body.clockSkewMs).toBeNull();
  });

  it('gives the oldest `limit` raw points (1000 by default) or every bucket, and says when it cut the answer', async () => {
    const d = await t.device('safety', 'noise');
    const c = await t.connect(d);
    const minute = 60_000;
    const start = Math.floor(Date.now() / minute) * minute - 1500 * minute;
    for (let m = 0; m < 3; m++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ ts: start + (m * 500 + i) * minute, values: { level: 30 + ((m * 500 + i) % 90) } }));
      await c.publishAsync(d.topic, JSON.stringify(batch), { qos: 1 });
    }
    await eventually(async () => (await count(d.id)) === 1500, '1500 readings');
    const get = async (params: string) => (await t.api('GET', `/api/devices/${d.id}/readings?metric=level&from=-2d&${params}`)).body;
    const raw = await get('');
    expect(raw.points).toHaveLength(1000);
    expect(raw.points[0]).toEqual({ t: new Date(start).toISOString(), v: 30 });
    expect(raw.truncated).toBe(true);
    expect(await get('limit=1500')).toEqual(expect.not.objectContaining({ truncated: expect.anything() }));
    const buckets = await get('every=1m&agg=count');
    expect(buckets.points).toHaveLength(1500);
    expect(buckets.truncated).toBeUndefined();
    const cut = await get('every=1m&agg=count&limit=100');
    expect(cut.points).toHaveLength(100);
    expect(cut.truncated).toBe(true);
  });

  it('starts a device registered again under a deleted id afresh: its seqs and clock skew are its own', async () => {
    const d = await t.device('safety', 'flood');
    const c = await t.connect(d);
    const old = Date.now() - 600_000;
    await c.publishAsync(d.topic, JSON.stringify({ ts: old, seq: 1, values: { water_level: 10 } }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 1, 'the first device\'s reading');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    expect((await t.api('DELETE', `/api/devices/${d.id}`)).status).toBe(204);
    await closed;

    const again = await t.api('POST', '/api/devices', { id: d.id, domain: 'safety', type: 'flood' });
    expect(again.status).toBe(201);
    expect((await t.api('GET', `/api/devices/${d.id}`)).body.clockSkewMs).toBeNull();
    const c2 = await t.connect(again.body.credentials);
    const ts = Date.now() - 1000;
    await c2.publishAsync(d.topic, JSON.stringify({ ts, seq: 1, values: { water_level: 11 } }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 2, 'the new device\'s seq 1, not a duplicate');
    const letters = (await t.api('GET', '/api/dead-letters?reason=duplicate')).body.items.filter((l: { deviceId: string }) => l.deviceId === d.id);
    expect(letters).toEqual([]);
  });

  it('refuses a wrong password, no password, and a deleted device', async () => {
    const d = await t.device('transport', 'parking');
    await expect(t.connect({ username: d.username, password: 'wrong' })).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(mqtt.connectAsync(t.mqttUrl, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username/i);
    const c = await t.connect(d);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    expect((await t.api('DELETE', `/api/devices/${d.id}`)).status).toBe(204);
    await closed;
    await expect(t.connect(d)).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it('rotating a secret disconnects the device and the old secret stops working', async () => {
    const d = await t.device('transport', 'bus');
    const c = await t.connect(d);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const r = await t.api('POST', `/api/devices/${d.id}/credentials`);
    expect(r.status).toBe(200);
    await closed;
    await expect(t.connect(d)).rejects.toThrow(/Bad username or password/i);
    const c2 = await t.connect({ username: d.id, password: r.body.credentials.password });
    await c2.publishAsync(d.topic, JSON.stringify({ passengers: 10 }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 1, 'a reading under the new secret');
  });

  it("dead-letters a publish to another device's topic and stores nothing", async () => {
    const a = await t.device('safety', 'smoke');
    const b = await t.device('safety', 'smoke');
    const c = await t.connect(a);
    await c.publishAsync(b.topic, JSON.stringify({ obscuration: 50 }), { qos: 1 });
    const letter = await eventually(async () => {
      const r = await t.api('GET', '/api/dead-letters?reason=not_authorized');
      return r.body.items.find((l: { topic: string }) => l.topic === b.topic);
    }, 'a not_authorized dead letter');
    expect(letter.deviceId).toBe(a.id);
    expect(await count(b.id)).toBe(0);
    expect(await count(a.id)).toBe(0);
  });

  it('closes a connection whose packet announces more than the maximum size', async () => {
    const socket = netConnect(Number(new URL(t.mqttUrl).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // PUBLISH with a remaining length of 100 MB (varint 0x80 0xDA 0xC4 0x09... ), only the header is sent.
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x30]));
    await closed;
  });

  it('takes MQTT over WebSocket at /mqtt', async () => {
    const d = await t.device('safety', 'noise');
    const c = await mqtt.connectAsync(t.wsUrl, { username: d.username, password: d.password, reconnectPeriod: 0 });
    await c.publishAsync(d.topic, JSON.stringify({ level: 55 }), { qos: 1 });
    await eventually(async () => (await count(d.id)) === 1, 'a reading over WebSocket');
    await c.endAsync();
  });

  it('takes a QoS 1 reading from mosquitto_pub, a client nobody here wrote', async () => {
    const d = await t.device('safety', 'air');
    const port = new URL(t.mqttUrl).port;
    await exec('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-q', '1', '-i', `mp-${d.id}`.slice(0, 60),
      '-u', d.username, '-P', d.password, '-t', d.topic, '-m', JSON.stringify({ pm25: 12, pm10: 30, no2: 20 })]);
    await eventually(async () => (await count(d.id)) === 1, 'the mosquitto_pub reading');
  });
});
