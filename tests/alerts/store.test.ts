import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores, type AlertStores, type NewAlert, type SqliteStores } from '../../src/storage/index.js';

const fresh = (i: number, over: Partial<NewAlert> = {}): NewAlert => ({
  ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId: `gas-${i % 3}`, domain: 'safety', type: 'gas', district: null, metric: 'co',
  severity: i % 2 ? 'critical' : 'warning', state: 'firing', message: 'co', value: 60 + i, threshold: 50, firedAt: 1_000_000 + i * 1000,
  acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, lastValue: 60 + i, lastValueAt: 1_000_000 + i * 1000, silenced: false, ...over,
});
const fired = (at: number) => ({ kind: 'fired' as const, at, value: 1, actor: 'system' });

describe('SQLite alert stores', () => {
  let dir: string;
  let stores: SqliteStores;
  let s: AlertStores;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-alert-store-'));
    s = (stores = createSqliteStores(dir)).alertStores;
    await createSqliteStores(dir).close(); // a second opener: the tables exist already
  });
  afterAll(async () => {
    await stores.close();
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
});
