// Every contract of the state several nodes will share, run against
// createPostgresStores on a private PostgreSQL 15 cluster (one per file, tests/fixtures/postgres.ts), a new database
// per test. What only PostgreSQL has (its migrations, run by two nodes at once) is tested at the end.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NewAlert } from '../../src/core/index.js';
import { createPostgresStores, type PostgresStores } from '../../src/storage/index.js';
import { openPool } from '../../src/storage/postgres/db.js';
import { migrate, PG_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { startPrivatePostgres, type PrivatePostgres } from '../fixtures/postgres.js';
import type { Opened, Place } from './contract-helpers.js';
import { deadLetterStoreContract } from './dead-letter-store.contract.js';
import { deviceRegistryContract } from './device-registry.contract.js';
import { installationStoreContract } from './installation-store.contract.js';
import { notificationStoreContract } from './notification-store.contract.js';
import { alertStateStoreContract } from './alert-state-store.contract.js';
import { alertStoreContract } from './alert-store.contract.js';
import { positionStoreContract } from './position-store.contract.js';
import { ruleStoreContract } from './rule-store.contract.js';
import { silenceStoreContract } from './silence-store.contract.js';
import { tokenStoreContract } from './token-store.contract.js';
import { userStoreContract } from './user-store.contract.js';

let cluster: PrivatePostgres;
/** Stores a contract leaves open (the notification contract has no teardown): closed before the cluster stops. */
const lingering: PostgresStores[] = [];
beforeAll(async () => { cluster = await startPrivatePostgres(); }, 120_000);
afterAll(async () => {
  for (const s of lingering) await s.close();
  await cluster?.close();
}, 60_000);

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
alertStoreContract('postgres', { place: () => place((s) => ({ alerts: s.alertStores.alerts })) });
alertStateStoreContract('postgres', { place: () => place((s) => ({ state: s.alertStores.state })) });
notificationStoreContract('postgres', {
  async open() {
    const s = await createPostgresStores(await cluster.createDatabase());
    lingering.push(s);
    return { stores: s.notificationStores, alerts: s.alertStores.alerts };
  },
});
userStoreContract('postgres', { open: () => fresh((s) => ({ users: s.users, sessions: s.sessions, tokens: s.tokens })) });

describe('PostgreSQL alert eventIds', () => {
  const newAlert = (deviceId: string): NewAlert => ({
    ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId, domain: 'safety', type: 'gas', district: null, metric: 'co',
    severity: 'critical', state: 'firing', message: 'co', value: 60, threshold: 50, firedAt: 1_000, acknowledgedAt: null, acknowledgedBy: null,
    resolvedAt: null, resolvedBy: null, lastValue: 60, lastValueAt: 1_000, silenced: false,
  });

  it('are handed out in commit order across nodes: a transition waits for one that took its eventId earlier and has not committed', async () => {
    const url = await cluster.createDatabase();
    const node = await createPostgresStores(url);
    const other = openPool(url); // another node, in the middle of a transition: eventId taken, not yet committed
    const c = await other.connect();
    try {
      await c.query('BEGIN');
      const taken = (await c.query<{ last: number }>('UPDATE alert_event_counter SET last = last + 1 RETURNING last')).rows[0]!.last;
      await c.query("INSERT INTO alert_events (event_id, alert_id, kind, at, value, actor, alert) VALUES ($1, 0, 'fired', 1, 1, 'system', '{}')", [taken]);
      const order: string[] = [];
      const opening = node.alertStores.alerts.open(newAlert('gas-1'), { kind: 'fired', at: 2, value: 60, actor: 'system' })
        .then((a) => { order.push('this node opened'); return a; });
      await new Promise((r) => setTimeout(r, 500));
      // A reader now must not see a later eventId while the earlier one can still commit: it would resume past it.
      expect((await node.alertStores.alerts.eventsAfter(0, 10)).map((e) => e.eventId)).toEqual([]);
      order.push('other node committed');
      await c.query('COMMIT');
      const a = await opening;
      expect(order).toEqual(['other node committed', 'this node opened']);
      expect(a.eventId).toBe(taken + 1);
      expect((await node.alertStores.alerts.eventsAfter(0, 10)).map((e) => e.eventId)).toEqual([taken, taken + 1]);
    } finally {
      c.release();
      await other.end();
      await node.close();
      await cluster.dropDatabase(url);
    }
  });

  it('stay strictly increasing and unique when two nodes record transitions at once', async () => {
    const url = await cluster.createDatabase();
    const nodes = [await createPostgresStores(url), await createPostgresStores(url)];
    try {
      const opened = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        nodes[i % 2]!.alertStores.alerts.open(newAlert(`gas-${i}`), { kind: 'fired', at: i, value: 60, actor: 'system' })));
      const events = await nodes[0]!.alertStores.alerts.eventsAfter(0, 100);
      expect(events.map((e) => e.eventId)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(new Set(opened.map((a) => a.eventId)).size).toBe(40);
    } finally {
      for (const n of nodes) await n.close();
      await cluster.dropDatabase(url);
    }
  });
});

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
