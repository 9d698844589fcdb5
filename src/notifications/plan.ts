// Which deliveries and timers a recorded transition causes: run inside the transition's transaction.
import { randomUUID } from 'node:crypto';
import { matches, parseDuration, type Alert, type AlertEvent } from '../core/index.js';
import type { ContactPoint, Delivery, DeliveryTransition, NotificationPolicy, NotificationTimer, PolicyTransition } from '../storage/index.js';

/** What a transition is to the people notified; null: nobody is told (a silenced alert notifies no one). */
export function notifiedAs(e: AlertEvent): PolicyTransition | null {
  if (e.alert.silenced) return null;
  switch (e.kind) {
    case 'fired': return 'fired';
    // A silence that covered a firing alert ended: it is announced now, as the live feed does.
    case 'unsilenced': return e.alert.state === 'firing' ? 'fired' : null;
    default: return e.kind;
  }
}

export const DEFAULT_ON: readonly PolicyTransition[] = ['fired', 'resolved'];

/** A new outbox row; its id is the webhook-id. */
export function newDelivery(cp: ContactPoint, alert: Alert | null, transition: DeliveryTransition, now: number, retryForMs: number): Delivery {
  return {
    id: `msg_${randomUUID().replace(/-/g, '')}`, alertId: alert?.id ?? null, contactPointId: cp.id, kind: cp.kind, transition, alert,
    status: 'pending', attempts: 0, nextAt: now, createdAt: now, expiresAt: now + retryForMs, deliveredAt: null, httpStatus: null, error: null,
  };
}

export interface PlanContext {
  policies: readonly NotificationPolicy[];
  contactPoint(id: string): ContactPoint | undefined;
  now: number;
  retryForMs: number;
}

/** One delivery per enabled contact point (a contact point named by two policies is told once), and the timers of a firing. */
export function plan(e: AlertEvent, ctx: PlanContext): { deliveries: Delivery[]; timers: NotificationTimer[] } {
  const as = notifiedAs(e);
  const deliveries: Delivery[] = [];
  const timers: NotificationTimer[] = [];
  if (!as) return { deliveries, timers };
  const told = new Set<string>();
  for (const p of ctx.policies) {
    if (!matches(p.match, e.alert)) continue;
    if ((p.on ?? DEFAULT_ON).includes(as)) {
      for (const id of p.contactPoints) {
        const cp = ctx.contactPoint(id);
        if (!cp || cp.disabledAt !== null || told.has(id)) continue;
        told.add(id);
        deliveries.push(newDelivery(cp, e.alert, as, ctx.now, ctx.retryForMs));
      }
    }
    if (as === 'fired') {
      if (p.repeatEvery) timers.push({ alertId: e.alertId, policyId: p.id, kind: 'repeat', dueAt: ctx.now + parseDuration(p.repeatEvery) });
      if (p.escalate) timers.push({ alertId: e.alertId, policyId: p.id, kind: 'escalate', dueAt: ctx.now + parseDuration(p.escalate.after) });
    }
  }
  return { deliveries, timers };
}
