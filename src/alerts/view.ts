import type { Alert, Rule, Silence, Transition } from '../core/index.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** An alert as the API and Socket.IO show it (docs/contract.md 5.2): times in RFC 3339. */
export function alertView(a: Alert) {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    deviceId: a.deviceId,
    domain: a.domain,
    type: a.type,
    district: a.district,
    metric: a.metric,
    severity: a.severity,
    state: a.state,
    message: a.message,
    value: a.value,
    threshold: a.threshold,
    firedAt: iso(a.firedAt)!,
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedById: a.acknowledgedById ?? null,
    resolvedAt: iso(a.resolvedAt),
    resolvedBy: a.resolvedBy,
    resolvedById: a.resolvedById ?? null,
    lastValue: a.lastValue,
    lastValueAt: iso(a.lastValueAt),
    silenced: a.silenced,
    eventId: a.eventId,
  };
}
export type AlertView = ReturnType<typeof alertView>;

/** One recorded transition: what happened, when, with what value, by whom. */
export function transitionView(t: Transition) {
  return { eventId: t.eventId, kind: t.kind, at: iso(t.at)!, value: t.value, actor: t.actor, actorId: t.actorId ?? null, ...(t.note !== undefined ? { note: t.note } : {}) };
}
export type TransitionView = ReturnType<typeof transitionView>;

export function ruleView(r: Rule) {
  return { ...r, createdAt: iso(r.createdAt)!, updatedAt: iso(r.updatedAt)!, createdBy: r.createdBy ?? null, updatedBy: r.updatedBy ?? null };
}
export type RuleView = ReturnType<typeof ruleView>;

export function silenceView(s: Silence, now: number) {
  return { ...s, createdById: s.createdById ?? null, from: iso(s.from)!, to: iso(s.to)!, createdAt: iso(s.createdAt)!, active: s.from <= now && now < s.to };
}
export type SilenceView = ReturnType<typeof silenceView>;
