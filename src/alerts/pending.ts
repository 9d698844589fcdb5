// Pending `for` conditions: started by a breaching reading, fired by a later one or by their timer (the engine's
// only per-pair timers), dropped by a reading that does not breach. Each is persisted, so a restart keeps it.
import type { PendingState } from '../storage/index.js';
import { pendingDueAt } from './evaluate.js';
import type { CompiledRule } from './rule-index.js';
import { MAX_TIMER_MS, type DeviceState, type EngineState, type Pending } from './state.js';
import { fire, guarded } from './transitions.js';

function schedule(s: EngineState, cr: CompiledRule, ds: DeviceState, p: Pending, dueAt: number): void {
  p.timer = setTimeout(() => onDue(s, cr.rule.id, ds, p), Math.min(Math.max(0, dueAt - s.now()), MAX_TIMER_MS));
  p.timer.unref();
}

function onDue(s: EngineState, ruleId: string, ds: DeviceState, p: Pending): void {
  p.timer = undefined;
  const st = ds.rules.get(ruleId);
  const cr = s.compiled.get(ruleId);
  if (!s.started || st?.pending !== p || !cr) return;
  guarded(s, 'firing a pending alert', () => firePending(s, cr, ds, p, pendingDueAt(cr, p.since)));
}

/** idle → pending: `for` starts at the breaching reading's event time `at`. */
export function startPending(s: EngineState, cr: CompiledRule, ds: DeviceState, value: number, at: number): void {
  const dueAt = s.now() + cr.forMs;
  const p: Pending = { kind: 'pending', ruleId: cr.rule.id, since: at, value, lastAt: at, dueAt };
  s.store.state.putPending({ ruleId: cr.rule.id, deviceId: ds.deviceId, since: at, value, lastAt: at, dueAt });
  ds.rules.set(cr.rule.id, { pending: p });
  s.pendingCount++;
  schedule(s, cr, ds, p, dueAt);
}

/** A stored pending condition goes on after a restart: its timer keeps its due time (one already due fires at once). */
export function resumePending(s: EngineState, cr: CompiledRule, ds: DeviceState, stored: PendingState): void {
  const p: Pending = { kind: 'pending', ruleId: stored.ruleId, since: stored.since, value: stored.value, lastAt: stored.lastAt, dueAt: stored.dueAt };
  ds.rules.set(stored.ruleId, { pending: p });
  s.pendingCount++;
  schedule(s, cr, ds, p, stored.dueAt);
}

/** pending stays pending with the newest breaching value (written with the next flush). */
export function extendPending(s: EngineState, ds: DeviceState, p: Pending, value: number, at: number): void {
  p.value = value;
  p.lastAt = at;
  s.dirty.pending.set(p, ds);
}

/** pending → idle, its row deleted. */
export function dropPending(s: EngineState, ruleId: string, ds: DeviceState, p: Pending): void {
  if (p.timer) clearTimeout(p.timer);
  p.timer = undefined;
  if (ds.rules.get(ruleId)?.pending === p) ds.rules.delete(ruleId);
  s.dirty.pending.delete(p);
  s.pendingCount--;
  s.store.state.deletePending(ruleId, ds.deviceId);
}

/** pending → open at `at`, with the newest breaching value. */
export function firePending(s: EngineState, cr: CompiledRule, ds: DeviceState, p: Pending, at: number): void {
  // Open first, then forget the pending row: a crash between leaves a pending that start() drops. If
  // opening fails, the pending stays and the next breaching reading tries again.
  if (p.timer) clearTimeout(p.timer);
  p.timer = undefined;
  fire(s, cr, ds, p.value, at, cr.threshold, p.lastAt);
  s.dirty.pending.delete(p);
  s.pendingCount--;
  s.store.state.deletePending(cr.rule.id, ds.deviceId);
}

/** Clears every pending timer (stop); the rows stay for the next start. */
export function clearPendingTimers(s: EngineState): void {
  for (const ds of s.devices.values()) for (const st of ds.rules.values()) if (st.pending?.timer) clearTimeout(st.pending.timer);
}
