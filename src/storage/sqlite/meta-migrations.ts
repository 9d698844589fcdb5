import type { Migration } from './open.js';

/**
 * The schema of `citysense.db` (devices, tokens, users and sessions, dead letters; alerts, rules and silences come later).
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
];
