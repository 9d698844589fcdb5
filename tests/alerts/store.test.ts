import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewAlert } from '../../src/core/index.js';
import type { AlertStores } from '../../src/storage/alert-ports.js';
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

  it('adds each built-in rule once per database: a deleted one stays deleted, an edited one stays edited, a new one is added', () => {
    const rule = { id: 'r1', name: 'r', enabled: true, match: {}, metric: 'co', condition: { op: '>' as const, value: 1 }, for: '0', severity: 'info' as const, builtin: true, createdAt: 1, updatedAt: 1 };
    const r2 = { ...rule, id: 'r2' };
    expect(s.rules.seedBuiltins([rule, r2], []).map((r) => r.id)).toEqual(['r1', 'r2']);
    s.rules.delete('r1');
    s.rules.update({ ...r2, condition: { op: '>', value: 7 } });
    const r3 = { ...rule, id: 'r3' }; // a built-in rule of a later release
    expect(s.rules.seedBuiltins([rule, r2, r3], []).map((r) => r.id)).toEqual(['r3']);
    expect(s.rules.get('r1')).toBeUndefined();
    expect(s.rules.get('r2')).toMatchObject({ condition: { value: 7 } });
    expect(s.rules.seedBuiltins([rule, r2, r3], [])).toEqual([]);
    expect(() => s.rules.create({ ...rule, id: 'r2' })).toThrow(/exists/);
  });

  it('on a database the first release seeded (no record of which rules), adds only the built-in rules it did not have', () => {
    const old = mkdtempSync(join(tmpdir(), 'citysense-alert-store-seeded-'));
    const odb = openDb(old);
    try {
      const rule = { id: 'smoke', name: 'smoke', enabled: true, match: {}, metric: 'co', condition: { op: '>' as const, value: 1 }, for: '0', severity: 'info' as const, builtin: true, createdAt: 1, updatedAt: 1 };
      odb.exec(ALERT_TABLES_SQL); // as the first release left it: rules seeded, then 'noise' deleted by an admin
      odb.prepare('INSERT INTO alert_rules (id, body) VALUES (?, ?)').run('smoke', JSON.stringify({ ...rule, condition: { op: '>', value: 12 } }));
      odb.prepare("INSERT INTO alert_meta (key, value) VALUES ('rules_seeded', '1')").run();
      const stores = createSqliteAlertStores(odb);
      const added = stores.rules.seedBuiltins([rule, { ...rule, id: 'noise' }, { ...rule, id: 'methane-warning' }], ['smoke', 'noise']);
      expect(added.map((r) => r.id)).toEqual(['methane-warning']);
      expect(stores.rules.list().map((r) => [r.id, r.condition])).toEqual([['smoke', { op: '>', value: 12 }], ['methane-warning', { op: '>', value: 1 }]]);
    } finally {
      odb.close();
      rmSync(old, { recursive: true, force: true });
    }
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

  it('keeps who did a transition by id (step 4), and reads transitions recorded before that with no id', () => {
    const old = mkdtempSync(join(tmpdir(), 'citysense-alert-store-v2-'));
    const odb = openDb(old);
    try {
      // A database at step 2 (the release before actor ids), holding an acknowledged alert.
      odb.exec(ALERT_TABLES_SQL);
      odb.exec(`CREATE TABLE alert_holds (rule_id TEXT NOT NULL, device_id TEXT NOT NULL, PRIMARY KEY (rule_id, device_id)) WITHOUT ROWID;
        ALTER TABLE alert_pending ADD COLUMN last_at INTEGER;
        INSERT INTO alert_meta (key, value) VALUES ('schema', '2');`);
      odb.prepare("INSERT INTO alerts (rule_id, device_id, domain, severity, state, fired_at, event_id, body) VALUES ('r', 'gas-1', 'safety', 'warning', 'acknowledged', 1, 1, ?)")
        .run(JSON.stringify({ ...fresh(1), state: 'acknowledged', acknowledgedAt: 2, acknowledgedBy: 'Mei' }));
      odb.prepare("INSERT INTO alert_events (alert_id, kind, at, value, actor, note, alert) VALUES (1, 'acknowledged', 2, 1, 'Mei', NULL, '{}')").run();
      const stores = createSqliteAlertStores(odb);
      expect(stores.alerts.transitions(1)).toEqual([{ eventId: 1, alertId: 1, kind: 'acknowledged', at: 2, value: 1, actor: 'Mei', actorId: null }]);
      expect(stores.alerts.get(1)).toMatchObject({ acknowledgedBy: 'Mei' });
      const a = stores.alerts.get(1)!;
      stores.alerts.transition({ ...a, state: 'resolved', resolvedAt: 3, resolvedBy: 'night desk', resolvedById: 'token:t1' }, { kind: 'resolved', at: 3, value: 1, actor: 'night desk', actorId: 'token:t1' });
      expect(stores.alerts.transitions(1).map((x) => x.actorId)).toEqual([null, 'token:t1']);
      expect(stores.alerts.get(1)).toMatchObject({ resolvedBy: 'night desk', resolvedById: 'token:t1' });
      expect(odb.prepare<[], { value: string }>("SELECT value FROM alert_meta WHERE key = 'schema'").get()!.value).toBe('4');
    } finally {
      odb.close();
      rmSync(old, { recursive: true, force: true });
    }
  });
});
