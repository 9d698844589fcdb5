// Restart recovery: devices from their watermarks, open alerts, holds and pending `for` conditions from the store,
// each checked against the rules as they are now. And holds: a pair resolved by hand during a breach.
import { deviceOf, newDeviceState, type DeviceState, type EngineState } from './state.js';
import { resumePending } from './pending.js';

/** Holds a pair whose alert is being resolved by hand: persisted before the resolve (a crash leaves a hold start() drops). */
export function putHold(s: EngineState, ruleId: string, ds: DeviceState): void {
  s.store.state.putHold(ruleId, ds.deviceId);
}

/** held → idle: the clear condition holds again, or the rule no longer covers the device. */
export function release(s: EngineState, ruleId: string, ds: DeviceState): void {
  ds.rules.delete(ruleId);
  s.store.state.deleteHold(ruleId, ds.deviceId);
}

/** Loads what the engine held when it stopped (the rules are compiled already); `t` is the start time. */
export function recover(s: EngineState, t: number): void {
  const { store } = s;
  for (const m of store.state.watermarks()) {
    // A watermark in the future was written before event times were capped at the receive time: no later.
    s.devices.set(m.deviceId, newDeviceState({ ...m, lastTs: Math.min(m.lastTs, t) }));
  }
  for (const a of store.alerts.active()) {
    s.open.set(a.id, a);
    deviceOf(s, a).rules.set(a.ruleId, { alertId: a.id });
  }
  for (const { ruleId, deviceId } of store.state.holds()) {
    const cr = s.compiled.get(ruleId);
    const ds = s.devices.get(deviceId);
    if (!cr || !cr.rule.enabled || !ds || ds.rules.has(ruleId)) store.state.deleteHold(ruleId, deviceId);
    else ds.rules.set(ruleId, { held: true });
  }
}

/** Starts the stored pending conditions' timers again (after `started`: one already due fires right away). */
export function resumePendings(s: EngineState): void {
  for (const p of s.store.state.pending()) {
    const cr = s.compiled.get(p.ruleId);
    const ds = s.devices.get(p.deviceId);
    if (!cr || !cr.rule.enabled || cr.noData || !ds || ds.rules.has(p.ruleId)) {
      s.store.state.deletePending(p.ruleId, p.deviceId);
      continue;
    }
    // The `for` goes on from where it was: a timer already due fires right after start.
    resumePending(s, cr, ds, p);
  }
}
