// Recording a transition (fire, apply, resolve) and telling the listeners; a failing store is logged and counted.
import type { Alert, Credit, NewAlert, Threshold, TransitionInput } from '../core/index.js';
import { describe } from './conditions.js';
import type { CompiledRule } from './rule-index.js';
import type { Silenceable } from './silences.js';
import type { DeviceState, EngineState } from './state.js';
import type { PushKind } from './types.js';

/** The engine's own actor name (it has no Credit id). */
export const SYSTEM = 'system' as const;

function notify(s: EngineState, alert: Alert, kind: PushKind): void {
  for (const l of s.listeners) {
    try {
      l(alert, kind);
    } catch (err) {
      s.log.error({ err }, 'alert transition listener failed');
    }
  }
}

function messageFor(cr: CompiledRule, ds: DeviceState, value: number | null): string {
  const r = cr.rule;
  const text = r.message ?? (cr.noData ? `${r.name}: no data from {deviceId} for {value} s` : `${r.name}: {metric} {value} ({condition})`);
  const fields: Record<string, string> = {
    deviceId: ds.deviceId, district: ds.district ?? '', metric: r.metric ?? '', value: value === null ? '' : String(value),
    threshold: JSON.stringify(cr.threshold), condition: describe(r.condition), rule: r.name, severity: r.severity,
  };
  return text.replace(/\{(\w+)\}/g, (m, k: string) => fields[k] ?? m);
}

/** Opens an alert at `at`; `lastAt` is the event time of the reading `value` came from (a timer fires later). */
export function fire(s: EngineState, cr: CompiledRule, ds: DeviceState, value: number | null, at: number, threshold: Threshold = cr.threshold, lastAt = at): void {
  const r = cr.rule;
  const who: Silenceable = { ruleId: r.id, deviceId: ds.deviceId, domain: ds.domain, type: ds.type, district: ds.district };
  const fresh: NewAlert = {
    ...who, ruleName: r.name, metric: r.metric ?? null, severity: r.severity, state: 'firing', message: messageFor(cr, ds, value),
    value, threshold, firedAt: at, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    lastValue: cr.noData ? null : value, lastValueAt: cr.noData ? null : lastAt, silenced: s.book.covers(who, s.now()),
  };
  const alert = s.store.alerts.open(fresh, { kind: 'fired', at, value, actor: SYSTEM });
  s.open.set(alert.id, alert);
  ds.rules.set(r.id, { alertId: alert.id });
  s.metrics.transitions.inc({ kind: 'fired', severity: alert.severity });
  notify(s, alert, 'fired');
}

/** Records `next` with its transition `t`, keeps the open alerts in step, and pushes it as `push` (null: not at all). */
export function apply(s: EngineState, alert: Alert, next: Alert, t: TransitionInput, push: PushKind | null): Alert {
  const saved = s.store.alerts.transition(next, t);
  if (saved.state === 'resolved') {
    s.open.delete(saved.id);
    s.dirty.alerts.delete(saved.id);
    const ds = s.devices.get(saved.deviceId);
    if (ds?.rules.get(saved.ruleId)?.alertId === saved.id) ds.rules.delete(saved.ruleId);
  } else {
    s.open.set(saved.id, saved);
  }
  s.metrics.transitions.inc({ kind: t.kind, severity: alert.severity });
  if (push) notify(s, saved, push);
  return saved;
}

/** Resolves an alert; `by`: who resolved it by hand, or SYSTEM (the engine: no id). */
export function resolveAlert(s: EngineState, a: Alert, at: number, value: number | null, by: Credit | typeof SYSTEM, note?: string): Alert {
  const actor = by === SYSTEM ? SYSTEM : by.name;
  const actorId = by === SYSTEM ? null : by.id;
  return apply(s, a, { ...a, state: 'resolved', resolvedAt: at, resolvedBy: actor, resolvedById: actorId }, { kind: 'resolved', at, value, actor, actorId, ...(note ? { note } : {}) }, 'resolved');
}

// A failing store must not break ingest: the transition is logged, counted and retried by the next reading.
export function failed(s: EngineState, what: string, err: unknown): void {
  s.metrics.errors.inc();
  s.log.error({ err }, `alert engine: ${what} failed`);
}

/** Runs `fn`; a throw is logged and counted as `what` failing, never passed on. */
export function guarded(s: EngineState, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    failed(s, what, err);
  }
}
