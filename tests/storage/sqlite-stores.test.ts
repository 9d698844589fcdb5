// Every contract of the state several nodes will share, run against createSqliteStores (citysense.db). Users and
// sessions: sqlite-users.test.ts; notifications: sqlite-notifications.test.ts; what only SQLite has:
// meta-stores.test.ts and meta-migrations.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { alertStateStoreContract } from './alert-state-store.contract.js';
import { alertStoreContract } from './alert-store.contract.js';
import type { Opened, Place } from './contract-helpers.js';
import { deadLetterStoreContract } from './dead-letter-store.contract.js';
import { deviceRegistryContract } from './device-registry.contract.js';
import { installationStoreContract } from './installation-store.contract.js';
import { positionStoreContract } from './position-store.contract.js';
import { ruleStoreContract } from './rule-store.contract.js';
import { silenceStoreContract } from './silence-store.contract.js';
import { tokenStoreContract } from './token-store.contract.js';

/** A new data directory: each open() is createSqliteStores on it (as a restart or a second node would open it). */
function place<T>(pick: (s: SqliteStores) => T, opts?: Parameters<typeof createSqliteStores>[1]): Place<T> {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-contract-'));
  return {
    async open(): Promise<Opened<T>> {
      const s = createSqliteStores(dir, opts);
      return { ...pick(s), close: () => s.close() };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Stores on a new, empty citysense.db; closing them removes it. */
async function fresh<T>(pick: (s: SqliteStores) => T, opts?: Parameters<typeof createSqliteStores>[1]): Promise<Opened<T>> {
  const p = place(pick, opts);
  const opened = await p.open();
  return { ...opened, async close() { await opened.close(); await p.remove(); } };
}

deviceRegistryContract('sqlite', { open: () => fresh((s) => ({ devices: s.devices })) });
tokenStoreContract('sqlite', { open: () => fresh((s) => ({ tokens: s.tokens })) });
deadLetterStoreContract('sqlite', {
  open: (bound) => fresh((s) => ({ deadLetters: s.deadLetters }), { deadLetterMaxRows: bound?.maxRows, deadLetterMaxBytes: bound?.maxBytes }),
});
installationStoreContract('sqlite', { place: async () => place((s) => ({ installation: s.installation })) });
positionStoreContract('sqlite', { place: async () => place((s) => ({ positions: s.positions })) });
ruleStoreContract('sqlite', { place: async () => place((s) => ({ rules: s.alertStores.rules })) });
silenceStoreContract('sqlite', { place: async () => place((s) => ({ silences: s.alertStores.silences })) });
alertStoreContract('sqlite', { place: async () => place((s) => ({ alerts: s.alertStores.alerts })) });
alertStateStoreContract('sqlite', { place: async () => place((s) => ({ state: s.alertStores.state })) });
