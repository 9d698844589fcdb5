import type { Alert, AlertEvent, AlertQuery, NewAlert, Transition, TransitionInput } from '../../core/index.js';
import type { AlertStore, RecordHook } from '../alert-ports.js';
import type { Async } from '../async.js';
import { inTransaction, type PgClient, type PgPool } from './db.js';
import type { HookScope } from './hook-scope.js';

interface AlertRow { id: number; event_id: number; body: Omit<Alert, 'id' | 'eventId'> }
interface EventRow {
  event_id: number; alert_id: number; kind: Transition['kind']; at: number; value: number | null;
  actor: string; actor_id: string | null; note: string | null; alert: Omit<Alert, 'id' | 'eventId'>;
}

const toAlert = (r: AlertRow): Alert => ({ ...r.body, id: r.id, eventId: r.event_id });
const toTransition = (r: EventRow): Transition => ({
  eventId: r.event_id, alertId: r.alert_id, kind: r.kind, at: r.at, value: r.value, actor: r.actor, actorId: r.actor_id, ...(r.note !== null ? { note: r.note } : {}),
});

// The body leaves out id and eventId: the row's columns are their truth.
const bodyOf = (a: Alert | NewAlert) => {
  const { id: _id, eventId: _e, ...rest } = a as Alert;
  return JSON.stringify(rest);
};

/**
 * The next eventId, from the one-row counter, taken as the transaction's last write before its hook and COMMIT. The
 * row stays locked until COMMIT, so a transaction that takes an eventId waits for the one before it to commit (or
 * roll back): eventIds become visible in increasing order on every node, and a `since` resume can never pass over
 * one that commits later (a sequence alone hands out ids in start order, and commits can come in another order).
 * A rolled-back transaction's id is taken again by the next one: no reader ever saw it.
 */
async function nextEventId(c: PgClient): Promise<number> {
  const { rows } = await c.query<{ last: number }>('UPDATE alert_event_counter SET last = last + 1 RETURNING last');
  return rows[0]!.last;
}

/** The per-(rule, device) transaction lock every transition of that pair takes first: one writer of a pair at a time. */
const lockPair = (c: PgClient, ruleId: string, deviceId: string) =>
  c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [ruleId, deviceId]);

/** Alerts and their transitions on PostgreSQL (`alerts`, `alert_events`, `alert_event_counter`). */
export function createPgAlertStore(pool: PgPool, scope: HookScope): Async<AlertStore> {
  let recordHook: RecordHook | undefined;

  /** Writes the transition and the alert's new row; runs the hook inside the transaction (hook-scope.ts; it throws: all rolls back). */
  async function record(c: PgClient, a: Alert, t: TransitionInput): Promise<Alert> {
    const eventId = await nextEventId(c);
    const saved: Alert = { ...a, eventId };
    await c.query(
      'INSERT INTO alert_events (event_id, alert_id, kind, at, value, actor, actor_id, note, alert) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [eventId, a.id, t.kind, t.at, t.value, t.actor, t.actorId ?? null, t.note ?? null, bodyOf(saved)],
    );
    await c.query('UPDATE alerts SET state = $1, severity = $2, event_id = $3, body = $4 WHERE id = $5', [a.state, a.severity, eventId, bodyOf(saved), a.id]);
    const hook = recordHook;
    if (hook) await scope.runHook(c, () => hook({ ...t, eventId, alertId: a.id, alert: saved }));
    return saved;
  }

  const select = async (sql: string, params: unknown[]) => (await pool.query<AlertRow>(sql, params)).rows.map(toAlert);

  return {
    open(a, t) {
      return inTransaction(pool, async (c) => {
        await lockPair(c, a.ruleId, a.deviceId);
        const { rows } = await c.query<{ id: number }>(
          'INSERT INTO alerts (rule_id, device_id, domain, severity, state, fired_at, event_id, body) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id',
          [a.ruleId, a.deviceId, a.domain, a.severity, a.state, a.firedAt, bodyOf(a)],
        );
        return record(c, { ...a, id: rows[0]!.id, eventId: 0 }, t);
      });
    },
    transition(a, t) {
      return inTransaction(pool, async (c) => {
        await lockPair(c, a.ruleId, a.deviceId);
        return record(c, a, t);
      });
    },
    async get(id) {
      return (await select('SELECT id, event_id, body FROM alerts WHERE id = $1', [id]))[0];
    },
    async transitions(alertId) {
      return (await pool.query<EventRow>('SELECT * FROM alert_events WHERE alert_id = $1 ORDER BY event_id', [alertId])).rows.map(toTransition);
    },
    list(f: AlertQuery) {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (sql: string, value: unknown) => { args.push(value); where.push(sql.replace('?', `$${args.length}`)); };
      if (f.states?.length) add('state = ANY(?::text[])', f.states);
      if (f.severity) add('severity = ?', f.severity);
      if (f.domain) add('domain = ?', f.domain);
      if (f.deviceId) add('device_id = ?', f.deviceId);
      if (f.from !== undefined) add('fired_at >= ?', f.from);
      if (f.to !== undefined) add('fired_at < ?', f.to);
      if (f.before !== undefined) add('id < ?', f.before);
      args.push(Math.max(Math.trunc(f.limit), 0));
      return select(`SELECT id, event_id, body FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`, args);
    },
    active: () => select("SELECT id, event_id, body FROM alerts WHERE state <> 'resolved' ORDER BY id", []),
    async eventsAfter(after, limit): Promise<AlertEvent[]> {
      const { rows } = await pool.query<EventRow>('SELECT * FROM alert_events WHERE event_id > $1 ORDER BY event_id LIMIT $2', [after, Math.max(Math.trunc(limit), 0)]);
      return rows.map((r) => ({ ...toTransition(r), alert: { ...r.alert, id: r.alert_id, eventId: r.event_id } }));
    },
    async setRecordHook(hook) {
      recordHook = hook;
    },
    async updateLastValues(updates) {
      if (updates.length === 0) return;
      await pool.query(
        `UPDATE alerts SET body = body || jsonb_build_object('lastValue', u.v, 'lastValueAt', u.at)
         FROM unnest($1::int8[], $2::float8[], $3::int8[]) AS u(id, v, at) WHERE alerts.id = u.id`,
        [updates.map((u) => u.id), updates.map((u) => u.lastValue), updates.map((u) => u.lastValueAt)],
      );
    },
  };
}
