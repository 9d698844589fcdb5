import { conflict } from '../../core/index.js';
import type { Async } from '../async.js';
import type {
  ContactPoint, ContactPointStore, Delivery, DeliveryAttempt, IdStore, NotificationPolicy, NotificationTimer, OutboxStore, PolicyStore,
} from '../notify-ports.js';
import { isUniqueViolation, type PgClient, type PgPool } from './db.js';
import type { HookScope } from './hook-scope.js';

interface TimerRow { alert_id: number; policy_id: string; kind: NotificationTimer['kind']; due_at: number }
interface AttemptRow { delivery_id: string; attempt: number; at: number; status: DeliveryAttempt['status']; http_status: number | null; error: string | null }

const toTimer = (r: TimerRow): NotificationTimer => ({ alertId: r.alert_id, policyId: r.policy_id, kind: r.kind, dueAt: r.due_at });
const toAttempt = (r: AttemptRow): DeliveryAttempt => ({ deliveryId: r.delivery_id, attempt: r.attempt, at: r.at, status: r.status, httpStatus: r.http_status, error: r.error });

/** A table of JSON bodies keyed by id, in creation order: contact points and policies are both that. */
function bodyTable<T extends { id: string }>(pool: PgPool, table: string, what: string): { [K in keyof IdStore<T>]: (...a: Parameters<IdStore<T>[K]>) => Promise<ReturnType<IdStore<T>[K]>> } {
  return {
    async list() {
      return (await pool.query<{ body: T }>(`SELECT body FROM ${table} ORDER BY seq`)).rows.map((r) => r.body);
    },
    async get(id) {
      return (await pool.query<{ body: T }>(`SELECT body FROM ${table} WHERE id = $1`, [id])).rows[0]?.body;
    },
    async create(item) {
      try {
        await pool.query(`INSERT INTO ${table} (id, body) VALUES ($1, $2)`, [item.id, JSON.stringify(item)]);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`${what} ${item.id} already exists`);
        throw err;
      }
      return item;
    },
    async update(item) {
      return (await pool.query(`UPDATE ${table} SET body = $1 WHERE id = $2`, [JSON.stringify(item), item.id])).rowCount! > 0;
    },
    async delete(id) {
      return (await pool.query(`DELETE FROM ${table} WHERE id = $1`, [id])).rowCount! > 0;
    },
  };
}

async function insertAll(c: PgClient, deliveries: readonly Delivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  // The identity `seq` follows the arrays' order: deliveries of one alert list in the order they were enqueued.
  await c.query(
    `INSERT INTO notification_outbox (id, alert_id, contact_point_id, status, next_at, created_at, body)
     SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::jsonb[])`,
    [deliveries.map((d) => d.id), deliveries.map((d) => d.alertId), deliveries.map((d) => d.contactPointId), deliveries.map((d) => d.status),
      deliveries.map((d) => d.nextAt), deliveries.map((d) => d.createdAt), deliveries.map((d) => JSON.stringify(d))],
  );
}

const save = (c: PgClient, d: Delivery) =>
  c.query('UPDATE notification_outbox SET status = $1, next_at = $2, body = $3 WHERE id = $4', [d.status, d.nextAt, JSON.stringify(d), d.id]);

/** Contact points, policies and the outbox on PostgreSQL; `enqueue` and `settleTimer` join a record hook's transaction (hook-scope.ts). */
export function createPgNotificationStores(pool: PgPool, scope: HookScope) {
  const contactPoints: Async<ContactPointStore> = bodyTable<ContactPoint>(pool, 'contact_points', 'contact point');
  const policies: Async<PolicyStore> = bodyTable<NotificationPolicy>(pool, 'notification_policies', 'notification policy');
  const bodies = async (sql: string, params: unknown[]) => (await pool.query<{ body: Delivery }>(sql, params)).rows.map((r) => r.body);

  const outbox: Async<OutboxStore> = {
    async enqueue(deliveries, timers = []) {
      if (deliveries.length === 0 && timers.length === 0) return;
      await scope.write(async (c) => {
        await insertAll(c, deliveries);
        for (const t of timers) {
          await c.query(`INSERT INTO notification_timers (alert_id, policy_id, kind, due_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (alert_id, policy_id, kind) DO UPDATE SET due_at = excluded.due_at`, [t.alertId, t.policyId, t.kind, t.dueAt]);
        }
      });
    },
    async get(id) {
      return (await bodies('SELECT body FROM notification_outbox WHERE id = $1', [id]))[0];
    },
    due: (now, limit) => bodies("SELECT body FROM notification_outbox WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, created_at LIMIT $2", [now, limit]),
    async nextDueAt() {
      const { rows } = await pool.query<{ next: number | null }>("SELECT min(next_at) AS next FROM notification_outbox WHERE status = 'pending'");
      return rows[0]?.next ?? undefined;
    },
    recordAttempt(d, a) {
      return scope.write(async (c) => {
        await c.query(`INSERT INTO notification_attempts (delivery_id, attempt, at, status, http_status, error) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (delivery_id, attempt) DO UPDATE SET at = excluded.at, status = excluded.status, http_status = excluded.http_status, error = excluded.error`,
        [a.deliveryId, a.attempt, a.at, a.status, a.httpStatus, a.error]);
        await save(c, d);
      });
    },
    async forAlert(alertId) {
      const deliveries = await bodies('SELECT body FROM notification_outbox WHERE alert_id = $1 ORDER BY created_at, seq', [alertId]);
      const { rows } = await pool.query<AttemptRow>('SELECT * FROM notification_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY attempt', [deliveries.map((d) => d.id)]);
      return deliveries.map((delivery) => ({ delivery, attempts: rows.filter((r) => r.delivery_id === delivery.id).map(toAttempt) }));
    },
    async depth() {
      const { rows } = await pool.query<{ n: number; oldest: number | null }>(
        "SELECT count(*)::int AS n, min(created_at) AS oldest FROM notification_outbox WHERE status = 'pending'");
      return { pending: rows[0]!.n, oldestCreatedAt: rows[0]!.oldest };
    },
    failPending(contactPointId, error, at) {
      return scope.write(async (c) => {
        const { rows } = await c.query<{ body: Delivery }>(
          "SELECT body FROM notification_outbox WHERE status = 'pending' AND contact_point_id = $1 FOR UPDATE", [contactPointId]);
        for (const r of rows) await save(c, { ...r.body, status: 'failed', error, nextAt: at });
        return rows.length;
      });
    },
    async dueTimers(now) {
      return (await pool.query<TimerRow>('SELECT * FROM notification_timers WHERE due_at <= $1 ORDER BY due_at LIMIT 500', [now])).rows.map(toTimer);
    },
    settleTimer(t, deliveries, nextDueAt) {
      return scope.write(async (c) => {
        await insertAll(c, deliveries);
        const key = [t.alertId, t.policyId, t.kind];
        if (nextDueAt === undefined) await c.query('DELETE FROM notification_timers WHERE alert_id = $1 AND policy_id = $2 AND kind = $3', key);
        else await c.query('UPDATE notification_timers SET due_at = $4 WHERE alert_id = $1 AND policy_id = $2 AND kind = $3', [...key, nextDueAt]);
      });
    },
    async timers(alertId) {
      return (await pool.query<TimerRow>('SELECT * FROM notification_timers WHERE alert_id = $1 ORDER BY due_at', [alertId])).rows.map(toTimer);
    },
  };
  return { contactPoints, policies, outbox };
}
