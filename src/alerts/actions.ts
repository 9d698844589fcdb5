// What operators do to an alert: acknowledge it, or resolve it by hand (which holds its pair, docs/contract.md 5.2).
import { conflict, notFound, type Alert, type Credit } from '../core/index.js';
import { putHold } from './recover.js';
import type { EngineState } from './state.js';
import { apply, resolveAlert } from './transitions.js';
import { flush } from './write-behind.js';

function mustFind(s: EngineState, id: number): Alert {
  const a = s.open.get(id) ?? s.store.alerts.get(id);
  if (!a) throw notFound(`alert ${id}`);
  return a;
}

export function ack(s: EngineState, id: number, by: Credit, note?: string): Alert {
  const a = mustFind(s, id);
  if (a.state === 'resolved') throw conflict(`alert ${id} is already resolved`);
  if (a.state === 'acknowledged') return a;
  const t = s.now();
  return apply(s, a, { ...a, state: 'acknowledged', acknowledgedAt: t, acknowledgedBy: by.name, acknowledgedById: by.id }, { kind: 'acknowledged', at: t, value: a.lastValue, actor: by.name, actorId: by.id, ...(note ? { note } : {}) }, 'acknowledged');
}

export function resolve(s: EngineState, id: number, by: Credit, note?: string): Alert {
  const a = mustFind(s, id);
  if (a.state === 'resolved') throw conflict(`alert ${id} is already resolved`);
  const ds = s.devices.get(a.deviceId);
  const cr = s.compiled.get(a.ruleId);
  // A breach that goes on is still this episode (docs/contract.md 5.2): the pair waits for its clear condition. The
  // hold is written first: a crash before the resolve leaves a hold that start() drops beside the open alert.
  const hold = ds !== undefined && cr?.rule.enabled === true && ds.rules.get(a.ruleId)?.alertId === a.id;
  if (hold) {
    putHold(s, a.ruleId, ds);
    s.dirty.devices.add(ds);
    flush(s); // the device's watermark too: start() keeps only holds of devices it knows
  }
  const resolved = resolveAlert(s, a, s.now(), a.lastValue, by, note);
  if (hold) ds.rules.set(a.ruleId, { held: true });
  return resolved;
}
