import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Reading } from '../../src/core/index.js';
import { startTestApp, type TestApp } from '../fixtures/app.js';
import { readExport } from './read-export.js';

// The same export against InfluxDB (CITYSENSE_TEST_INFLUX_URL): paged by `scan` and `query` as with SQLite.
describe('history export from InfluxDB', () => {
  let t: TestApp;
  const ids: string[] = [];
  const PER_DEVICE = 8000;
  const T0 = Date.UTC(2026, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  const valueOf = (d: number, i: number) => 30 + ((i * 7 + d) % 900) / 10;
  let expectedSum = 0;

  beforeAll(async () => {
    t = await startTestApp('influxdb');
    for (let d = 0; d < 3; d++) ids.push((await t.device('safety', 'noise', { district: 'Xixia' })).id);
    ids.sort();
    for (const [d, id] of ids.entries()) {
      for (let i = 0; i < PER_DEVICE; i += 4000) {
        const batch: Reading[] = [];
        for (let k = i; k < i + 4000; k++) {
          batch.push({ deviceId: id, domain: 'safety', type: 'noise', ts: T0 + k * 1000, receivedAt: T0, values: { level: valueOf(d, k) } });
          expectedSum += valueOf(d, k);
        }
        await t.app.parts.readings.write(batch);
      }
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const url = (q: string) => `${t.httpUrl}/api/export/readings?from=${iso(T0)}&to=${iso(T0 + 86_400_000)}&district=Xixia&${q}`;

  for (const format of ['csv', 'ndjson'] as const) {
    it(`${format}: every reading once, in device and time order, the same values`, async () => {
      const r = await readExport(url(`format=${format}`), t.adminToken);
      expect(r.status).toBe(200);
      expect(r.complete).toBe(true);
      expect(r.count).toBe(3 * PER_DEVICE);
      expect(r.sum).toBeCloseTo(expectedSum, 3);
      const last = `${iso(T0 + (PER_DEVICE - 1) * 1000)},${ids[2]},safety,noise,Xixia,level,${valueOf(2, PER_DEVICE - 1)},dB`;
      if (format === 'csv') {
        expect(r.first).toBe(`${iso(T0)},${ids[0]},safety,noise,Xixia,level,${valueOf(0, 0)},dB`);
        expect(r.last).toBe(last);
      } else {
        expect(JSON.parse(r.first!)).toEqual({ ts: iso(T0), deviceId: ids[0], domain: 'safety', type: 'noise', district: 'Xixia', metric: 'level', value: valueOf(0, 0), unit: 'dB' });
        expect(JSON.parse(r.last!)).toMatchObject({ ts: iso(T0 + (PER_DEVICE - 1) * 1000), deviceId: ids[2], value: valueOf(2, PER_DEVICE - 1) });
      }
    }, 60_000);
  }

  it('buckets: every=1m agg=count adds up to every reading, a bucket per minute and device', async () => {
    const r = await readExport(url('every=1m&agg=count&format=ndjson'), t.adminToken, { keep: true });
    const rows = r.lines.map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3 * Math.ceil(PER_DEVICE / 60));
    expect(rows.reduce((s, x) => s + x.value, 0)).toBe(3 * PER_DEVICE);
    expect(rows[0]).toEqual({ ts: iso(T0), deviceId: ids[0], domain: 'safety', type: 'noise', district: 'Xixia', metric: 'level', value: 60, unit: 'dB' });
  }, 60_000);
});
