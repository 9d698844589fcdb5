import { join } from 'node:path';
import type { Logger } from '../../core/index.js';
import type { AlertStores } from '../alert-ports.js';
import type { NotificationStores } from '../notify-ports.js';
import type { DeadLetterStore, DeviceRegistry, InstallationStore, PositionStore, TokenStore } from '../ports.js';
import type { SessionStore, UserStore } from '../user-ports.js';
import { createSqliteAlertStores } from './alert-stores.js';
import { createSqliteDeadLetterStore } from './dead-letters.js';
import { createSqliteDeviceRegistry } from './devices.js';
import { createSqliteInstallationStore } from './installation.js';
import { META_MIGRATIONS } from './meta-migrations.js';
import { createSqliteNotificationStores } from './notify-stores.js';
import { openSqlite, type SqliteDb } from './open.js';
import { createSqlitePositionStore } from './positions.js';
import { createSqliteReadingStore, type SqliteReadingStore } from './readings.js';
import { createSqliteSessionStore } from './sessions.js';
import { createSqliteTokenStore } from './tokens.js';
import { createSqliteUserStore } from './users.js';

export interface SqliteStoresOptions {
  /** Keep readings in SQLite too (no InfluxDB configured): `${dataDir}/readings.db`. */
  readings?: { log: Logger };
  deadLetterMaxRows?: number;
  deadLetterMaxBytes?: number;
}

/** Every SQLite store of one data directory: the shared state in `citysense.db`, and `readings.db` when asked for. */
export interface SqliteStores {
  devices: DeviceRegistry;
  tokens: TokenStore;
  users: UserStore;
  sessions: SessionStore;
  deadLetters: DeadLetterStore;
  installation: InstallationStore;
  /** Rules, alerts and their transitions, silences, the engine's pending/hold state. */
  alertStores: AlertStores;
  /** Contact points, policies, the outbox (written in the alert store's transitions, through its record hook). */
  notificationStores: NotificationStores;
  positions: PositionStore;
  /** The embedded reading store, when `readings` was given (not started: its start() opens it). */
  readings?: SqliteReadingStore;
  /** Closes citysense.db at once (before it returns) and the reading store; calling it again does nothing. */
  close(): Promise<void>;
}

/** Opens `${dataDir}/citysense.db` (creating the folder and bringing its schema up to date), with the same settings every opener uses. */
export function openMetaDb(dataDir: string): SqliteDb {
  return openSqlite(join(dataDir, 'citysense.db'), { migrations: META_MIGRATIONS });
}

/** Opens every SQLite store of `dataDir`; no database handle leaves: one close() ends them all. */
export function createSqliteStores(dataDir: string, opts: SqliteStoresOptions = {}): SqliteStores {
  const db = openMetaDb(dataDir);
  try {
    const readings = opts.readings ? createSqliteReadingStore({ file: join(dataDir, 'readings.db'), log: opts.readings.log }) : undefined;
    return {
      devices: createSqliteDeviceRegistry(db),
      tokens: createSqliteTokenStore(db),
      users: createSqliteUserStore(db),
      sessions: createSqliteSessionStore(db),
      deadLetters: createSqliteDeadLetterStore(db, opts.deadLetterMaxRows, opts.deadLetterMaxBytes),
      installation: createSqliteInstallationStore(db),
      alertStores: createSqliteAlertStores(db),
      notificationStores: createSqliteNotificationStores(db),
      positions: createSqlitePositionStore(db),
      ...(readings ? { readings } : {}),
      close() {
        if (db.open) db.close();
        return readings ? readings.close() : Promise.resolve();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
