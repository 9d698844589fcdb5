import type { ContactPoint, Delivery, DeliveryAttempt, NotificationPolicy } from '../storage/index.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** A contact point as the API shows it: never its secret (only whether it has one). */
export function contactPointView(cp: ContactPoint) {
  const { secret, disabledAt, createdAt, updatedAt, ...rest } = cp;
  return {
    ...rest,
    ...(cp.kind === 'webhook' ? { format: cp.format ?? 'citysense', secretSet: secret !== undefined } : {}),
    disabled: disabledAt !== null, disabledAt: iso(disabledAt), createdAt: iso(createdAt)!, updatedAt: iso(updatedAt)!,
  };
}
export type ContactPointView = ReturnType<typeof contactPointView>;

export function policyView(p: NotificationPolicy) {
  return { ...p, createdAt: iso(p.createdAt)!, updatedAt: iso(p.updatedAt)! };
}
export type PolicyView = ReturnType<typeof policyView>;

/** One try of a delivery as the API shows it (docs/contract.md section 8). */
export interface DeliveryView {
  /** The webhook-id, the same on every try. */
  id: string;
  contactPointId: string;
  kind: Delivery['kind'];
  transition: Delivery['transition'];
  attempt: number;
  status: Delivery['status'];
  httpStatus?: number;
  error?: string;
  createdAt: string;
  at?: string;
  deliveredAt?: string;
  nextAt?: string;
}

/**
 * A delivery's tries as docs/contract.md section 8 lists them: one entry per try (`status` of a failed try that will
 * be retried is `pending`), and for a delivery not yet tried one `pending` entry with `attempt` 0.
 */
export function deliveryViews(d: Delivery, attempts: readonly DeliveryAttempt[]): DeliveryView[] {
  const base = { id: d.id, contactPointId: d.contactPointId, kind: d.kind, transition: d.transition, createdAt: iso(d.createdAt)! };
  if (attempts.length === 0) return [{ ...base, attempt: 0, status: d.status, ...(d.error ? { error: d.error } : {}), ...(d.status === 'pending' ? { nextAt: iso(d.nextAt)! } : {}) }];
  return attempts.map((a, i) => {
    const last = i === attempts.length - 1;
    return {
      ...base, attempt: a.attempt, status: a.status, at: iso(a.at)!,
      ...(a.httpStatus !== null ? { httpStatus: a.httpStatus } : {}),
      ...(a.error !== null ? { error: a.error } : {}),
      ...(a.status === 'delivered' ? { deliveredAt: iso(d.deliveredAt ?? a.at)! } : {}),
      ...(last && d.status === 'pending' ? { nextAt: iso(d.nextAt)! } : {}),
    };
  });
}
