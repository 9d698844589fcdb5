import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AppError, createLogger, type Reading } from '../../src/core/index.js';
import { createInfluxReadingStore, type ReadingStore } from '../../src/storage/index.js';
import { startPrivateInfluxd, testInfluxUrl, type PrivateInfluxd } from '../fixtures/influxd.js';
import { readingStoreContract } from './reading-store.contract.js';

const log = createLogger('silent');
const url = testInfluxUrl();
// A database of our own on the shared server, so that runs and parallel test files never meet.
const db = `citysense_test_${randomBytes(6).toString('hex')}`;

async function influxql(base: string, q: string, dbName?: string): Promise<unknown> {
  const params = new URLSearchParams({ q, epoch: 'ms', ...(dbName ? { db: dbName } : {}) });
  const res = await fetch(`${base}/query`, { method: 'POST', body: params });
  return res.json();
}

readingStoreContract('influxdb 1.x (legacy /write transport)', {
  open: async () => createInfluxReadingStore({ url, token: '', org: '', bucket: db, log }),
  teardown: async () => {
    await influxql(url, `DROP DATABASE "${db}"`);
  },
});

const reading = (deviceId: string, ts: number, values: Reading['values']): Reading =>
  ({ deviceId, domain: 'safety', type: 'gas', ts, receivedAt: ts + 7, seq: 3, values });

describe('influxdb reading store', () => {
  it('creates the 1.x database at start and writes in ms precision with received_at and seq', async () => {
    const name = `${db}_shape`;
    const store = createInfluxReadingStore({ url, token: '', org: '', bucket: `${name}/autogen`, log });
    await store.start();
    try {
      const ts = Date.UTC(2025, 0, 6, 12, 0, 0, 123);
      await store.write([reading('g-1', ts, { co: 12.5, ch4: 1 })]);
      const out = (await influxql(url, 'SELECT * FROM "readings"', name)) as { results: { series: { columns: string[]; values: unknown[][] }[] }[] };
      const s = out.results[0]!.series[0]!;
      const row = Object.fromEntries(s.columns.map((c, i) => [c, s.values[0]![i]]));
      expect(row).toEqual({ time: ts, device: 'g-1', domain: 'safety', type: 'gas', co: 12.5, ch4: 1, received_at: ts + 7, seq: 3 });
    } finally {
      await store.close();
      await influxql(url, `DROP DATABASE "${name}"`);
    }
  });

  it('takes a partial write (points beyond the retention policy, a field type conflict) as done: the rest is stored and nothing is retried', async () => {
    const name = `${db}_partial`;
    // The shortest retention InfluxDB allows; citysense accepts readings up to 7 days old.
    await influxql(url, `CREATE DATABASE "${name}" WITH DURATION 1h NAME "short"`);
    const lines: string[] = [];
    const warnings = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const store = createInfluxReadingStore({ url, token: '', org: '', bucket: name, log: warnings });
    await store.start();
    try {
      const now = Date.now();
      await store.write([reading('p-1', now - 2 * 86_400_000, { co: 1 }), reading('p-1', now - 1000, { co: 2 })]);
      await store.write([reading('p-1', now - 500, { co: true }), reading('p-1', now - 400, { co: 4 })]);
      const stored = await store.query({ deviceId: 'p-1', metric: 'co', from: now - 3 * 86_400_000, to: now, limit: 10 });
      expect(stored).toEqual([{ t: now - 1000, v: 2 }, { t: now - 400, v: 4 }]);
      const dropped = lines.map((l) => JSON.parse(l) as { msg: string; influxError: string }).filter((l) => l.msg === 'InfluxDB stored a write but dropped some of its points');
      expect(dropped.map((l) => l.influxError)).toEqual([
        expect.stringMatching(/^partial write: points beyond retention policy dropped=1/),
        expect.stringMatching(/^partial write: field type conflict: input field "co" on measurement "readings" is type boolean/),
      ]);
    } finally {
      await store.close();
      await influxql(url, `DROP DATABASE "${name}"`);
    }
  });

  describe('with a server that goes away', () => {
    let influxd: PrivateInfluxd;
    let store: ReadingStore;
    const base = Date.UTC(2025, 0, 6, 12, 0, 0);
    const batch = (from: number, n: number, dev = 'outage') =>
      Array.from({ length: n }, (_, i) => reading(dev, base + (from + i) * 1000, { co: i % 50 }));

    beforeAll(async () => {
      influxd = await startPrivateInfluxd();
    }, 30_000);
    afterAll(async () => {
      await store?.close();
      await influxd?.close();
    });

    it('writes, then rejects promptly while the server is down, then writes again once it is back', async () => {
      store = createInfluxReadingStore({ url: influxd.url, token: '', org: '', bucket: 'outage', log });
      await store.start();
      await store.write(batch(0, 10));
      expect(await store.count('outage')).toBe(10);

      await influxd.stop();
      expect(await store.ping()).toBe(false);
      // The spool writer calls again and again with the same batch: each call must settle on its own.
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        await expect(store.write(batch(10, 5000))).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(5000);
      }
      await expect(store.count()).rejects.toThrow();
      // To an API caller a store that does not answer is a 503 that says so, not a 500.
      const down = await store.query({ deviceId: 'outage', metric: 'co', from: 0, to: base + 3_600_000, limit: 5 }).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(AppError);
      expect(down).toMatchObject({ status: 503, code: 'store_unavailable', message: expect.stringMatching(/InfluxDB\) did not answer/) });

      await influxd.start();
      expect(await store.ping()).toBe(true);
      await store.write(batch(10, 5000));
      expect(await store.count('outage')).toBe(5010);
    }, 60_000);

    it('starts without throwing when the server is down, and connects (creating the database) on a later write', async () => {
      await influxd.stop();
      const late = createInfluxReadingStore({ url: influxd.url, token: '', org: '', bucket: 'late', log });
      await expect(late.start()).resolves.toBeUndefined();
      expect(await late.ping()).toBe(false);
      await expect(late.write(batch(0, 3, 'late-dev'))).rejects.toThrow();

      await influxd.start();
      await late.write(batch(0, 3, 'late-dev'));
      expect(await late.count('late-dev')).toBe(3);
      await late.close();
    }, 60_000);

    it('re-creates a database dropped while it runs', async () => {
      const s = createInfluxReadingStore({ url: influxd.url, token: '', org: '', bucket: 'dropped', log });
      await s.start();
      await s.write(batch(0, 2, 'drop-dev'));
      await influxql(influxd.url, 'DROP DATABASE "dropped"');
      await expect(s.write(batch(2, 2, 'drop-dev'))).rejects.toThrow(/database not found/);
      await s.write(batch(2, 2, 'drop-dev'));
      expect(await s.count('drop-dev')).toBe(2);
      await s.close();
    }, 30_000);
  });

  describe('with authentication on (1.x: user:password as Basic auth)', () => {
    let influxd: PrivateInfluxd;

    let wrapperDir: string;

    beforeAll(async () => {
      // influxd reads INFLUXDB_<SECTION>_<KEY> overrides from its environment. Jest gives tests a copy of
      // process.env that child processes do not see, so the fixture starts a wrapper (INFLUXD_BIN) that sets it.
      wrapperDir = mkdtempSync(join(tmpdir(), 'citysense-influxd-auth-'));
      const wrapper = join(wrapperDir, 'influxd-auth');
      writeFileSync(wrapper, `#!/bin/sh\nINFLUXDB_HTTP_AUTH_ENABLED=true exec ${process.env.INFLUXD_BIN ?? 'influxd'} "$@"\n`, { mode: 0o755 });
      const previous = process.env.INFLUXD_BIN;
      process.env.INFLUXD_BIN = wrapper;
      try {
        influxd = await startPrivateInfluxd();
      } finally {
        if (previous === undefined) delete process.env.INFLUXD_BIN;
        else process.env.INFLUXD_BIN = previous;
      }
      // With no user yet, 1.x lets anyone create the first admin; after that, nothing goes without credentials.
      const made = await influxql(influxd.url, `CREATE USER "city" WITH PASSWORD 's3cr:et' WITH ALL PRIVILEGES`);
      expect(JSON.stringify(made)).not.toContain('error');
      const anonymous = await fetch(`${influxd.url}/query?q=SHOW%20DATABASES`);
      expect(anonymous.status).toBe(401);
    }, 30_000);
    afterAll(async () => {
      await influxd?.close();
      rmSync(wrapperDir, { recursive: true, force: true });
    });

    it('writes, counts and queries with the right credentials', async () => {
      const store = createInfluxReadingStore({ url: influxd.url, token: 'city:s3cr:et', org: '', bucket: 'secured', log });
      await store.start();
      await store.write([reading('auth-1', Date.UTC(2025, 0, 6), { co: 3 })]);
      expect(await store.count('auth-1')).toBe(1);
      expect(await store.query({ deviceId: 'auth-1', metric: 'co', from: 0, to: Date.UTC(2026, 0, 1), limit: 5 })).toEqual([
        { t: Date.UTC(2025, 0, 6), v: 3 },
      ]);
      await store.close();
    });

    it('rejects writes with wrong credentials', async () => {
      const store = createInfluxReadingStore({ url: influxd.url, token: 'city:wrong', org: '', bucket: 'secured', log });
      await store.start();
      await expect(store.write([reading('auth-2', Date.UTC(2025, 0, 6), { co: 3 })])).rejects.toThrow(/401|authorization failed/i);
      await expect(store.count()).rejects.toThrow(/401|authorization failed/i);
      // Not the API caller's credentials: a 503 naming INFLUX_TOKEN, without InfluxDB's words or the statement.
      const refused = await store.query({ deviceId: 'auth-2', metric: 'co', from: 0, to: Date.UTC(2026, 0, 1), limit: 5 }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 503, code: 'store_unavailable', message: expect.stringMatching(/refused citysense's credentials \(INFLUX_TOKEN\)/) });
      expect((refused as Error).message).not.toMatch(/SELECT|authorization failed/);
      await store.close();
    });
  });
});
