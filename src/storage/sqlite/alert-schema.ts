import type { Migration, SqliteDb } from './open.js';

// The alert tables joined the meta migrations (one scheme, `PRAGMA user_version`) after releases in which they
// migrated themselves, on the same file, keeping their own count of steps done in `alert_meta` `schema`. The steps
// below adopt such a file: each skips what that count says is done, so no step runs twice and nothing is lost.

/**
 * The alert tables as their first release created them (every statement IF NOT EXISTS: a file that has them
 * already keeps them). Released: never edited. Alerts keep their filterable fields in columns and the whole object
 * as JSON, so adding a field needs no migration. AUTOINCREMENT on alert_events makes eventIds strictly increasing
 * and never reused.
 */
export const ALERT_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS alert_rules (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  domain TEXT NOT NULL,
  severity TEXT NOT NULL,
  state TEXT NOT NULL,
  fired_at INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_active ON alerts (id) WHERE state <> 'resolved';
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, id);
CREATE INDEX IF NOT EXISTS alerts_device ON alerts (device_id, id);
CREATE TABLE IF NOT EXISTS alert_events (
  event_id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  value REAL,
  actor TEXT NOT NULL,
  note TEXT,
  alert TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events (alert_id, event_id);
CREATE TABLE IF NOT EXISTS alert_silences (
  id TEXT PRIMARY KEY,
  from_ts INTEGER NOT NULL,
  to_ts INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_pending (
  rule_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  since INTEGER NOT NULL,
  value REAL NOT NULL,
  due_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_devices (
  device_id TEXT PRIMARY KEY,
  domain TEXT NOT NULL,
  type TEXT NOT NULL,
  district TEXT,
  last_ts INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  registered INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * The alert tables' steps after ALERT_TABLES_SQL, released when those tables still counted their own steps (in
 * `alert_meta` `schema`) and migrated themselves. Never edited: files out there have run them. New alert steps are
 * appended to META_MIGRATIONS like any other.
 */
export const ALERT_MIGRATIONS: readonly string[] = [
  // 1: a (rule, device) pair whose alert was resolved by hand waits for its clear condition before a new episode.
  `CREATE TABLE alert_holds (
    rule_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (rule_id, device_id)
  ) WITHOUT ROWID;`,
  // 2: a pending `for` keeps its newest reading's event time (the alert's lastValueAt when its timer fires).
  'ALTER TABLE alert_pending ADD COLUMN last_at INTEGER;',
  // 3: a device that said goodbye (its own `offline`, a clean DISCONNECT) is not swept as stale until it is back.
  'ALTER TABLE alert_devices ADD COLUMN left_at INTEGER;',
  // 4: a transition keeps who did it by id too (a user id, or `token:{id}`); null for the engine and older rows.
  'ALTER TABLE alert_events ADD COLUMN actor_id TEXT;',
];

/** The step count the alert tables kept themselves before they joined the meta migrations (0: none). */
function ownStepCount(db: SqliteDb): number {
  const row = db.prepare<[], { value: string }>("SELECT value FROM alert_meta WHERE key = 'schema'").get();
  return row ? Number(row.value) : 0;
}

/** ALERT_MIGRATIONS' step `n` (1-based) as a meta migration: skipped on a file whose own count has it done. */
const adopted = (n: number, name: string): Migration => ({
  name,
  up(db) {
    if (ownStepCount(db) < n) db.exec(ALERT_MIGRATIONS[n - 1]!);
  },
});

/** The alert tables as meta migrations (steps 5–10 of META_MIGRATIONS). */
export const ALERT_TABLE_STEPS: readonly Migration[] = [
  {
    name: 'alert tables: rules, alerts, transitions, silences, pending, device watermarks, alert_meta (kept where they exist)',
    up(db) {
      db.exec(ALERT_TABLES_SQL);
      const done = ownStepCount(db);
      if (done > ALERT_MIGRATIONS.length) throw new Error(`alert tables: schema step ${done} is newer than this build knows (${ALERT_MIGRATIONS.length})`);
    },
  },
  adopted(1, 'alert holds (a pair resolved by hand waits for its clear level)'),
  adopted(2, "alert_pending.last_at (a pending `for`'s newest reading time)"),
  adopted(3, 'alert_devices.left_at (a device that said goodbye is not swept as stale)'),
  adopted(4, 'alert_events.actor_id (who did a transition, by id)'),
  {
    name: 'alert tables: their own step count retired (user_version counts their steps from here on)',
    up: "DELETE FROM alert_meta WHERE key = 'schema';",
  },
];
