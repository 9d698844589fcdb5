import type { Alert, Severity } from '../core/index.js';
// Ports for notifications (docs/contract.md section 8): contact points, notification policies, and the outbox of
// deliveries with their attempts and the repeat/escalation timers. Synchronous, as better-sqlite3 is, so that the
// alert store can write a transition's deliveries inside the transition's own transaction.

export const CONTACT_POINT_KINDS = ['webhook', 'email'] as const;
export type ContactPointKind = (typeof CONTACT_POINT_KINDS)[number];
export const WEBHOOK_FORMATS = ['citysense', 'alertmanager', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface ContactPoint {
  id: string;
  name: string;
  kind: ContactPointKind;
  /** webhook: http or https. */
  url?: string;
  /** webhook: a Standard Webhooks key `whsec_<base64>`; never returned by the API after creation. */
  secret?: string;
  format?: WebhookFormat;
  /** email: addresses. */
  to?: string[];
  /** Set when a receiver answered 410 Gone: nothing is sent to it until it is updated. */
  disabledAt: number | null;
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The alert transitions a policy may notify on. */
export const POLICY_TRANSITIONS = ['fired', 'acknowledged', 'resolved'] as const;
export type PolicyTransition = (typeof POLICY_TRANSITIONS)[number];

export interface PolicyMatch {
  domain?: string;
  type?: string;
  district?: string;
  deviceId?: string;
  ruleId?: string;
  severity?: Severity[];
}

export interface NotificationPolicy {
  id: string;
  name: string;
  match: PolicyMatch;
  contactPoints: string[];
  on: PolicyTransition[];
  /** A duration as written: remind while firing and not acknowledged. */
  repeatEvery?: string;
  /** Not acknowledged `after` the firing: these contact points are notified too. */
  escalate?: { after: string; contactPoints: string[] };
  createdAt: number;
  updatedAt: number;
}

/** What a delivery reports: an alert transition, a reminder, an escalation, or an operator's test. */
export const DELIVERY_TRANSITIONS = ['fired', 'acknowledged', 'resolved', 'repeat', 'escalated', 'test'] as const;
export type DeliveryTransition = (typeof DELIVERY_TRANSITIONS)[number];
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One outbox row: one notification to one contact point, tried until delivered or its retry window ends. */
export interface Delivery {
  /** Also the `webhook-id` header: the same on every try. */
  id: string;
  alertId: number | null;
  contactPointId: string;
  kind: ContactPointKind;
  transition: DeliveryTransition;
  /** The alert as it was at the transition (what the receiver is told). */
  alert: Alert | null;
  status: DeliveryStatus;
  /** Tries made so far. */
  attempts: number;
  /** Wall-clock time of the next try (pending only). */
  nextAt: number;
  createdAt: number;
  /** After this the row is `failed` instead of tried again. */
  expiresAt: number;
  deliveredAt: number | null;
  httpStatus: number | null;
  error: string | null;
}

/** One try of a delivery. `pending`: it failed and will be tried again. */
export interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  at: number;
  status: DeliveryStatus;
  httpStatus: number | null;
  error: string | null;
}

/** A reminder or an escalation due at `dueAt` (wall clock) for an alert under a policy. */
export interface NotificationTimer {
  alertId: number;
  policyId: string;
  kind: 'repeat' | 'escalate';
  dueAt: number;
}

/** Things kept by id in creation order: contact points and policies. */
export interface IdStore<T extends { id: string }> {
  /** In creation order. */
  list(): T[];
  get(id: string): T | undefined;
  /** Throws AppError `conflict` when the id exists. */
  create(item: T): T;
  /** Replaces it; false when it does not exist. */
  update(item: T): boolean;
  delete(id: string): boolean;
}

export type ContactPointStore = IdStore<ContactPoint>;
export type PolicyStore = IdStore<NotificationPolicy>;

export interface OutboxStore {
  /** Adds deliveries and timers in one transaction (inside the caller's, when there is one). */
  enqueue(deliveries: readonly Delivery[], timers?: readonly NotificationTimer[]): void;
  get(id: string): Delivery | undefined;
  /** Pending deliveries whose next try is due at `now`, oldest first. */
  due(now: number, limit: number): Delivery[];
  /** The earliest next try of a pending delivery. */
  nextDueAt(): number | undefined;
  /** Records one try and the delivery's new state (status, attempts, nextAt, deliveredAt, httpStatus, error), atomically. */
  recordAttempt(delivery: Delivery, attempt: DeliveryAttempt): void;
  /** Every delivery for an alert, oldest first, each with its tries. */
  forAlert(alertId: number): { delivery: Delivery; attempts: DeliveryAttempt[] }[];
  /** Pending deliveries: how many, and when the oldest was created. */
  depth(): { pending: number; oldestCreatedAt: number | null };
  /** Ends every pending delivery to a contact point as `failed` (it was disabled or deleted). */
  failPending(contactPointId: string, error: string, at: number): number;
  /** Timers due at `now`. */
  dueTimers(now: number): NotificationTimer[];
  /** Moves a timer (a repeat's next reminder) or deletes it (`dueAt` undefined), enqueuing `deliveries` in the same transaction. */
  settleTimer(timer: NotificationTimer, deliveries: readonly Delivery[], nextDueAt?: number): void;
  timers(alertId: number): NotificationTimer[];
}

export interface NotificationStores {
  contactPoints: ContactPointStore;
  policies: PolicyStore;
  outbox: OutboxStore;
}
