// The outbox's delivery loop: tries what is due, records every try, backs off exponentially with jitter (or as
// long as Retry-After says) until the row's retry window ends, and turns due reminders and escalations into
// deliveries. Everything it knows is in the database, so a restart (or kill -9) picks up where it stopped.
import { parseDuration, type Alert, type Logger } from '../core/index.js';
import type { ContactPoint, Delivery, DeliveryAttempt, NotificationStores, NotificationTimer } from '../storage/index.js';
import type { NotificationMetrics } from './metrics.js';
import { newDelivery } from './plan.js';
import type { SendOutcome, Sender } from './send-types.js';

export interface DeliveryOptions {
  /** First back-off (doubled on every failed try, with jitter); default 1 s. */
  retryBaseMs: number;
  /** Longest back-off; default 30 min. */
  retryMaxMs: number;
  /** How long a delivery is tried before it is `failed`; default 24 h. */
  retryForMs: number;
  /** How often the outbox is looked at when nothing wakes the loop; default 500 ms. */
  pollMs: number;
  /** Deliveries in flight at once; default 8. */
  concurrency: number;
}

export interface DeliveryDeps {
  stores: NotificationStores;
  send: Sender;
  alert(id: number): Alert | undefined;
  log: Logger;
  metrics: NotificationMetrics;
  now: () => number;
  options: DeliveryOptions;
  /** Called when a 410 disabled a contact point. */
  onDisabled?: (cp: ContactPoint) => void;
}

/** Back-off before try `attempt + 1`: base·2^(attempt−1), capped, with "equal jitter" (half fixed, half random). */
export function backoffMs(attempt: number, base: number, max: number, random = Math.random): number {
  const d = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

export function createDeliveryLoop(deps: DeliveryDeps) {
  const { stores, log, metrics, now, options: o } = deps;
  const inFlight = new Map<string, Promise<void>>();
  /** Contact points whose latest try failed: logged once when they start failing and once when they recover. */
  const failing = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  function health(cp: ContactPoint, out: SendOutcome): void {
    if (out.ok && failing.delete(cp.id)) log.info({ contactPointId: cp.id, name: cp.name }, 'contact point recovered: deliveries succeed again');
    else if (!out.ok && !failing.has(cp.id)) {
      failing.add(cp.id);
      log.warn({ contactPointId: cp.id, name: cp.name, httpStatus: out.httpStatus, error: out.error }, 'contact point is failing: deliveries are retried');
    }
  }

  function disable(cp: ContactPoint, reason: string, at: number): void {
    stores.contactPoints.update({ ...cp, disabledAt: at, disabledReason: reason, updatedAt: at });
    const dropped = stores.outbox.failPending(cp.id, `contact point disabled: ${reason}`, at);
    failing.delete(cp.id);
    // Not the URL: a Slack incoming-webhook URL is itself a credential.
    log.warn({ contactPointId: cp.id, name: cp.name, dropped }, `contact point disabled: ${reason}; update it to enable it again`);
    deps.onDisabled?.(cp);
  }

  /** Records the outcome of try `delivery.attempts + 1` and returns the delivery as it now is. */
  function settle(delivery: Delivery, cp: ContactPoint | undefined, out: SendOutcome, at: number): Delivery {
    const attempt = delivery.attempts + 1;
    const httpStatus = out.httpStatus ?? null;
    const error = out.ok ? null : (out.error ?? 'failed');
    let next: Delivery;
    if (out.ok) {
      next = { ...delivery, status: 'delivered', attempts: attempt, deliveredAt: at, httpStatus, error: null };
      metrics.latency.observe({ kind: delivery.kind }, Math.max(0, at - delivery.createdAt) / 1000);
    } else if (out.gone || !cp || cp.disabledAt !== null || at >= delivery.expiresAt || delivery.transition === 'test') {
      next = { ...delivery, status: 'failed', attempts: attempt, httpStatus, error };
    } else {
      const wait = out.retryAfterMs ?? backoffMs(attempt, o.retryBaseMs, o.retryMaxMs);
      next = { ...delivery, attempts: attempt, httpStatus, error, nextAt: Math.min(at + wait, delivery.expiresAt) };
    }
    const row: DeliveryAttempt = { deliveryId: delivery.id, attempt, at, status: next.status, httpStatus, error };
    stores.outbox.recordAttempt(next, row);
    const outcome = out.ok ? 'delivered' : out.gone ? 'gone' : next.status === 'failed' ? 'failed' : 'retry';
    metrics.deliveries.inc({ contact_point: delivery.contactPointId, kind: delivery.kind, outcome });
    if (next.status === 'failed' && !out.gone) log.warn({ deliveryId: delivery.id, contactPointId: delivery.contactPointId, alertId: delivery.alertId, attempts: attempt, error }, 'notification not delivered: giving up');
    if (cp) {
      if (out.gone) disable(cp, 'the receiver answered 410 Gone', at);
      else health(cp, out);
    }
    return next;
  }

  /** One try of one delivery, now. */
  async function attempt(delivery: Delivery): Promise<Delivery> {
    const cp = stores.contactPoints.get(delivery.contactPointId);
    if (!cp || cp.disabledAt !== null) {
      return settle(delivery, cp, { ok: false, error: cp ? `contact point disabled: ${cp.disabledReason}` : 'contact point deleted' }, now());
    }
    const out = await deps.send(cp, delivery);
    return settle(delivery, stores.contactPoints.get(cp.id) ?? cp, out, now());
  }

  function fireTimer(t: NotificationTimer, at: number): void {
    const alert = deps.alert(t.alertId);
    const policy = stores.policies.get(t.policyId);
    // Acknowledged, resolved, silenced or gone: nobody is reminded, nothing escalates.
    if (!alert || !policy || alert.state !== 'firing' || alert.silenced) return stores.outbox.settleTimer(t, []);
    const ids = t.kind === 'repeat' ? policy.contactPoints : (policy.escalate?.contactPoints ?? []);
    const deliveries = ids.flatMap((id) => {
      const cp = stores.contactPoints.get(id);
      return cp && cp.disabledAt === null ? [newDelivery(cp, alert, t.kind === 'repeat' ? 'repeat' : 'escalated', at, o.retryForMs)] : [];
    });
    const next = t.kind === 'repeat' && policy.repeatEvery ? at + parseDuration(policy.repeatEvery) : undefined;
    stores.outbox.settleTimer(t, deliveries, next);
    if (t.kind === 'escalate') log.info({ alertId: alert.id, policyId: policy.id, contactPoints: ids }, 'alert not acknowledged in time: escalated');
  }

  function tick(): void {
    timer = undefined;
    if (!running) return;
    try {
      const t = now();
      for (const due of stores.outbox.dueTimers(t)) fireTimer(due, t);
      const free = o.concurrency - inFlight.size;
      if (free > 0) {
        for (const d of stores.outbox.due(t, free + inFlight.size)) {
          if (inFlight.has(d.id) || inFlight.size >= o.concurrency) continue;
          const p = attempt(d)
            .then(() => undefined, (err: unknown) => log.error({ err, deliveryId: d.id }, 'notification delivery failed unexpectedly'))
            .finally(() => { inFlight.delete(d.id); wake(); });
          inFlight.set(d.id, p);
        }
      }
    } catch (err) {
      log.error({ err }, 'notification outbox: reading or writing it failed; trying again');
    }
    if (running && !timer) {
      timer = setTimeout(tick, o.pollMs);
      timer.unref();
    }
  }

  /** Looks at the outbox now (after a transition committed, after a try finished). */
  function wake(): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, 0);
    timer.unref();
  }

  return {
    attempt,
    wake,
    start() {
      running = true;
      wake();
    },
    /** Stops trying; waits (up to `budgetMs`) for tries in flight, whose outcome is recorded. */
    async stop(budgetMs = 5000): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await Promise.race([Promise.all(inFlight.values()), new Promise((r) => setTimeout(r, budgetMs).unref())]);
    },
  };
}
export type DeliveryLoop = ReturnType<typeof createDeliveryLoop>;
