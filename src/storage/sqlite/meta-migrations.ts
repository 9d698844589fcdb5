import { ALERT_TABLE_STEPS } from './alert-schema.js';
import type { Migration } from './open.js';

/**
 * The schema of `citysense.db`, every table of the shared state: devices, tokens, users and sessions, dead letters,
 * notifications, the installation's values, the alert tables (steps 5–10, alert-schema.ts), named positions (11),
 * devices' goodbyes (12).
 * Append a step to extend it; a released step is never edited, since `user_version` records it as done.
 */
export const META_MIGRATIONS: readonly Migration[] = [
  {
    name: 'devices, tokens, dead letters',
    up: `
      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        domain      TEXT NOT NULL,
        type        TEXT NOT NULL,
        name        TEXT,
        district    TEXT,
        lat         REAL,
        lon         REAL,
        secret_hash TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        last_seen   INTEGER,
        latest      TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX devices_domain_type ON devices (domain, type);
      CREATE INDEX devices_district ON devices (district);

      CREATE TABLE tokens (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- AUTOINCREMENT: ids never come back after a purge, so a client's 'before' cursor stays meaningful.
      CREATE TABLE dead_letters (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at INTEGER NOT NULL,
        device_id   TEXT,
        topic       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        detail      TEXT NOT NULL,
        payload     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX dead_letters_reason ON dead_letters (reason, id);
      CREATE INDEX dead_letters_received_at ON dead_letters (received_at);
    `,
  },
  {
    name: 'notifications: contact points, policies, outbox, delivery attempts, timers',
    up: `
      CREATE TABLE contact_points (
        id   TEXT PRIMARY KEY,
        body TEXT NOT NULL
      ) STRICT;
      CREATE TABLE notification_policies (
        id   TEXT PRIMARY KEY,
        body TEXT NOT NULL
      ) STRICT;
      -- One row per notification to one contact point; its id is the webhook-id, the same on every try.
      CREATE TABLE notification_outbox (
        id               TEXT PRIMARY KEY,
        alert_id         INTEGER,
        contact_point_id TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        next_at          INTEGER NOT NULL,
        created_at       INTEGER NOT NULL,
        body             TEXT NOT NULL
      ) STRICT;
      CREATE INDEX notification_outbox_due ON notification_outbox (next_at) WHERE status = 'pending';
      CREATE INDEX notification_outbox_alert ON notification_outbox (alert_id, created_at);
      CREATE TABLE notification_attempts (
        delivery_id TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        status      TEXT NOT NULL,
        http_status INTEGER,
        error       TEXT,
        PRIMARY KEY (delivery_id, attempt)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE notification_timers (
        alert_id  INTEGER NOT NULL,
        policy_id TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('repeat', 'escalate')),
        due_at    INTEGER NOT NULL,
        PRIMARY KEY (alert_id, policy_id, kind)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX notification_timers_due ON notification_timers (due_at);
    `,
  },
  {
    name: 'installation values (the device secret key)',
    up: `
      CREATE TABLE installation (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT;
    `,
  },
  {
    name: 'users, sessions, token scopes',
    up: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        scope         TEXT,
        disabled      INTEGER NOT NULL DEFAULT 0,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

      ALTER TABLE tokens ADD COLUMN scope TEXT;
    `,
  },
  ...ALERT_TABLE_STEPS,
  {
    // IF NOT EXISTS: releases before this step created the table themselves, on first use.
    name: 'named positions (the event stream\'s last published eventId)',
    up: 'CREATE TABLE IF NOT EXISTS positions (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;',
  },
  {
    name: 'devices: goodbyes (left_at), kept by device status',
    up(db) {
      db.exec('ALTER TABLE devices ADD COLUMN left_at INTEGER');
      // The alert engine kept goodbyes before device status did (alert_devices.left_at): carried over, so a device
      // that left before the upgrade is not stale after it.
      const alertDeviceColumns = db.prepare<[], string>("SELECT name FROM pragma_table_info('alert_devices')").pluck().all();
      if (alertDeviceColumns.includes('left_at')) {
        db.exec('UPDATE devices SET left_at = (SELECT left_at FROM alert_devices WHERE alert_devices.device_id = devices.id)');
      }
    },
  },
];
