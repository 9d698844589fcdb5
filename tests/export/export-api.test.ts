import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Reading } from '../../src/core/index.js';
import { exportRowSchema } from '../../src/dashboard-api/index.js';
import { startTestApp, uniqueId, type TestApp } from '../fixtures/app.js';
import { readExport } from './read-export.js';

// GET /api/export/readings (docs/contract.md 13): rows, formats, filters and refusals, against real SQLite.
describe('history export', () => {
  let t: TestApp;
  let viewer: string;
  const T0 = Date.UTC(2026, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  const ids = { a: '', b: '', fridge: '' };
  const reading = (deviceId: string, domain: string, type: string, ts: number, values: Reading['values']): Reading =>
    ({ deviceId, domain, type, ts, receivedAt: ts, values });

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    ids.a = (await t.device('safety', 'gas', { district: 'Xixia' })).id;
    ids.b = (await t.device('safety', 'gas', { district: 'Xi, "old" town' })).id;
    ids.fridge = (await t.device('healthcare', 'cold_chain', { district: 'Xixia' })).id;
    const rs: Reading[] = [];
    for (let i = 0; i < 6; i++) {
      rs.push(reading(ids.a, 'safety', 'gas', T0 + i * 30_000, { co: i, ch4: 1 }));
      rs.push(reading(ids.b, 'safety', 'gas', T0 + i * 30_000, { co: 10 + i, ch4: 2 }));
      rs.push(reading(ids.fridge, 'healthcare', 'cold_chain', T0 + i * 30_000, { temp: 4, door_open: i === 3 }));
    }
    await t.app.parts.readings.write(rs);
    viewer = (await t.api('POST', '/api/tokens', { name: uniqueId('viewer'), role: 'viewer' })).body.token;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const url = (q: string) => `${t.httpUrl}/api/export/readings?from=${iso(T0)}&to=${iso(T0 + 3_600_000)}&${q}`;

  it('streams CSV per RFC 4180: header row, one row per reading and metric, quoted fields, a file name', async () => {
    const r = await readExport(url(`type=gas&metric=co`), viewer, { keep: true });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="citysense-readings-gas-20260101T000000Z-20260101T010000Z\.csv"$/);
    expect(r.complete).toBe(true);
    expect(r.lines[0]).toBe('ts,deviceId,domain,type,district,metric,value,unit');
    const [first, second] = [ids.a, ids.b].sort();
    const rowsOf = (id: string) => r.lines.filter((l) => l.includes(id));
    expect(r.lines).toHaveLength(1 + 12);
    // Devices in id order, each in time order.
    expect(r.lines.slice(1, 7).every((l) => l.includes(first!))).toBe(true);
    expect(rowsOf(ids.a)[0]).toBe(`${iso(T0)},${ids.a},safety,gas,Xixia,co,0,ppm`);
    expect(rowsOf(ids.b)[5]).toBe(`${iso(T0 + 150_000)},${ids.b},safety,gas,"Xi, ""old"" town",co,15,ppm`);
    expect(r.lines.slice(7).every((l) => l.includes(second!))).toBe(true);
  });

  it('streams NDJSON, every metric of a device, booleans as booleans', async () => {
    const r = await readExport(url(`deviceId=${ids.fridge}&format=ndjson`), viewer, { keep: true });
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.headers['content-disposition']).toContain(`citysense-readings-${ids.fridge}-`);
    const rows = r.lines.map((l) => JSON.parse(l));
    expect(rows).toHaveLength(12);
    // Each line is the contract's ExportRow (the rows are written by hand for speed: this holds them to it).
    for (const row of rows) expect(exportRowSchema.safeParse(row).error).toBeUndefined();
    expect(rows[0]).toEqual({ ts: iso(T0), deviceId: ids.fridge, domain: 'healthcare', type: 'cold_chain', district: 'Xixia', metric: 'temp', value: 4, unit: 'Cel' });
    expect(rows.filter((x) => x.metric === 'door_open').map((x) => x.value)).toEqual([false, false, false, true, false, false]);
    expect(rows.find((x) => x.metric === 'door_open').unit).toBeNull();
  });

  it('with every and agg, one row per bucket and metric (booleans only where the aggregate has an answer)', async () => {
    const r = await readExport(url(`district=Xixia&every=1m&agg=max&format=ndjson`), viewer, { keep: true });
    const rows = r.lines.map((l) => JSON.parse(l));
    for (const row of rows) expect(exportRowSchema.safeParse(row).error).toBeUndefined();
    const co = rows.filter((x) => x.deviceId === ids.a && x.metric === 'co');
    expect(co.map((x) => [x.ts, x.value])).toEqual([[iso(T0), 1], [iso(T0 + 60_000), 3], [iso(T0 + 120_000), 5]]);
    // The other district's device is left out; door_open has no max.
    expect(rows.some((x) => x.deviceId === ids.b)).toBe(false);
    expect(rows.filter((x) => x.deviceId === ids.fridge).map((x) => x.metric)).toEqual(['temp', 'temp', 'temp']);
    const counts = await readExport(url(`deviceId=${ids.fridge}&metric=door_open&every=1h&agg=count&format=ndjson`), viewer, { keep: true });
    expect(counts.lines.map((l) => JSON.parse(l).value)).toEqual([6]);
  });

  it('answers a bad query with a 400 JSON error naming the field, before any row', async () => {
    for (const [q, field] of [['agg=mean', /agg needs every/], ['every=10ms', /query every/], ['format=xml', /format/], ['metric=CO', /metric/]] as const) {
      const res = await fetch(url(q), { headers: { authorization: `Bearer ${viewer}` } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(field);
    }
    const noFrom = await t.api('GET', '/api/export/readings', undefined, viewer);
    expect(noFrom.status).toBe(400);
    expect(noFrom.body.error.message).toMatch(/from/);
    expect((await t.api('GET', `/api/export/readings?from=-1h`, undefined, null)).status).toBe(401);
  });

  it('an unknown device or an empty range is an empty export, not an error', async () => {
    const r = await readExport(url('deviceId=nobody&format=csv'), viewer, { keep: true });
    expect(r.status).toBe(200);
    expect(r.lines).toEqual(['ts,deviceId,domain,type,district,metric,value,unit']);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    const op = doc.paths['/api/export/readings'].get;
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['from', 'to', 'domain', 'type', 'district', 'deviceId', 'metric', 'every', 'agg', 'format']));
  });
});

describe('history export: an error mid-stream ends the response visibly', () => {
  let t: TestApp;
  let id: string;
  const T0 = Date.UTC(2026, 0, 1);
  const N = 200_000;

  beforeEach(async () => {
    t = await startTestApp('sqlite');
    id = (await t.device('safety', 'noise')).id;
    for (let i = 0; i < N; i += 50_000) {
      await t.app.parts.readings.write(Array.from({ length: 50_000 }, (_, k) => ({ deviceId: id, domain: 'safety', type: 'noise', ts: T0 + (i + k) * 1000, receivedAt: T0, values: { level: 40 } })));
    }
  }, 60_000);
  afterEach(async () => {
    await t?.close();
  });

  // The client holds the response (backpressure stops the export), the store goes away, then the client reads on.
  const breakStoreMidway = (pause: () => void, resume: () => void) => {
    pause();
    setTimeout(() => { void t.app.parts.readings.close().then(resume); }, 500);
  };

  it('NDJSON: a last {"error": …} line', async () => {
    const r = await readExport(`${t.httpUrl}/api/export/readings?from=${new Date(T0).toISOString()}&format=ndjson`, t.adminToken, { onFirstBytes: breakStoreMidway });
    expect(r.status).toBe(200);
    expect(r.count).toBeGreaterThan(0);
    expect(r.count).toBeLessThan(N);
    expect(r.complete).toBe(true);
    expect(JSON.parse(r.lines[r.lines.length - 1]!)).toEqual({ error: { code: 'export_failed', message: expect.stringContaining(`export failed at device ${id}`) } });
  }, 60_000);

  it('CSV: the connection is aborted (no clean end)', async () => {
    const r = await readExport(`${t.httpUrl}/api/export/readings?from=${new Date(T0).toISOString()}&format=csv`, t.adminToken, { onFirstBytes: breakStoreMidway });
    expect(r.status).toBe(200);
    expect(r.count).toBeLessThan(N);
    expect(r.complete).toBe(false);
  }, 60_000);
});
