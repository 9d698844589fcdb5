// The notification service: contact points and policies (checked like rules are), the hook that writes a
// transition's deliveries in its own transaction, the delivery loop, and the test send.
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { AppError, conflict, notFound, type Catalog, type Logger } from '../core/index.js';
import type { Alert, ContactPoint, Delivery, NotificationPolicy, NotificationStores, RecordHook } from '../storage/index.js';
import { createDeliveryLoop, type DeliveryOptions } from './delivery.js';
import { createMailer } from './email.js';
import { WEBHOOK_FORMATTERS } from './formats/index.js';
import { createNotificationMetrics } from './metrics.js';
import { DEFAULT_ON, newDelivery, plan } from './plan.js';
import type { ContactPointInput, PolicyInput } from './schemas.js';
import type { SendOutcome } from './send-types.js';
import { newWebhookSecret } from './sign.js';
import { summarize } from './summary.js';
import { contactPointView, deliveryViews, policyView, type ContactPointView, type DeliveryView, type PolicyView } from './view.js';
import { postWebhook } from './webhook.js';

export interface NotificationsDeps {
  stores: NotificationStores;
  catalog: Catalog;
  log: Logger;
  metrics: Registry;
  /** The alert as it is now (reminders and escalations check it is still firing and not acknowledged). */
  alert(id: number): Alert | undefined;
  ruleExists(id: string): boolean;
  /** The alert object of CONTRACT.md 5.2 (the citysense webhook format carries it). */
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
  let policies: NotificationPolicy[] = stores.policies.list();

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
    const { deliveries, timers } = plan(event, { policies, contactPoint: (id) => stores.contactPoints.get(id), now: now(), retryForMs: options.retryForMs });
    if (deliveries.length === 0 && timers.length === 0) return;
    stores.outbox.enqueue(deliveries, timers);
    loop.wake(); // a timer: it runs after the transaction has committed
  };

  // ---- contact points ----

  function toContactPoint(input: ContactPointInput, id: string, t: number, prev?: ContactPoint): ContactPoint {
    const base = { id, name: input.name, kind: input.kind, disabledAt: null, disabledReason: null, createdAt: prev?.createdAt ?? t, updatedAt: t };
    if (input.kind === 'email') return { ...base, to: input.to! };
    // A PUT without a secret keeps the one it has: the API never shows it again, so a client cannot send it back.
    const secret = input.secret ?? (prev?.kind === 'webhook' ? prev.secret : undefined);
    return { ...base, url: input.url!, format: input.format ?? 'citysense', ...(secret ? { secret } : {}) };
  }

  function createContactPoint(input: ContactPointInput): { contactPoint: ContactPointView; secret?: string } {
    const t = now();
    const generated = input.kind === 'webhook' && !input.secret ? newWebhookSecret() : undefined;
    const cp = toContactPoint({ ...input, ...(generated ? { secret: generated } : {}) }, input.id ?? randomUUID(), t);
    stores.contactPoints.create(cp);
    if (cp.kind === 'email' && !deps.smtpUrl) log.warn({ contactPointId: cp.id }, 'an email contact point was created but SMTP_URL is not set: its emails cannot be sent');
    log.info({ contactPointId: cp.id, kind: cp.kind, name: cp.name }, 'contact point created');
    return { contactPoint: contactPointView(cp), ...(generated ? { secret: generated } : {}) };
  }

  function updateContactPoint(id: string, input: ContactPointInput): ContactPointView {
    const prev = stores.contactPoints.get(id);
    if (!prev) throw notFound(`contact point ${id}`);
    if (input.id !== undefined && input.id !== id) throw new AppError('bad_request', `body id: ${input.id} differs from the path's ${id}`);
    const cp = toContactPoint(input, id, now(), prev);
    stores.contactPoints.update(cp);
    if (prev.disabledAt !== null) log.info({ contactPointId: id }, 'contact point updated: enabled again');
    return contactPointView(cp);
  }

  function deleteContactPoint(id: string): void {
    if (!stores.contactPoints.get(id)) throw notFound(`contact point ${id}`);
    const user = policies.find((p) => p.contactPoints.includes(id) || p.escalate?.contactPoints.includes(id));
    if (user) throw conflict(`contact point ${id} is used by notification policy ${user.id}: change or delete the policy first`);
    stores.contactPoints.delete(id);
    stores.outbox.failPending(id, 'contact point deleted', now());
  }

  /** Sends a test notification now and answers with its outcome (a test is tried once, not retried). */
  async function testContactPoint(id: string): Promise<DeliveryView & { delivered: boolean }> {
    const cp = stores.contactPoints.get(id);
    if (!cp) throw notFound(`contact point ${id}`);
    const t = now();
    const d = { ...newDelivery(cp, null, 'test', t, options.retryForMs), alert: testAlert(t), nextAt: Number.MAX_SAFE_INTEGER };
    stores.outbox.enqueue([d]);
    const done = await loop.attempt(d);
    const [view] = deliveryViews(done, [{ deliveryId: d.id, attempt: done.attempts, at: done.deliveredAt ?? now(), status: done.status, httpStatus: done.httpStatus, error: done.error }]);
    return { ...view!, delivered: done.status === 'delivered' };
  }

  // ---- policies ----

  function checkPolicy(input: PolicyInput): void {
    input.contactPoints.forEach((cp, i) => {
      if (!stores.contactPoints.get(cp)) throw new AppError('bad_request', `body contactPoints[${i}]: no contact point ${cp}`);
    });
    input.escalate?.contactPoints.forEach((cp, i) => {
      if (!stores.contactPoints.get(cp)) throw new AppError('bad_request', `body escalate.contactPoints[${i}]: no contact point ${cp}`);
    });
    if (input.match.ruleId !== undefined && !deps.ruleExists(input.match.ruleId)) throw new AppError('bad_request', `body match.ruleId: no rule ${input.match.ruleId}`);
  }

  function toPolicy(input: PolicyInput, id: string, t: number, prev?: NotificationPolicy): NotificationPolicy {
    const match = Object.fromEntries(Object.entries(input.match).filter(([, v]) => v !== undefined));
    return {
      id, name: input.name, match, contactPoints: input.contactPoints, on: input.on ?? [...DEFAULT_ON],
      ...(input.repeatEvery ? { repeatEvery: input.repeatEvery } : {}), ...(input.escalate ? { escalate: input.escalate } : {}),
      createdAt: prev?.createdAt ?? t, updatedAt: t,
    };
  }

  const reload = () => { policies = stores.policies.list(); };

  function createPolicy(input: PolicyInput): PolicyView {
    checkPolicy(input);
    const p = toPolicy(input, input.id ?? randomUUID(), now());
    stores.policies.create(p);
    reload();
    log.info({ policyId: p.id, name: p.name, contactPoints: p.contactPoints }, 'notification policy created');
    return policyView(p);
  }

  function updatePolicy(id: string, input: PolicyInput): PolicyView {
    const prev = stores.policies.get(id);
    if (!prev) throw notFound(`notification policy ${id}`);
    if (input.id !== undefined && input.id !== id) throw new AppError('bad_request', `body id: ${input.id} differs from the path's ${id}`);
    checkPolicy(input);
    const p = toPolicy(input, id, now(), prev);
    stores.policies.update(p);
    reload();
    return policyView(p);
  }

  function deletePolicy(id: string): void {
    if (!stores.policies.delete(id)) throw notFound(`notification policy ${id}`);
    reload();
  }

  return {
    recordHook,
    start() {
      loop.start();
      log.info({ contactPoints: stores.contactPoints.list().length, policies: policies.length, outbox: stores.outbox.depth().pending, email: deps.smtpUrl ? 'on' : 'off (SMTP_URL unset)' }, 'notifications started');
    },
    stop: (budgetMs?: number) => loop.stop(budgetMs).finally(() => mailer.close()),
    listContactPoints: () => stores.contactPoints.list().map(contactPointView),
    getContactPoint(id: string) {
      const cp = stores.contactPoints.get(id);
      if (!cp) throw notFound(`contact point ${id}`);
      return contactPointView(cp);
    },
    createContactPoint,
    updateContactPoint,
    deleteContactPoint,
    testContactPoint,
    listPolicies: () => policies.map(policyView),
    getPolicy(id: string) {
      const p = stores.policies.get(id);
      if (!p) throw notFound(`notification policy ${id}`);
      return policyView(p);
    },
    createPolicy,
    updatePolicy,
    deletePolicy,
    /** Every delivery for an alert and its tries, oldest first. */
    deliveriesFor: (alertId: number): DeliveryView[] => stores.outbox.forAlert(alertId).flatMap(({ delivery, attempts }) => deliveryViews(delivery, attempts)),
  };
}
export type Notifications = ReturnType<typeof createNotifications>;
