import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Reading } from '../../src/core/index.js';
import { Spool } from '../../src/ingest/spool.js';
import { createSqliteSpoolStore } from '../../src/storage/index.js';
import { spoolRows, tempDir } from './fakes.js';

const t0 = Date.now() - 60_000;
function readings(from: number, n: number): Reading[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { deviceId: 'gas-1', domain: 'safety', type: 'gas', ts: t0 + i, receivedAt: t0 + i, seq: i, values: { co: i, alarm: i % 2 === 0 } };
  });
}
const seqs = (b: { readings: readonly Reading[] }) => b.readings.map((r) => r.seq);

describe('the spool read back from memory and from disk', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  function open(dir: string, tailMax?: number): Spool {
    const s = new Spool(createSqliteSpoolStore({ file: join(dir, 'spool.db'), sinks: ['store'] }), ['store'], tailMax);
    cleanups.push(() => s.close());
    return s;
  }
  function dir(): string {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    return tmp.dir;
  }
  function drain(s: Spool, limit: number): Array<ReturnType<Spool['oldest']>> {
    const batches = [];
    for (let after = 0; ; ) {
      const b = s.oldest(limit, after);
      if (b.readings.length === 0) return batches;
      batches.push(b);
      after = b.lastId;
    }
  }

  it('hands out whole appends in order, as many as fit in the limit, and one larger than the limit whole', () => {
    const s = open(dir());
    s.append(readings(0, 3));
    s.append(readings(3, 2));
    s.append(readings(5, 7)); // larger than the limit
    s.append(readings(12, 1));
    const batches = drain(s, 5);
    expect(batches.map(seqs)).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10, 11], [12]]);
    const [a, ...rest] = batches;
    s.confirm(0, [a!]);
    expect(s.depth).toBe(8);
    expect(seqs(s.oldest(100))).toEqual(rest.flatMap(seqs));
    s.confirm(0, rest);
    expect(s).toMatchObject({ depth: 0, bytes: 0 });
    expect(s.oldest(5).readings).toEqual([]);
  });

  it('reads from disk what no longer fits in memory, then goes on from memory, with the same readings', () => {
    const d = dir();
    const s = open(d, 10);
    for (let i = 0; i < 5; i++) s.append(readings(i * 6, 6)); // 30 readings; memory keeps the newest appends only
    const batches = drain(s, 7);
    expect(batches.flatMap(seqs)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(batches.flatMap((b) => b.readings)).toEqual(readings(0, 30)); // values (number and boolean) as appended
    expect(s.oldestReceivedAt()).toBe(t0);
    for (let i = 0; s.depth > 0 && i < 20; i++) s.confirm(0, [s.oldest(i % 2 ? 13 : 1)]);
    expect(s.depth).toBe(0);
    expect(s.bytes).toBe(0);
    expect(s.oldestReceivedAt()).toBeNull();
    expect(spoolRows(d)).toHaveLength(0);
  });

  it('keeps its depth and byte count equal to what a fresh open counts, and its seqs for duplicate checks', () => {
    const d = dir();
    const s = open(d, 4);
    for (let i = 0; i < 4; i++) s.append(readings(i * 3, 3));
    s.confirm(0, [s.oldest(5)]);
    const { depth, bytes } = s;
    expect(depth).toBe(9);
    s.close();
    const again = open(d);
    expect({ depth: again.depth, bytes: again.bytes }).toEqual({ depth, bytes });
    expect(seqs(again.oldest(100))).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect([...again.seqs()].map((x) => x.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('takes over a spool that version 0.1 left (one row per reading), in order, losing nothing', () => {
    const d = dir();
    const old = new Database(join(d, 'spool.db'));
    old.exec(`CREATE TABLE spool (id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, domain TEXT NOT NULL, type TEXT NOT NULL,
      ts INTEGER NOT NULL, received_at INTEGER NOT NULL, seq INTEGER, vals TEXT NOT NULL)`);
    const insert = old.prepare('INSERT INTO spool (device_id, domain, type, ts, received_at, seq, vals) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const r of readings(0, 7)) insert.run(r.deviceId, r.domain, r.type, r.ts, r.receivedAt, r.seq === 3 ? null : r.seq, JSON.stringify(r.values));
    old.close();

    const s = open(d);
    expect(s.depth).toBe(7);
    const expected = readings(0, 7);
    delete expected[3]!.seq;
    expect(s.oldest(100).readings).toEqual(expected);
    expect([...s.seqs()].map((x) => x.seq)).toEqual([0, 1, 2, 4, 5, 6]);
    s.close();
    const tables = new Database(join(d, 'spool.db'), { readonly: true });
    expect(tables.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(['seq_memory', 'spool_appends', 'spool_state']); // the old table is gone
    tables.close();
  });

  it('reads appends an earlier build wrote as JSON text, then goes on in its own format, ids growing', () => {
    const d = dir();
    const old = new Database(join(d, 'spool.db'));
    old.exec('CREATE TABLE spool_appends (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, bytes INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL)');
    const body = JSON.stringify(readings(0, 3));
    old.prepare('INSERT INTO spool_appends (n, bytes, received_at, body) VALUES (?, ?, ?, ?)').run(3, body.length + 64, t0, body);
    old.close();

    const s = open(d);
    expect(s.depth).toBe(3);
    s.append(readings(3, 2));
    expect([...s.seqs()].map((x) => x.seq)).toEqual([0, 1, 2, 3, 4]);
    const first = s.oldest(3);
    expect(first.readings).toEqual(readings(0, 3));
    s.confirm(0, [first, s.oldest(10, first.lastId)]);
    s.append(readings(5, 1)); // the table was empty: the new row's id still follows the last one
    expect(s.oldest(10).lastId).toBeGreaterThan(first.lastId + 1);
    expect(seqs(s.oldest(10))).toEqual([5]);
  });
});
