// What accepted readings do: each, in event-time order per device, meets the rules of its type, and the engine
// carries out what the state machine (evaluate.ts) decides: the store, `for` timers and pushes.
import { matches, type Reading } from '../core/index.js';
import { eventTime, inEventOrder, overdue, pendingDueAt, step as decide, valueFor, type PairState } from './evaluate.js';
import { dropPending, extendPending, firePending, startPending } from './pending.js';
import { release } from './recover.js';
import type { CompiledRule } from './rule-index.js';
import { deviceOf, type DeviceState, type EngineState } from './state.js';
import { failed, fire, guarded, resolveAlert, SYSTEM } from './transitions.js';

const HELD: PairState = { kind: 'held' };
const OPEN: PairState = { kind: 'open' };
/** How long the registry's answer about a device (district, registered) is trusted. */
const INFO_TTL_MS = 60_000;

function deviceFor(s: EngineState, r: Reading): DeviceState {
  const t = s.now();
  const ds = deviceOf(s, { deviceId: r.deviceId, domain: r.domain, type: r.type, district: null });
  if (t - ds.infoAt > INFO_TTL_MS) {
    ds.infoAt = t;
    const info = s.registry.get(ds.deviceId);
    if (info) {
      ds.district = info.district ?? null;
      ds.registered = true;
    }
  }
  ds.domain = r.domain;
  ds.type = r.type;
  return ds;
}

/** Carries out what the state machine decides for one value: the store, timers and pushes. */
function step(s: EngineState, cr: CompiledRule, ds: DeviceState, v: number, ts: number): void {
  // A `for` due before this reading fired then (its timer has not run yet: set from when the first reading was
  // evaluated, or late under load), as the backtest fires it; this reading then meets the open alert.
  const due = ds.rules.get(cr.rule.id)?.pending;
  if (overdue(cr, due, ts)) firePending(s, cr, ds, due, pendingDueAt(cr, due.since));
  const st = ds.rules.get(cr.rule.id);
  const a = st?.alertId !== undefined ? s.open.get(st.alertId) : undefined;
  if (st?.alertId !== undefined && !a) { ds.rules.delete(cr.rule.id); return; }
  const p = st?.pending;
  const d = decide(cr, st?.held ? HELD : a ? OPEN : p, v, ts);
  switch (d.do) {
    case 'none': return;
    case 'release': return release(s, cr.rule.id, ds);
    case 'resolve': return void resolveAlert(s, { ...a!, lastValue: v, lastValueAt: ts }, ts, v, SYSTEM);
    case 'update':
      a!.lastValue = v;
      a!.lastValueAt = ts;
      s.dirty.alerts.add(a!.id);
      return;
    case 'cancel': return dropPending(s, cr.rule.id, ds, p!);
    case 'extend': return extendPending(s, ds, p!, v, ts);
    case 'start': return startPending(s, cr, ds, v, ts);
    case 'fire':
      if (!p) return fire(s, cr, ds, v, ts);
      p.value = v;
      p.lastAt = ts;
      return firePending(s, cr, ds, p, ts);
  }
}

/** Data again: a device's open no_data alerts resolve, and those resolved by hand may fire again. */
function dataAgain(s: EngineState, ds: DeviceState, receivedAt: number): void {
  for (const [ruleId, st] of ds.rules) {
    if (!s.compiled.get(ruleId)?.noData) continue;
    if (st.held) { guarded(s, 'releasing a no_data hold', () => release(s, ruleId, ds)); continue; }
    const a = st.alertId !== undefined ? s.open.get(st.alertId) : undefined;
    if (a) guarded(s, 'resolving a no_data alert', () => resolveAlert(s, a, receivedAt, null, SYSTEM, 'data again'));
  }
}

function evaluateOne(s: EngineState, r: Reading): void {
  const ds = deviceFor(s, r);
  s.dirty.devices.add(ds);
  const ts = eventTime(r);
  if (ts < ds.lastTs) {
    s.metrics.outOfOrder.inc();
    return;
  }
  ds.lastTs = ts;
  if (ds.rules.size > 0) dataAgain(s, ds, r.receivedAt);
  const rules = s.byType.get(`${r.domain}/${r.type}`);
  if (!rules) return;
  for (const cr of rules) {
    if (!matches(cr.rule.match, ds)) continue;
    const v = valueFor(cr, r.values);
    if (v === undefined) continue;
    try {
      step(s, cr, ds, v, ts);
    } catch (err) {
      failed(s, 'evaluating a reading', err);
    }
  }
}

/** Evaluates a batch of accepted readings; never throws. */
export function evaluate(s: EngineState, readings: readonly Reading[]): void {
  if (!s.started) return;
  // Event-time order per device: a batch out of time order is evaluated sorted; readings older than what a
  // device already showed cause no transition.
  for (const r of inEventOrder(readings)) evaluateOne(s, r);
}
