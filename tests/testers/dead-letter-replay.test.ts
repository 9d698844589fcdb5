import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type StoreKind, type TestApp } from '../fixtures/app.js';

// A fleet of beacons whose catalog type lacks `rssi`: every reading is dead-lettered as unknown_metric. With the
// catalog extended and the app restarted on the same data, a replay stores them all once; a second stores nothing.
describe.each<StoreKind>(['sqlite', 'influxdb'])('dead-letter replay after a catalog fix (%s)', (store) => {
  let dir: string;
  let t: TestApp | undefined;
  const catalogFile = (metrics: Record<string, unknown>) => {
    const file = join(dir, `catalog-${Object.keys(metrics).length}.json`);
    writeFileSync(file, JSON.stringify({ mode: 'extend', types: [{ domain: 'safety', type: 'beacon', interval: '10s', metrics }] }));
    return file;
  };
  const battery = { battery: { unit: '%', min: 0, max: 100 } };
  const withRssi = { ...battery, rssi: { unit: 'dB', min: -120, max: 0 } };
  const T0 = Date.now() - 600_000;
  const sent: { id: string; ts: number[] }[] = [];
  // Both runs write to one database (the fixture would name a new one per start).
  const bucket = { INFLUX_BUCKET: `replay_${process.pid}_${Date.now().toString(36)}` };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-replay-'));
    const data = join(dir, 'data');
    t = await startTestApp(store, { CATALOG_FILE: catalogFile(battery), ...bucket }, data);
    for (let d = 0; d < 3; d++) {
      const s = await t.sensor('safety', 'beacon', { district: 'Jinfeng' });
      const ts: number[] = [];
      for (let i = 0; i < 4; i++) {
        ts.push(T0 + i * 10_000);
        await s.send({ battery: 90 - i, rssi: -60 - d }, T0 + i * 10_000);
      }
      // A SenML batch over 1 KiB: kept whole in the dead letter, so it replays.
      const batch = Array.from({ length: 30 }, (_, i) => ({ ...(i === 0 ? { bn: `${s.id}/`, bt: (T0 + 100_000) / 1000 } : {}), n: i % 2 ? 'rssi' : 'battery', u: i % 2 ? 'dB' : '%', v: i % 2 ? -70 : 80, t: Math.floor(i / 2) }));
      expect(JSON.stringify(batch).length).toBeGreaterThan(1024);
      await s.client.publishAsync(s.topic, JSON.stringify(batch), { qos: 1 });
      for (let i = 0; i < 15; i++) ts.push(T0 + 100_000 + i * 1000);
      sent.push({ id: s.id, ts });
    }
    const letters = await eventually(async () => {
      const r = (await t!.api('GET', '/api/dead-letters?reason=unknown_metric&limit=100')).body.items;
      return r.length === 15 ? r : undefined;
    }, '15 unknown_metric dead letters');
    expect(letters.every((l: { detail: string }) => /rssi/.test(l.detail))).toBe(true);
    await t.close();
    t = undefined;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every refused reading once, at its own timestamp; a second replay stores nothing more', async () => {
    t = await startTestApp(store, { CATALOG_FILE: catalogFile(withRssi), ...bucket }, join(dir, 'data'));
    const live = await t.live();
    const r1 = await t.api('POST', '/api/dead-letters/replay', { reason: 'unknown_metric' });
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ replayed: 15, readings: 3 * 19, stillRefused: {} });
    expect((await t.api('GET', '/api/dead-letters?limit=100')).body.items).toEqual([]);
    for (const { id, ts } of sent) {
      const points = await eventually(async () => {
        const p = (await t!.api('GET', `/api/devices/${id}/readings?metric=rssi&from=${new Date(T0 - 1000).toISOString()}`)).body.points;
        return p.length === ts.length ? p : undefined;
      }, `the replayed readings of ${id}`);
      expect(points.map((p: { t: string }) => Date.parse(p.t))).toEqual(ts);
    }
    const r2 = await t.api('POST', '/api/dead-letters/replay', {});
    expect(r2.body).toEqual({ replayed: 0, readings: 0, stillRefused: {} });
    const stats = (await t.api('GET', '/api/stats')).body;
    expect(stats.readings.accepted).toBe(3 * 19);
    // Late data for the alert engine: no alert, nothing pushed but readings of watched devices (none watched).
    expect(live.events.filter((e) => e.event.startsWith('alert:'))).toEqual([]);
  }, 60_000);

  it('leaves what still fails with its new reason, and names bad input', async () => {
    const s = await t!.sensor('safety', 'beacon');
    await s.send({ battery: 50, rssi: -40, noise: 3 });
    await s.send({ battery: 50, rssi: 10 });
    await eventually(async () => (await t!.api('GET', '/api/dead-letters?limit=100')).body.items.length === 2, 'two new dead letters');
    const r = await t!.api('POST', '/api/dead-letters/replay', { deviceId: s.id });
    expect(r.body).toEqual({ replayed: 0, readings: 0, stillRefused: { unknown_metric: 1, out_of_range: 1 } });
    expect((await t!.api('GET', '/api/dead-letters?limit=100')).body.items).toHaveLength(2);
    const bad = await t!.api('POST', '/api/dead-letters/replay', { reason: 'nonsense' });
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringMatching(/reason/)]);
    const badTime = await t!.api('POST', '/api/dead-letters/replay', { from: 'yesterday' });
    expect([badTime.status, badTime.body.error.message]).toEqual([400, expect.stringMatching(/from/)]);
    const viewer = (await t!.api('POST', '/api/tokens', { name: 'v', role: 'viewer' })).body.token;
    expect((await t!.api('POST', '/api/dead-letters/replay', {}, viewer)).status).toBe(403);
  });
});
