// citysense.db files that earlier builds wrote, opened by this one: one migration scheme (`PRAGMA user_version`)
// for every table, the alert tables included, which until now migrated themselves and kept their own step count.
import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewAlert } from '../../src/core/index.js';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { ALERT_MIGRATIONS, ALERT_TABLES_SQL } from '../../src/storage/sqlite/alert-schema.js';
import { createSqliteAlertStores } from '../../src/storage/sqlite/alert-stores.js';
import { createSqliteDeadLetterStore } from '../../src/storage/sqlite/dead-letters.js';
import { createSqliteInstallationStore } from '../../src/storage/sqlite/installation.js';
import { META_MIGRATIONS } from '../../src/storage/sqlite/meta-migrations.js';
import { createSqliteNotificationStores } from '../../src/storage/sqlite/notify-stores.js';
import { createSqlitePositionStore } from '../../src/storage/sqlite/positions.js';
import { createSqliteSessionStore } from '../../src/storage/sqlite/sessions.js';
import { createSqliteTokenStore } from '../../src/storage/sqlite/tokens.js';
import { createSqliteUserStore } from '../../src/storage/sqlite/users.js';

/** The meta steps the build before this one had (devices … users, sessions, token scopes), unchanged since. */
const MAIN_META_STEPS = 4;

/**
 * citysense.db as an earlier build leaves it, by that build's own code path: `metaSteps` meta migrations counted
 * in user_version; then, when `alertSteps` is given, the alert tables as they migrated themselves (the function
 * below is that build's `migrateAlertTables`, knowing its first `alertSteps` steps); and the positions table the
 * event stream created on first use.
 */
function writeAsBefore(dataDir: string, o: { metaSteps: number; alertSteps?: number; positions?: boolean }): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'citysense.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (let i = 0; i < o.metaSteps; i++) {
    db.transaction(() => {
      db.exec(META_MIGRATIONS[i]!.up as string);
      db.pragma(`user_version = ${i + 1}`);
    }).immediate();
  }
  if (o.alertSteps !== undefined) {
    const known = ALERT_MIGRATIONS.slice(0, o.alertSteps);
    db.exec(ALERT_TABLES_SQL);
    db.transaction(() => {
      const row = db.prepare<[], { value: string }>("SELECT value FROM alert_meta WHERE key = 'schema'").get();
      const done = row ? Number(row.value) : 0;
      if (done === known.length) return;
      for (const step of known.slice(done)) db.exec(step);
      db.prepare("INSERT OR REPLACE INTO alert_meta (key, value) VALUES ('schema', ?)").run(String(known.length));
    }).immediate();
  }
  if (o.positions) db.exec('CREATE TABLE IF NOT EXISTS positions (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT');
  return db;
}

/** Every table, index and trigger of a file, as SQLite keeps their definitions. */
function schemaOf(dataDir: string): { type: string; name: string; sql: string | null }[] {
  const db = new Database(join(dataDir, 'citysense.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { type: string; name: string; sql: string | null }>("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  } finally {
    db.close();
  }
}

function onFile<T>(dataDir: string, query: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'citysense.db'), { readonly: true, fileMustExist: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}
const userVersion = (dataDir: string) => onFile(dataDir, (db) => db.pragma('user_version', { simple: true }) as number);
const ownAlertCount = (dataDir: string) => onFile(dataDir, (db) => db.prepare("SELECT value FROM alert_meta WHERE key = 'schema'").pluck().get());

const T = Date.UTC(2026, 10, 30, 8, 0, 0);
const newAlert = (deviceId: string, over: Partial<NewAlert> = {}): NewAlert => ({
  ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId, domain: 'safety', type: 'gas', district: 'Xixia', metric: 'co', severity: 'critical',
  state: 'firing', message: 'co 120', value: 120, threshold: 50, firedAt: T, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
  lastValue: 120, lastValueAt: T, silenced: false, ...over,
});
const rule = { id: 'smoke', name: 'smoke', enabled: true, match: {}, metric: 'obscuration', condition: { op: '>' as const, value: 12 }, for: '0', severity: 'warning' as const, builtin: true, createdAt: 1, updatedAt: 1 };

describe('citysense.db of an earlier build, opened by this one', () => {
  const dirs: string[] = [];
  const opened: SqliteStores[] = [];
  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
    while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
  });
  const tempDir = (what: string) => {
    const d = mkdtempSync(join(tmpdir(), `citysense-migrate-${what}-`));
    dirs.push(d);
    return d;
  };
  const open = (dataDir: string) => {
    const s = createSqliteStores(dataDir);
    opened.push(s);
    return s;
  };
  /** The schema a new installation gets. */
  const freshSchema = () => {
    const d = tempDir('fresh');
    void createSqliteStores(d).close();
    return schemaOf(d);
  };

  it('keeps every row of a file the previous build wrote (meta step 4, the alert tables at their own step 4), running no step twice', async () => {
    const d = tempDir('main');
    const db = writeAsBefore(d, { metaSteps: MAIN_META_STEPS, alertSteps: ALERT_MIGRATIONS.length, positions: true });
    // Its rows, written by the stores as they were (their SQL is unchanged; only the schema bookkeeping moved), but
    // the device and its watermark: the registry reads devices.left_at (meta step 12) now, and watermarks no longer
    // carry lastSeen and goodbyes, so those rows are written as that build wrote them.
    db.prepare("INSERT INTO devices (id, domain, type, district, lat, lon, secret_hash, created_at, last_seen, latest) VALUES ('gas-1', 'safety', 'gas', 'Xixia', 38.5, 106.2, 'hmac-sha256$abc', ?, ?, ?)")
      .run(T, T, JSON.stringify({ co: { v: 120, t: T } }));
    const token = createSqliteTokenStore(db).create('wall', 'viewer', 'token-hash', { domains: ['safety'] });
    const user = createSqliteUserStore(db).create({ username: 'mei', name: 'Mei', role: 'operator' }, 'scrypt$pw');
    createSqliteSessionStore(db).create('sess-1', user.id);
    createSqliteDeadLetterStore(db).add([{ receivedAt: T, deviceId: 'gas-1', topic: 'city/safety/gas/gas-1', reason: 'malformed_json', detail: 'not JSON', payload: '{' }]);
    const key = createSqliteInstallationStore(db).deviceSecretKey();
    const notify = createSqliteNotificationStores(db);
    notify.contactPoints.create({ id: 'cp-1', name: 'pager', kind: 'webhook', url: 'http://127.0.0.1:9/hook', disabledAt: null, disabledReason: null, createdAt: T, updatedAt: T });
    const old = createSqliteAlertStores(db);
    old.rules.seedBuiltins([rule], []);
    const fired = old.alerts.open(newAlert('gas-1'), { kind: 'fired', at: T, value: 120, actor: 'system' });
    const acked = old.alerts.transition({ ...fired, state: 'acknowledged', acknowledgedAt: T + 1, acknowledgedBy: 'Mei', acknowledgedById: user.id },
      { kind: 'acknowledged', at: T + 1, value: 120, actor: 'Mei', actorId: user.id, note: 'on my way' });
    notify.outbox.enqueue([{ id: 'msg-1', alertId: fired.id, contactPointId: 'cp-1', kind: 'webhook', transition: 'fired', alert: null, status: 'pending',
      attempts: 0, nextAt: T, createdAt: T, expiresAt: T + 86_400_000, deliveredAt: null, httpStatus: null, error: null }], [{ alertId: fired.id, policyId: 'p', kind: 'repeat', dueAt: T + 600_000 }]);
    old.silences.create({ id: 'sil-1', match: { district: 'Xixia' }, from: T, to: T + 3_600_000, reason: 'works', createdBy: 'Mei', createdById: user.id, createdAt: T });
    old.state.putPending({ ruleId: 'smoke', deviceId: 'smoke-1', since: T, value: 14, lastAt: T + 5, dueAt: T + 60_000 });
    db.prepare("INSERT INTO alert_devices (device_id, domain, type, district, last_ts, last_seen, registered, left_at) VALUES ('gas-1', 'safety', 'gas', 'Xixia', ?, ?, 1, ?)").run(T, T, T + 9);
    old.state.putHold('smoke', 'smoke-2');
    createSqlitePositionStore(db).set('stream:alerts', acked.eventId);
    db.close();
    expect([userVersion(d), ownAlertCount(d)]).toEqual([MAIN_META_STEPS, String(ALERT_MIGRATIONS.length)]);

    const s = open(d); // an ALTER TABLE or CREATE TABLE of the alert steps run a second time would throw here
    expect(userVersion(d)).toBe(META_MIGRATIONS.length);
    expect(ownAlertCount(d)).toBeUndefined(); // one count of steps now: user_version
    expect(schemaOf(d)).toEqual(freshSchema());

    expect(s.devices.get('gas-1')).toMatchObject({ district: 'Xixia', location: { lat: 38.5, lon: 106.2 }, lastSeen: T, latest: { co: { v: 120, t: T } } });
    expect(s.devices.secretHash('gas-1')).toBe('hmac-sha256$abc');
    expect(s.tokens.findByHash('token-hash')).toEqual(token);
    expect(s.users.findByUsername('mei')).toEqual({ user, passwordHash: 'scrypt$pw' });
    expect(s.sessions.get('sess-1')).toMatchObject({ userId: user.id });
    expect(s.deadLetters.list({ limit: 10 }).map((l) => l.detail)).toEqual(['not JSON']);
    expect(s.installation.deviceSecretKey().equals(key)).toBe(true);
    expect(s.notificationStores.contactPoints.get('cp-1')).toMatchObject({ name: 'pager' });
    expect(s.notificationStores.outbox.due(T, 10).map((x) => x.id)).toEqual(['msg-1']);
    expect(s.notificationStores.outbox.timers(fired.id)).toEqual([{ alertId: fired.id, policyId: 'p', kind: 'repeat', dueAt: T + 600_000 }]);
    const a = s.alertStores;
    expect(a.rules.list()).toEqual([rule]);
    expect(a.rules.seedBuiltins([rule], [])).toEqual([]); // the record of rules offered survived
    expect(a.alerts.get(fired.id)).toEqual(acked);
    expect(a.alerts.transitions(fired.id).map((t) => [t.eventId, t.kind, t.actorId, t.note])).toEqual([[fired.eventId, 'fired', null, undefined], [acked.eventId, 'acknowledged', user.id, 'on my way']]);
    expect(a.alerts.eventsAfter(0, 10).map((e) => e.alert.state)).toEqual(['firing', 'acknowledged']);
    expect(a.silences.list().map((x) => x.id)).toEqual(['sil-1']);
    expect(a.state.pending()).toEqual([{ ruleId: 'smoke', deviceId: 'smoke-1', since: T, value: 14, lastAt: T + 5, dueAt: T + 60_000 }]);
    expect(a.state.watermarks()).toEqual([{ deviceId: 'gas-1', domain: 'safety', type: 'gas', district: 'Xixia', lastTs: T, registered: true }]);
    // Its goodbye, which the alert tables kept, is device status's now: carried over to devices.left_at (meta step 12).
    expect(s.devices.get('gas-1')!.leftAt).toBe(T + 9);
    expect(a.state.holds()).toEqual([{ ruleId: 'smoke', deviceId: 'smoke-2' }]);
    expect(s.positions.get('stream:alerts')).toBe(acked.eventId);
    // eventIds go on from where the file left them.
    const resolved = a.alerts.transition({ ...acked, state: 'resolved', resolvedAt: T + 2, resolvedBy: 'system' }, { kind: 'resolved', at: T + 2, value: 10, actor: 'system' });
    expect(resolved.eventId).toBeGreaterThan(acked.eventId);

    await s.close();
    opened.pop();
    open(d); // and a second open of the migrated file runs nothing
    expect(userVersion(d)).toBe(META_MIGRATIONS.length);
    expect(schemaOf(d)).toEqual(freshSchema());
  });

  it('brings the alert tables of an older version up to date, keeping what they hold, and runs each step once', async () => {
    const d = tempDir('first');
    const db = writeAsBefore(d, { metaSteps: MAIN_META_STEPS, alertSteps: 0 }); // the tables as the first release created them
    db.prepare('INSERT INTO alert_pending (rule_id, device_id, since, value, due_at) VALUES (?, ?, ?, ?, ?)').run('r', 'd', 1, 2, 3);
    db.close();
    let stores = open(d);
    // A pending row from before lastAt was kept: its newest reading is taken to be its first.
    expect(stores.alertStores.state.pending()).toEqual([{ ruleId: 'r', deviceId: 'd', since: 1, value: 2, lastAt: 1, dueAt: 3 }]);
    stores.alertStores.state.putHold('carbon-monoxide', 'gas-1');
    await stores.close();
    stores = open(d);
    expect(stores.alertStores.state.holds()).toEqual([{ ruleId: 'carbon-monoxide', deviceId: 'gas-1' }]);
    expect(schemaOf(d)).toEqual(freshSchema());
  });

  it('on a database the first release seeded (no record of which rules), adds only the built-in rules it did not have', () => {
    const d = tempDir('seeded');
    const db = writeAsBefore(d, { metaSteps: 1, alertSteps: 0 }); // as the first release left it: rules seeded, then 'noise' deleted by an admin
    const smoke = { ...rule, metric: 'co', condition: { op: '>' as const, value: 1 }, severity: 'info' as const };
    db.prepare('INSERT INTO alert_rules (id, body) VALUES (?, ?)').run('smoke', JSON.stringify({ ...smoke, condition: { op: '>', value: 12 } }));
    db.prepare("INSERT INTO alert_meta (key, value) VALUES ('rules_seeded', '1')").run();
    db.close();
    const { rules } = open(d).alertStores;
    const added = rules.seedBuiltins([smoke, { ...smoke, id: 'noise' }, { ...smoke, id: 'methane-warning' }], ['smoke', 'noise']);
    expect(added.map((r) => r.id)).toEqual(['methane-warning']);
    expect(rules.list().map((r) => [r.id, r.condition])).toEqual([['smoke', { op: '>', value: 12 }], ['methane-warning', { op: '>', value: 1 }]]);
  });

  it('keeps who did a transition by id (alert step 4), and reads transitions recorded before that with no id', () => {
    const d = tempDir('v2');
    // A database at the alert tables' own step 2 (the release before actor ids; meta step 3, before users), holding an acknowledged alert.
    const db = writeAsBefore(d, { metaSteps: 3, alertSteps: 2 });
    db.prepare("INSERT INTO alerts (rule_id, device_id, domain, severity, state, fired_at, event_id, body) VALUES ('r', 'gas-1', 'safety', 'warning', 'acknowledged', 1, 1, ?)")
      .run(JSON.stringify({ ...newAlert('gas-1', { severity: 'warning' }), state: 'acknowledged', acknowledgedAt: 2, acknowledgedBy: 'Mei' }));
    db.prepare("INSERT INTO alert_events (alert_id, kind, at, value, actor, note, alert) VALUES (1, 'acknowledged', 2, 1, 'Mei', NULL, '{}')").run();
    db.prepare("INSERT INTO alert_devices (device_id, domain, type, district, last_ts, last_seen, registered) VALUES ('gas-1', 'safety', 'gas', NULL, 5, 6, 1)").run();
    db.close();
    const stores = open(d).alertStores;
    expect(stores.alerts.transitions(1)).toEqual([{ eventId: 1, alertId: 1, kind: 'acknowledged', at: 2, value: 1, actor: 'Mei', actorId: null }]);
    expect(stores.alerts.get(1)).toMatchObject({ acknowledgedBy: 'Mei' });
    expect(stores.state.watermarks()).toEqual([{ deviceId: 'gas-1', domain: 'safety', type: 'gas', district: null, lastTs: 5, registered: true }]);
    const a = stores.alerts.get(1)!;
    stores.alerts.transition({ ...a, state: 'resolved', resolvedAt: 3, resolvedBy: 'night desk', resolvedById: 'token:t1' }, { kind: 'resolved', at: 3, value: 1, actor: 'night desk', actorId: 'token:t1' });
    expect(stores.alerts.transitions(1).map((x) => x.actorId)).toEqual([null, 'token:t1']);
    expect(stores.alerts.get(1)).toMatchObject({ resolvedBy: 'night desk', resolvedById: 'token:t1' });
    // Step 4 is recorded as done where every step now is: user_version (the alert tables' own count is retired).
    expect([userVersion(d), ownAlertCount(d)]).toEqual([META_MIGRATIONS.length, undefined]);
    expect(schemaOf(d)).toEqual(freshSchema());
  });

  it('adds the alert tables to a file that never had them (opened only by the meta stores of the build before)', () => {
    const d = tempDir('no-alerts');
    const db = writeAsBefore(d, { metaSteps: MAIN_META_STEPS });
    db.prepare("INSERT INTO devices (id, domain, type, secret_hash, created_at) VALUES ('gas-9', 'safety', 'gas', 'h', 1)").run(); // as that build wrote it
    db.close();
    const s = open(d);
    expect(s.devices.get('gas-9')).toMatchObject({ type: 'gas' });
    expect(s.alertStores.alerts.open(newAlert('gas-9'), { kind: 'fired', at: T, value: 120, actor: 'system' }).eventId).toBe(1);
    expect(schemaOf(d)).toEqual(freshSchema());
  });

  it('refuses a file whose alert tables counted more steps than this build knows, naming them', () => {
    const d = tempDir('newer-alerts');
    const db = writeAsBefore(d, { metaSteps: MAIN_META_STEPS, alertSteps: ALERT_MIGRATIONS.length });
    db.prepare("UPDATE alert_meta SET value = ? WHERE key = 'schema'").run(String(ALERT_MIGRATIONS.length + 1));
    db.close();
    expect(() => createSqliteStores(d)).toThrow(`alert tables: schema step ${ALERT_MIGRATIONS.length + 1} is newer than this build knows (${ALERT_MIGRATIONS.length})`);
    expect(userVersion(d)).toBe(MAIN_META_STEPS); // nothing of the file changed
  });
});
