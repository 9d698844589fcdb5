import type { AlertStateStore, AlertStore, RuleStore, SilenceStore } from '../alert-ports.js';
import type { Async } from '../async.js';
import type { ContactPointStore, OutboxStore, PolicyStore } from '../notify-ports.js';
import type { DeadLetterStore, DeviceRegistry, InstallationStore, PositionStore, TokenStore } from '../ports.js';
import type { SessionStore, UserStore } from '../user-ports.js';
import { createPgAlertStateStore } from './alert-state.js';
import { createPgAlertStore } from './alerts.js';
import { openPool } from './db.js';
import { createPgDeadLetterStore } from './dead-letters.js';
import { createPgDeviceRegistry } from './devices.js';
import { createHookScope } from './hook-scope.js';
import { createPgInstallationStore } from './installation.js';
import { migrate } from './migrations.js';
import { createPgNotificationStores } from './notify-stores.js';
import { createPgPositionStore } from './positions.js';
import { createPgRuleStore } from './rules.js';
import { createPgSessionStore } from './sessions.js';
import { createPgSilenceStore } from './silences.js';
import { createPgTokenStore } from './tokens.js';
import { createPgUserStore } from './users.js';

export interface PostgresStoresOptions {
  deadLetterMaxRows?: number;
  deadLetterMaxBytes?: number;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/** The shared state on PostgreSQL: the async twins of the SQLite stores' ports (not yet used by the app). */
export interface PostgresStores {
  devices: Async<DeviceRegistry>;
  tokens: Async<TokenStore>;
  users: Async<UserStore>;
  sessions: Async<SessionStore>;
  deadLetters: Async<DeadLetterStore>;
  installation: Async<InstallationStore>;
  positions: Async<PositionStore>;
  /** Alerts and their transitions, rules, silences and the engine's pending/hold state. */
  alertStores: { alerts: Async<AlertStore>; rules: Async<RuleStore>; silences: Async<SilenceStore>; state: Async<AlertStateStore> };
  /** Contact points, policies, the outbox: what a record hook enqueues joins the transition's transaction (hook-scope.ts). */
  notificationStores: { contactPoints: Async<ContactPointStore>; policies: Async<PolicyStore>; outbox: Async<OutboxStore> };
  /** Ends the pool's connections; calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * Connects to `databaseUrl` (`postgres://…`), brings its schema up to date (migrations.ts: safe when several nodes
 * start at once) and returns every PostgreSQL store on one pool. Rejects, naming the database, when it cannot.
 */
export async function createPostgresStores(databaseUrl: string, opts: PostgresStoresOptions = {}): Promise<PostgresStores> {
  const pool = openPool(databaseUrl, opts.poolSize);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    const where = new URL(databaseUrl);
    where.password = '';
    throw new Error(`cannot open PostgreSQL database ${where.host}${where.pathname}: ${(err as Error).message}`, { cause: err });
  }
  let closed = false;
  const scope = createHookScope(pool);
  return {
    devices: createPgDeviceRegistry(pool),
    tokens: createPgTokenStore(pool),
    users: createPgUserStore(pool),
    sessions: createPgSessionStore(pool),
    deadLetters: createPgDeadLetterStore(pool, opts.deadLetterMaxRows, opts.deadLetterMaxBytes),
    installation: createPgInstallationStore(pool),
    positions: createPgPositionStore(pool),
    alertStores: {
      alerts: createPgAlertStore(pool, scope), rules: createPgRuleStore(pool), silences: createPgSilenceStore(pool), state: createPgAlertStateStore(pool) },
    notificationStores: createPgNotificationStores(pool, scope),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
