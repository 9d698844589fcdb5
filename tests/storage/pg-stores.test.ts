// Every contract of the state several nodes will share that has a PostgreSQL adapter yet (not yet: the alert store
// and the notification stores), run against
// createPostgresStores on a private PostgreSQL 15 cluster (one per file, tests/fixtures/postgres.ts), a new database
// per test. What only PostgreSQL has (its migrations, run by two nodes at once) is tested at the end.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPostgresStores, type PostgresStores } from '../../src/storage/index.js';
import { openPool } from '../../src/storage/postgres/db.js';
import { migrate, PG_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { startPrivatePostgres, type PrivatePostgres } from '../fixtures/postgres.js';
import type { Opened, Place } from './contract-helpers.js';
import { deadLetterStoreContract } from './dead-letter-store.contract.js';
import { deviceRegistryContract } from './device-registry.contract.js';
import { installationStoreContract } from './installation-store.contract.js';
import { alertStateStoreContract } from './alert-state-store.contract.js';
import { positionStoreContract } from './position-store.contract.js';
import { ruleStoreContract } from './rule-store.contract.js';
import { silenceStoreContract } from './silence-store.contract.js';
import { tokenStoreContract } from './token-store.contract.js';
import { userStoreContract } from './user-store.contract.js';

let cluster: PrivatePostgres;
beforeAll(async () => { cluster = await startPrivatePostgres(); }, 120_000);
afterAll(async () => { await cluster?.close(); }, 60_000);

type Opts = Parameters<typeof createPostgresStores>[1];

/** A new database: each open() is createPostgresStores on it (as a restart or a second node would open it). */
async function place<T>(pick: (s: PostgresStores) => T, opts?: Opts): Promise<Place<T>> {
  const url = await cluster.createDatabase();
  return {
    async open(): Promise<Opened<T>> {
      const s = await createPostgresStores(url, opts);
      return { ...pick(s), close: () => s.close() };
    },
    remove: () => cluster.dropDatabase(url),
  };
}

/** Stores on a new, empty database; closing them drops it. */
async function fresh<T>(pick: (s: PostgresStores) => T, opts?: Opts): Promise<Opened<T>> {
  const p = await place(pick, opts);
  const opened = await p.open();
  return { ...opened, async close() { await opened.close(); await p.remove(); } };
}

deviceRegistryContract('postgres', { open: () => fresh((s) => ({ devices: s.devices })) });
tokenStoreContract('postgres', { open: () => fresh((s) => ({ tokens: s.tokens })) });
deadLetterStoreContract('postgres', {
  open: (bound) => fresh((s) => ({ deadLetters: s.deadLetters }), { deadLetterMaxRows: bound?.maxRows, deadLetterMaxBytes: bound?.maxBytes }),
});
installationStoreContract('postgres', { place: () => place((s) => ({ installation: s.installation })) });
positionStoreContract('postgres', { place: () => place((s) => ({ positions: s.positions })) });
ruleStoreContract('postgres', { place: () => place((s) => ({ rules: s.alertStores.rules })) });
silenceStoreContract('postgres', { place: () => place((s) => ({ silences: s.alertStores.silences })) });
alertStateStoreContract('postgres', { place: () => place((s) => ({ state: s.alertStores.state })) });
userStoreContract('postgres', { open: () => fresh((s) => ({ users: s.users, sessions: s.sessions, tokens: s.tokens })) });

describe('PostgreSQL migrations', () => {
  it('two nodes migrating an empty database at once both succeed and leave one schema, each step run once', async () => {
    const url = await cluster.createDatabase();
    const pools = [openPool(url), openPool(url)];
    try {
      const ran = await Promise.all(pools.map((p) => migrate(p)));
      expect(ran.sort()).toEqual([0, PG_MIGRATIONS.length]);
      const steps = await pools[0]!.query<{ step: number }>('SELECT step FROM schema_migrations ORDER BY step');
      expect(steps.rows.map((r) => r.step)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
      const tables = await pools[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'devices'");
      expect(tables.rows[0]!.n).toBe(1);
      expect(await migrate(pools[1]!)).toBe(0); // a restart runs nothing
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await cluster.dropDatabase(url);
    }
  });

  it('refuses a database whose schema is newer than the build, naming both steps', async () => {
    const url = await cluster.createDatabase();
    const pool = openPool(url);
    try {
      await migrate(pool);
      await expect(migrate(pool, PG_MIGRATIONS.slice(0, 1))).rejects.toThrow(`at step ${PG_MIGRATIONS.length}, newer than this build knows (1)`);
    } finally {
      await pool.end();
      await cluster.dropDatabase(url);
    }
  });

  it('rejects with a message naming the database when it cannot be reached', async () => {
    await expect(createPostgresStores('postgres://nobody@127.0.0.1:1/citysense')).rejects.toThrow(/cannot open PostgreSQL database 127\.0\.0\.1:1\/citysense/);
  });
});
