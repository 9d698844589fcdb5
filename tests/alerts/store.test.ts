import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertStores, NewAlert } from '../../src/storage/alert-ports.js';
import { ALERT_TABLES_SQL, createSqliteAlertStores } from '../../src/storage/sqlite/alert-stores.js';
import { openDb } from './fixture.js';

const fresh = (i: number, over: Partial<NewAlert> = {}): NewAlert => ({
  ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId: `gas-${i % 3}`, domain: 'safety', type: 'gas', district: null, metric: 'co',
  severity: i % 2 ? 'critical' : 'warning', state: 'firing', message: 'co', value: 60 + i, threshold: 50, firedAt: 1_000_000 + i * 1000,
  acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, lastValue: 60 + i, lastValueAt: 1_000_000 + i * 1000, silenced: false, ...over,
});
const fired = (at: number) => ({ kind: 'fired' as const, at, value: 1, actor: 'system' });

describe('SQLite alert stores', () => {
  let dir: string;
  let db: Database.Database;
  let s: AlertStores;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-alert-store-'));
    db = openDb(dir);
    s = createSqliteAlertStores(db);
    createSqliteAlertStores(db); // idempotent: tables exist already
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages newest first and returns each alert exactly once while new ones are inserted', () => {
    for (let i = 0; i < 25; i++) s.alerts.open(fresh(i), fired(i));
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = s.alerts.list({ limit: 7, before });
      seen.push(...rows.map((a) => a.id));
      for (let j = 0; j < 3; j++) s.alerts.open(fresh(100 + page * 3 + j), fired(0)); // arrivals while paging
      if (rows.length < 7) break;
      before = rows[rows.length - 1]!.id;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('filters by state, severity, device and firing time', () => {
    const a = s.alerts.open(fresh(1, { deviceId: 'filter-me', severity: 'info' }), fired(1));
    const b = s.alerts.open(fresh(2, { deviceId: 'filter-me', firedAt: 5 }), fired(2));
    s.alerts.transition({ ...b, state: 'resolved', resolvedAt: 10, resolvedBy: 'x' }, { kind: 'resolved', at: 10, value: null, actor: 'x' });
    expect(s.alerts.list({ limit: 10, deviceId: 'filter-me' }).map((x) => x.id)).toEqual([b.id, a.id]);
    expect(s.alerts.list({ limit: 10, deviceId: 'filter-me', states: ['resolved'] }).map((x) => x.id)).toEqual([b.id]);
    expect(s.alerts.list({ limit: 10, deviceId: 'filter-me', severity: 'info' }).map((x) => x.id)).toEqual([a.id]);
    expect(s.alerts.list({ limit: 10, deviceId: 'filter-me', from: 0, to: 6 }).map((x) => x.id)).toEqual([b.id]);
    expect(s.alerts.active().some((x) => x.id === b.id)).toBe(false);
  });

  it('gives every transition a strictly increasing eventId and keeps the alert as it was at each', () => {
    const a = s.alerts.open(fresh(7), fired(7));
    const acked = s.alerts.transition({ ...a, state: 'acknowledged', acknowledgedAt: 8, acknowledgedBy: 'me' }, { kind: 'acknowledged', at: 8, value: 1, actor: 'me', note: 'ok' });
    expect(acked.eventId).toBeGreaterThan(a.eventId);
    expect(s.alerts.get(a.id)).toMatchObject({ state: 'acknowledged', eventId: acked.eventId });
    const events = s.alerts.eventsAfter(a.eventId - 1, 10);
    expect(events.map((e) => [e.kind, e.alert.state, e.alert.eventId === e.eventId])).toEqual([['fired', 'firing', true], ['acknowledged', 'acknowledged', true]]);
    expect(s.alerts.transitions(a.id).map((t) => t.note)).toEqual([undefined, 'ok']);
  });

  it('seeds rules only once per database', () => {
    const rule = { id: 'r1', name: 'r', enabled: true, match: {}, metric: 'co', condition: { op: '>' as const, value: 1 }, for: '0', severity: 'info' as const, builtin: true, createdAt: 1, updatedAt: 1 };
    expect(s.rules.seedOnce([rule])).toBe(true);
    s.rules.delete('r1');
    expect(s.rules.seedOnce([rule])).toBe(false);
    expect(s.rules.get('r1')).toBeUndefined();
    s.rules.create({ ...rule, id: 'r2' });
    expect(() => s.rules.create({ ...rule, id: 'r2' })).toThrow(/exists/);
  });

  it('brings the alert tables of an older version up to date, keeping what they hold, and runs each step once', () => {
    const old = mkdtempSync(join(tmpdir(), 'citysense-alert-store-old-'));
    const odb = openDb(old);
    try {
      odb.exec(ALERT_TABLES_SQL); // the tables as the first release created them
      odb.prepare('INSERT INTO alert_pending (rule_id, device_id, since, value, due_at) VALUES (?, ?, ?, ?, ?)').run('r', 'd', 1, 2, 3);
      const stores = createSqliteAlertStores(odb);
      // A pending row from before lastAt was kept: its newest reading is taken to be its first.
      expect(stores.state.pending()).toEqual([{ ruleId: 'r', deviceId: 'd', since: 1, value: 2, lastAt: 1, dueAt: 3 }]);
      stores.state.putHold('carbon-monoxide', 'gas-1');
      expect(createSqliteAlertStores(odb).state.holds()).toEqual([{ ruleId: 'carbon-monoxide', deviceId: 'gas-1' }]);
    } finally {
      odb.close();
      rmSync(old, { recursive: true, force: true });
    }
  });
});
