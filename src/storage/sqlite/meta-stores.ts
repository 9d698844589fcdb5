import { join } from 'node:path';
import type { DeadLetterStore, DeviceRegistry, InstallationStore, TokenStore } from '../ports.js';
import { createSqliteDeadLetterStore } from './dead-letters.js';
import { createSqliteDeviceRegistry } from './devices.js';
import { createSqliteInstallationStore } from './installation.js';
import { META_MIGRATIONS } from './meta-migrations.js';
import { openSqlite, type SqliteDb } from './open.js';
import { createSqliteSessionStore } from './sessions.js';
import { createSqliteTokenStore } from './tokens.js';
import { createSqliteUserStore } from './users.js';
import type { SessionStore, UserStore } from '../user-ports.js';

export interface SqliteMetaStores {
  devices: DeviceRegistry;
  tokens: TokenStore;
  users: UserStore;
  sessions: SessionStore;
  deadLetters: DeadLetterStore;
  installation: InstallationStore;
  /** The open citysense.db, for stores added later on the same file (alerts, rules, silences). */
  db: SqliteDb;
  close(): void;
}

/** Opens `${dataDir}/citysense.db` (creating the folder and schema) and the stores that live in it. */
export function createSqliteMetaStores(dataDir: string, opts: { deadLetterMaxRows?: number; deadLetterMaxBytes?: number } = {}): SqliteMetaStores {
  const db = openSqlite(join(dataDir, 'citysense.db'), { migrations: META_MIGRATIONS });
  return {
    devices: createSqliteDeviceRegistry(db),
    tokens: createSqliteTokenStore(db),
    users: createSqliteUserStore(db),
    sessions: createSqliteSessionStore(db),
    deadLetters: createSqliteDeadLetterStore(db, opts.deadLetterMaxRows, opts.deadLetterMaxBytes),
    installation: createSqliteInstallationStore(db),
    db,
    close() {
      if (db.open) db.close();
    },
  };
}
