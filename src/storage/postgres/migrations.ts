import type { PgPool } from './db.js';

/** One numbered step of the PostgreSQL schema: its SQL runs in one transaction, recorded in `schema_migrations`. */
export interface PgMigration {
  name: string;
  up: string;
}

/**
 * The schema of the shared state on PostgreSQL, one scheme of numbered steps (step n is `PG_MIGRATIONS[n - 1]`).
 * Append a step to extend it; a released step is never edited, since `schema_migrations` records it as done.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    name: 'devices, tokens, dead letters, installation values, named positions',
    up: `
      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        domain      TEXT NOT NULL,
        type        TEXT NOT NULL,
        name        TEXT,
        district    TEXT,
        lat         DOUBLE PRECISION,
        lon         DOUBLE PRECISION,
        secret_hash TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        last_seen   BIGINT,
        latest      JSONB NOT NULL DEFAULT '{}'
      );
      CREATE INDEX devices_domain_type ON devices (domain, type);
      CREATE INDEX devices_district ON devices (district);

      CREATE TABLE tokens (
        seq        BIGINT GENERATED ALWAYS AS IDENTITY,
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        token_hash TEXT NOT NULL UNIQUE,
        scope      JSONB,
        created_at BIGINT NOT NULL
      );

      -- An identity never hands an id out twice (also after a purge), so a client's 'before' cursor stays meaningful.
      CREATE TABLE dead_letters (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at BIGINT NOT NULL,
        device_id   TEXT,
        topic       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        detail      TEXT NOT NULL,
        payload     TEXT NOT NULL
      );
      CREATE INDEX dead_letters_reason ON dead_letters (reason, id);
      CREATE INDEX dead_letters_received_at ON dead_letters (received_at);

      CREATE TABLE installation (
        name  TEXT PRIMARY KEY,
        value BYTEA NOT NULL
      );

      CREATE TABLE positions (
        name  TEXT PRIMARY KEY,
        value BIGINT NOT NULL
      );
    `,
  },
  {
    name: 'users and sessions',
    up: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        scope         JSONB,
        disabled      BOOLEAN NOT NULL DEFAULT false,
        password_hash TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL
      );
      -- Unique ignoring case, ordered as SQLite's NOCASE orders (bytes of the lower-cased name).
      CREATE UNIQUE INDEX users_username ON users ((lower(username)) COLLATE "C");

      CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at   BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
    `,
  },
  {
    name: "rules, the built-in rules offered, silences, the alert engine's pending conditions, device watermarks and holds",
    up: `
      CREATE TABLE alert_rules (
        seq  BIGINT GENERATED ALWAYS AS IDENTITY,
        id   TEXT PRIMARY KEY,
        body JSONB NOT NULL
      );
      -- Every built-in rule id ever offered to this database: one deleted or edited by an admin is not offered again.
      CREATE TABLE builtin_rules_offered (
        id TEXT PRIMARY KEY
      );
      CREATE TABLE alert_silences (
        id      TEXT PRIMARY KEY,
        from_ts BIGINT NOT NULL,
        to_ts   BIGINT NOT NULL,
        body    JSONB NOT NULL
      );
      CREATE INDEX alert_silences_from ON alert_silences (from_ts);

      CREATE TABLE alert_pending (
        rule_id   TEXT NOT NULL,
        device_id TEXT NOT NULL,
        since     BIGINT NOT NULL,
        value     DOUBLE PRECISION NOT NULL,
        last_at   BIGINT NOT NULL,
        due_at    BIGINT NOT NULL,
        PRIMARY KEY (rule_id, device_id)
      );
      CREATE TABLE alert_devices (
        device_id  TEXT PRIMARY KEY,
        domain     TEXT NOT NULL,
        type       TEXT NOT NULL,
        district   TEXT,
        last_ts    BIGINT NOT NULL,
        last_seen  BIGINT NOT NULL,
        registered BOOLEAN NOT NULL,
        left_at    BIGINT
      );
      CREATE TABLE alert_holds (
        rule_id   TEXT NOT NULL,
        device_id TEXT NOT NULL,
        PRIMARY KEY (rule_id, device_id)
      );
    `,
  },
  {
    name: 'alerts, their transitions and the eventId counter',
    up: `
      -- Filterable fields in columns, the whole alert as JSON (a new field needs no migration).
      CREATE TABLE alerts (
        id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rule_id   TEXT NOT NULL,
        device_id TEXT NOT NULL,
        domain    TEXT NOT NULL,
        severity  TEXT NOT NULL,
        state     TEXT NOT NULL,
        fired_at  BIGINT NOT NULL,
        event_id  BIGINT NOT NULL,
        body      JSONB NOT NULL
      );
      CREATE INDEX alerts_active ON alerts (id) WHERE state <> 'resolved';
      CREATE INDEX alerts_state ON alerts (state, id);
      CREATE INDEX alerts_device ON alerts (device_id, id);
      CREATE INDEX alerts_pair ON alerts (rule_id, device_id) WHERE state <> 'resolved';

      -- eventIds come from the one-row counter, updated in each transition's transaction (alerts.ts says why).
      CREATE TABLE alert_event_counter (
        only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
        last     BIGINT NOT NULL
      );
      INSERT INTO alert_event_counter (last) VALUES (0);
      CREATE TABLE alert_events (
        event_id BIGINT PRIMARY KEY,
        alert_id BIGINT NOT NULL,
        kind     TEXT NOT NULL,
        at       BIGINT NOT NULL,
        value    DOUBLE PRECISION,
        actor    TEXT NOT NULL,
        actor_id TEXT,
        note     TEXT,
        alert    JSONB NOT NULL
      );
      CREATE INDEX alert_events_alert ON alert_events (alert_id, event_id);
    `,
  },
  {
    name: 'notifications: contact points, policies, outbox, delivery attempts, timers',
    up: `
      CREATE TABLE contact_points (
        seq  BIGINT GENERATED ALWAYS AS IDENTITY,
        id   TEXT PRIMARY KEY,
        body JSONB NOT NULL
      );
      CREATE TABLE notification_policies (
        seq  BIGINT GENERATED ALWAYS AS IDENTITY,
        id   TEXT PRIMARY KEY,
        body JSONB NOT NULL
      );
      -- One row per notification to one contact point; its id is the webhook-id, the same on every try.
      CREATE TABLE notification_outbox (
        seq              BIGINT GENERATED ALWAYS AS IDENTITY,
        id               TEXT PRIMARY KEY,
        alert_id         BIGINT,
        contact_point_id TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        next_at          BIGINT NOT NULL,
        created_at       BIGINT NOT NULL,
        body             JSONB NOT NULL
      );
      CREATE INDEX notification_outbox_due ON notification_outbox (next_at) WHERE status = 'pending';
      CREATE INDEX notification_outbox_alert ON notification_outbox (alert_id, created_at);
      CREATE TABLE notification_attempts (
        delivery_id TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        at          BIGINT NOT NULL,
        status      TEXT NOT NULL,
        http_status INTEGER,
        error       TEXT,
        PRIMARY KEY (delivery_id, attempt)
      );
      CREATE TABLE notification_timers (
        alert_id  BIGINT NOT NULL,
        policy_id TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('repeat', 'escalate')),
        due_at    BIGINT NOT NULL,
        PRIMARY KEY (alert_id, policy_id, kind)
      );
      CREATE INDEX notification_timers_due ON notification_timers (due_at);
    `,
  },
  {
    // Device status owns lastSeen and goodbyes (src/devices): the registry keeps the goodbye, the engine's watermark
    // no longer keeps either.
    name: "goodbyes on the device (devices.left_at); the alert engine's watermark keeps neither lastSeen nor goodbyes",
    up: `
      ALTER TABLE devices ADD COLUMN left_at BIGINT;
      UPDATE devices d SET left_at = a.left_at FROM alert_devices a WHERE a.device_id = d.id AND a.left_at IS NOT NULL;
      ALTER TABLE alert_devices DROP COLUMN last_seen, DROP COLUMN left_at;
    `,
  },
];

// The session advisory lock every node takes around its migration run (an arbitrary, fixed 64-bit key).
const MIGRATION_LOCK = 0x63697479_0001n;

/**
 * Brings the database's schema up to date: each missing step in its own transaction, under a session advisory lock,
 * so two nodes starting at once run every step once (the second waits, then finds them done). A database whose
 * schema is newer than this build is refused. Returns the steps it ran.
 */
export async function migrate(pool: PgPool, steps: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      step INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ done: number | null }>('SELECT max(step) AS done FROM schema_migrations');
    const done = rows[0]?.done ?? 0;
    if (done > steps.length) {
      throw new Error(`the database's schema is at step ${done}, newer than this build knows (${steps.length}): upgrade citysense`);
    }
    for (let i = done; i < steps.length; i++) {
      const step = steps[i]!;
      try {
        await client.query('BEGIN');
        await client.query(step.up);
        await client.query('INSERT INTO schema_migrations (step, name) VALUES ($1, $2)', [i + 1, step.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`PostgreSQL migration step ${i + 1} (${step.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return steps.length - done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
    client.release();
  }
}
