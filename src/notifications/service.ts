// The notification service: the hook that writes a transition's deliveries in its own transaction, the delivery
// loop, the test send, and the contact points and policies (contact-points.ts, policies.ts) behind one face.
import type { Registry } from 'prom-client';
import { notFound, type Alert, type Catalog, type Logger } from '../core/index.js';
import type { ContactPoint, Delivery, NotificationStores, RecordHook } from '../storage/index.js';
import { createContactPoints } from './contact-points.js';
import { createDeliveryLoop, type DeliveryOptions } from './delivery.js';
import { createMailer } from './email.js';
import { WEBHOOK_FORMATTERS } from './formats/index.js';
import { createNotificationMetrics } from './metrics.js';
import { newDelivery, plan } from './plan.js';
import { createPolicies } from './policies.js';
import type { SendOutcome } from './send-types.js';
import { summarize } from './summary.js';
import { deliveryViews, type DeliveryView } from './view.js';
import { postWebhook } from './webhook.js';

export interface NotificationsDeps {
  stores: NotificationStores;
  catalog: Catalog;
  log: Logger;
  metrics: Registry;
  /** The alert as it is now (reminders and escalations check it is still firing and not acknowledged). */
  alert(id: number): Alert | undefined;
  ruleExists(id: string): boolean;
  /** The alert object of docs/contract.md 5.2 (the citysense webhook format carries it). */
  alertView(a: Alert): Record<string, unknown>;
  /** The console's base URL for links (PUBLIC_URL, or the address citysense listens on). */
  publicUrl(): string;
  smtpUrl?: string;
  smtpFrom: string;
  now?: () => number;
  options?: Partial<DeliveryOptions>;
}

const DEFAULTS: DeliveryOptions = { retryBaseMs: 1000, retryMaxMs: 30 * 60_000, retryForMs: 24 * 3_600_000, pollMs: 500, concurrency: 8 };

/** What a test notification is about: no real alert, but every field a receiver reads. */
function testAlert(now: number): Alert {
  return {
    id: 0, ruleId: 'test', ruleName: 'citysense test notification', deviceId: 'test-device', domain: 'safety', type: 'gas', district: null,
    metric: null, severity: 'info', state: 'firing', message: 'A test notification from citysense: this contact point works.', value: null,
    threshold: null, firedAt: now, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, lastValue: null,
    lastValueAt: null, silenced: false, eventId: 0,
  };
}

export function createNotifications(deps: NotificationsDeps) {
  const { stores, log } = deps;
  const now = deps.now ?? Date.now;
  const options: DeliveryOptions = { ...DEFAULTS, ...deps.options };
  const metrics = createNotificationMetrics(deps.metrics, { depth: () => stores.outbox.depth(), now });
  const mailer = createMailer(deps.smtpUrl, deps.smtpFrom);
  const policies = createPolicies({ stores, log, now, ruleExists: deps.ruleExists });

  async function send(cp: ContactPoint, d: Delivery): Promise<SendOutcome> {
    const alert = d.alert ?? testAlert(d.createdAt);
    const publicUrl = deps.publicUrl();
    const summary = summarize(alert, d.transition, deps.catalog, publicUrl);
    if (cp.kind === 'email') return mailer.send(cp, summary);
    const body = WEBHOOK_FORMATTERS[cp.format ?? 'citysense']({ transition: d.transition, alert, view: deps.alertView(alert), summary, publicUrl, receiver: cp.name });
    return postWebhook(cp, d, JSON.stringify(body), now());
  }

  const loop = createDeliveryLoop({ stores, send, alert: deps.alert, log, metrics, now, options });

  /** Runs inside the transition's transaction: a transition and its deliveries commit (or roll back) together. */
  const recordHook: RecordHook = (event) => {
    const { deliveries, timers } = plan(event, { policies: policies.current(), contactPoint: (id) => stores.contactPoints.get(id), now: now(), retryForMs: options.retryForMs });
    if (deliveries.length === 0 && timers.length === 0) return;
    stores.outbox.enqueue(deliveries, timers);
    loop.wake(); // a timer: it runs after the transaction has committed
  };

  const contactPoints = createContactPoints({ stores, log, now, smtpUrl: deps.smtpUrl, policies: () => policies.current() });

  /** Sends a test notification now and answers with its outcome (a test is tried once, not retried). */
  async function testContactPoint(id: string): Promise<DeliveryView & { delivered: boolean }> {
    const cp = stores.contactPoints.get(id);
    if (!cp) throw notFound(`contact point ${id}`);
    const t = now();
    // Tried here, now, once; should the process die first, the loop tries it once a minute later and ends it.
    const d = { ...newDelivery(cp, null, 'test', t, 0), alert: testAlert(t), nextAt: t + 60_000 };
    stores.outbox.enqueue([d]);
    const done = await loop.attempt(d);
    const [view] = deliveryViews(done, [{ deliveryId: d.id, attempt: done.attempts, at: done.deliveredAt ?? now(), status: done.status, httpStatus: done.httpStatus, error: done.error }]);
    return { ...view!, delivered: done.status === 'delivered' };
  }

  return {
    recordHook,
    start() {
      loop.start();
      log.info({ contactPoints: stores.contactPoints.list().length, policies: policies.current().length, outbox: stores.outbox.depth().pending, email: deps.smtpUrl ? 'on' : 'off (SMTP_URL unset)' }, 'notifications started');
    },
    stop: (budgetMs?: number) => loop.stop(budgetMs).finally(() => mailer.close()),
    listContactPoints: contactPoints.list,
    getContactPoint: contactPoints.get,
    createContactPoint: contactPoints.create,
    updateContactPoint: contactPoints.update,
    deleteContactPoint: contactPoints.delete,
    testContactPoint,
    listPolicies: policies.list,
    getPolicy: policies.get,
    createPolicy: policies.create,
    updatePolicy: policies.update,
    deletePolicy: policies.delete,
    /** Every delivery for an alert and its tries, oldest first. */
    deliveriesFor: (alertId: number): DeliveryView[] => stores.outbox.forAlert(alertId).flatMap(({ delivery, attempts }) => deliveryViews(delivery, attempts)),
  };
}
export type Notifications = ReturnType<typeof createNotifications>;
