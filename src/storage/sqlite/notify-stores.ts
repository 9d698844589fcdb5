import type { Database } from 'better-sqlite3';
import { conflict } from '../../core/index.js';
import type {
  ContactPoint,
  ContactPointStore,
  Delivery,
  DeliveryAttempt,
  NotificationPolicy,
  NotificationStores,
  NotificationTimer,
  OutboxStore,
  PolicyStore,
} from '../notify-ports.js';

interface TimerRow { alert_id: number; policy_id: string; kind: NotificationTimer['kind']; due_at: number }
interface AttemptRow { delivery_id: string; attempt: number; at: number; status: DeliveryAttempt['status']; http_status: number | null; error: string | null }

const toTimer = (r: TimerRow): NotificationTimer => ({ alertId: r.alert_id, policyId: r.policy_id, kind: r.kind, dueAt: r.due_at });
const toAttempt = (r: AttemptRow): DeliveryAttempt => ({ deliveryId: r.delivery_id, attempt: r.attempt, at: r.at, status: r.status, httpStatus: r.http_status, error: r.error });

/** A table of JSON bodies keyed by id, in creation order: contact points and policies are both that. */
function bodyTable<T extends { id: string }>(db: Database, table: string, what: string) {
  const s = {
    list: db.prepare<[], { body: string }>(`SELECT body FROM ${table} ORDER BY rowid`),
    get: db.prepare<[string], { body: string }>(`SELECT body FROM ${table} WHERE id = ?`),
    insert: db.prepare(`INSERT INTO ${table} (id, body) VALUES (?, ?)`),
    update: db.prepare(`UPDATE ${table} SET body = ? WHERE id = ?`),
    delete: db.prepare(`DELETE FROM ${table} WHERE id = ?`),
  };
  return {
    list: () => s.list.all().map((r) => JSON.parse(r.body) as T),
    get(id: string) {
      const row = s.get.get(id);
      return row ? (JSON.parse(row.body) as T) : undefined;
    },
    create(item: T) {
      if (s.get.get(item.id)) throw conflict(`${what} ${item.id} already exists`);
      s.insert.run(item.id, JSON.stringify(item));
      return item;
    },
    update: (item: T) => s.update.run(JSON.stringify(item), item.id).changes > 0,
    delete: (id: string) => s.delete.run(id).changes > 0,
  };
}

/** Contact points, policies and the outbox on citysense.db (the tables come from the meta migrations). */
export function createSqliteNotificationStores(db: Database): NotificationStores {
  const contactPoints: ContactPointStore = bodyTable<ContactPoint>(db, 'contact_points', 'contact point');
  const policies: PolicyStore = bodyTable<NotificationPolicy>(db, 'notification_policies', 'notification policy');

  const s = {
    insert: db.prepare('INSERT INTO notification_outbox (id, alert_id, contact_point_id, status, next_at, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    update: db.prepare('UPDATE notification_outbox SET status = ?, next_at = ?, body = ? WHERE id = ?'),
    get: db.prepare<[string], { body: string }>('SELECT body FROM notification_outbox WHERE id = ?'),
    due: db.prepare<[number, number], { body: string }>("SELECT body FROM notification_outbox WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, created_at LIMIT ?"),
    nextDue: db.prepare<[], { next: number | null }>("SELECT MIN(next_at) AS next FROM notification_outbox WHERE status = 'pending'"),
    forAlert: db.prepare<[number], { body: string }>('SELECT body FROM notification_outbox WHERE alert_id = ? ORDER BY created_at, rowid'),
    depth: db.prepare<[], { n: number; oldest: number | null }>("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM notification_outbox WHERE status = 'pending'"),
    pendingFor: db.prepare<[string], { body: string }>("SELECT body FROM notification_outbox WHERE status = 'pending' AND contact_point_id = ?"),
    insertAttempt: db.prepare('INSERT OR REPLACE INTO notification_attempts (delivery_id, attempt, at, status, http_status, error) VALUES (?, ?, ?, ?, ?, ?)'),
    attempts: db.prepare<[string], AttemptRow>('SELECT * FROM notification_attempts WHERE delivery_id = ? ORDER BY attempt'),
    putTimer: db.prepare('INSERT OR REPLACE INTO notification_timers (alert_id, policy_id, kind, due_at) VALUES (?, ?, ?, ?)'),
    moveTimer: db.prepare('UPDATE notification_timers SET due_at = ? WHERE alert_id = ? AND policy_id = ? AND kind = ?'),
    deleteTimer: db.prepare('DELETE FROM notification_timers WHERE alert_id = ? AND policy_id = ? AND kind = ?'),
    dueTimers: db.prepare<[number], TimerRow>('SELECT * FROM notification_timers WHERE due_at <= ? ORDER BY due_at LIMIT 500'),
    timers: db.prepare<[number], TimerRow>('SELECT * FROM notification_timers WHERE alert_id = ? ORDER BY due_at'),
  };
  const parse = (r: { body: string }) => JSON.parse(r.body) as Delivery;
  const insertAll = (deliveries: readonly Delivery[]) => {
    for (const d of deliveries) s.insert.run(d.id, d.alertId, d.contactPointId, d.status, d.nextAt, d.createdAt, JSON.stringify(d));
  };
  const save = (d: Delivery) => s.update.run(d.status, d.nextAt, JSON.stringify(d), d.id);

  // Nested in the alert store's transaction, better-sqlite3 makes these savepoints of it: they commit with it.
  const enqueue = db.transaction((deliveries: readonly Delivery[], timers: readonly NotificationTimer[]) => {
    insertAll(deliveries);
    for (const t of timers) s.putTimer.run(t.alertId, t.policyId, t.kind, t.dueAt);
  });
  const recordAttempt = db.transaction((d: Delivery, a: DeliveryAttempt) => {
    s.insertAttempt.run(a.deliveryId, a.attempt, a.at, a.status, a.httpStatus, a.error);
    save(d);
  });
  const failPending = db.transaction((contactPointId: string, error: string, at: number): number => {
    const rows = s.pendingFor.all(contactPointId).map(parse);
    for (const d of rows) save({ ...d, status: 'failed', error, nextAt: at });
    return rows.length;
  });
  const settleTimer = db.transaction((t: NotificationTimer, deliveries: readonly Delivery[], nextDueAt?: number) => {
    insertAll(deliveries);
    if (nextDueAt === undefined) s.deleteTimer.run(t.alertId, t.policyId, t.kind);
    else s.moveTimer.run(nextDueAt, t.alertId, t.policyId, t.kind);
  });

  const outbox: OutboxStore = {
    enqueue: (deliveries, timers = []) => { if (deliveries.length || timers.length) enqueue(deliveries, timers); },
    get(id) {
      const row = s.get.get(id);
      return row ? parse(row) : undefined;
    },
    due: (now, limit) => s.due.all(now, limit).map(parse),
    nextDueAt: () => s.nextDue.get()?.next ?? undefined,
    recordAttempt: (d, a) => recordAttempt(d, a),
    forAlert: (alertId) => s.forAlert.all(alertId).map(parse).map((delivery) => ({ delivery, attempts: s.attempts.all(delivery.id).map(toAttempt) })),
    depth() {
      const r = s.depth.get()!;
      return { pending: r.n, oldestCreatedAt: r.oldest };
    },
    failPending: (id, error, at) => failPending(id, error, at),
    dueTimers: (now) => s.dueTimers.all(now).map(toTimer),
    settleTimer: (t, deliveries, next) => settleTimer(t, deliveries, next),
    timers: (alertId) => s.timers.all(alertId).map(toTimer),
  };
  return { contactPoints, policies, outbox };
}
