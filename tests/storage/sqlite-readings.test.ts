import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLogger, type Reading } from '../../src/core/index.js';
import { createSqliteReadingStore } from '../../src/storage/index.js';
import { readingStoreContract } from './reading-store.contract.js';

const log = createLogger('silent');
const dir = mkdtempSync(join(tmpdir(), 'citysense-sqlite-readings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

readingStoreContract('sqlite', {
  open: async () => createSqliteReadingStore({ file: join(dir, 'contract', 'readings.db'), log }),
});

const r = (deviceId: string, ts: number, values: Reading['values']): Reading =>
  ({ deviceId, domain: 'safety', type: 'flood', ts, receivedAt: ts + 5, values });

describe('sqlite reading store', () => {
  it('keeps what a resolved write() wrote across a reopen, with synchronous=FULL in WAL mode', async () => {
    const file = join(dir, 'reopen', 'readings.db');
    const a = createSqliteReadingStore({ file, log });
    await a.start();
    await a.write([r('f-1', 1_000_000, { water_level: 10 }), r('f-1', 1_001_000, { water_level: 11 })]);
    await a.close();
    expect(await a.ping()).toBe(false);

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT received_at, seq FROM readings ORDER BY ts').all()).toEqual([
      { received_at: 1_000_005, seq: null }, { received_at: 1_001_005, seq: null },
    ]);
    raw.close();

    const b = createSqliteReadingStore({ file, log });
    await b.start();
    expect(await b.count('f-1')).toBe(2);
    await b.close();
  });

  it('purges readings older than a cutoff and reports how many', async () => {
    const store = createSqliteReadingStore({ file: join(dir, 'purge', 'readings.db'), log });
    await store.start();
    await store.write([
      r('p-1', 1000, { water_level: 1 }), r('p-1', 2000, { water_level: 2 }), r('p-1', 3000, { water_level: 3 }),
      r('p-2', 1500, { water_level: 4 }), r('p-2', 3500, { water_level: 5 }),
    ]);
    expect(store.purgeOlderThan(2500)).toBe(3);
    expect(await store.count()).toBe(2);
    const all = { from: 0, to: 10_000, limit: 100, metric: 'water_level' };
    expect(await store.query({ ...all, deviceId: 'p-1' })).toEqual([{ t: 3000, v: 3 }]);
    expect(await store.query({ ...all, deviceId: 'p-2' })).toEqual([{ t: 3500, v: 5 }]);
    expect(store.purgeOlderThan(2500)).toBe(0);
    await store.close();
  });

  it('rolls a failing batch back whole', async () => {
    const store = createSqliteReadingStore({ file: join(dir, 'rollback', 'readings.db'), log });
    await store.start();
    const bad = { ...r('rb', 2000, { water_level: 1 }), deviceId: null as unknown as string };
    // Matched by code, not toThrow(): better-sqlite3 binds its SqliteError class once per process, so in a Jest
    // worker that ran another test file first it comes from that file's realm and toThrow() does not see an Error.
    await expect(store.write([r('rb', 1000, { water_level: 1 }), bad])).rejects.toHaveProperty('code', 'SQLITE_CONSTRAINT_NOTNULL');
    expect(await store.count()).toBe(0);
    await store.close();
  });

  it('writes whole milliseconds, as the InfluxDB adapter does', async () => {
    const store = createSqliteReadingStore({ file: join(dir, 'fraction', 'readings.db'), log });
    await store.start();
    await store.write([r('fr', 1000.7, { water_level: 1 })]);
    expect(await store.query({ deviceId: 'fr', metric: 'water_level', from: 0, to: 5000, limit: 10 })).toEqual([{ t: 1000, v: 1 }]);
    await store.close();
  });
});
