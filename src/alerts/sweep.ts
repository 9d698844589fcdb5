// The stale-device sweep (node-cron; the engine schedules it): `no_data` rules fire for silent devices and resolve
// for devices heard again (device status says which are stale); devices the registry deleted are forgotten.
import { noDataLimitMs } from './evaluate.js';
import { matches } from '../core/index.js';
import { dropPending } from './pending.js';
import { release } from './recover.js';
import { endSilences } from './silencing.js';
import type { DeviceState, EngineState } from './state.js';
import { fire, guarded, resolveAlert, SYSTEM } from './transitions.js';
import { flush } from './write-behind.js';

/** Drops all the engine knows of a device: holds and pending conditions go, open alerts resolve with `note`. */
function forget(s: EngineState, ds: DeviceState, note: string): void {
  for (const [ruleId, st] of [...ds.rules]) {
    if (st.held) release(s, ruleId, ds);
    if (st.pending) dropPending(s, ruleId, ds, st.pending);
    const a = st.alertId !== undefined ? s.open.get(st.alertId) : undefined;
    if (a) resolveAlert(s, a, s.now(), a.lastValue, SYSTEM, note);
  }
  s.devices.delete(ds.deviceId);
  s.dirty.devices.delete(ds);
  s.store.state.deleteWatermark(ds.deviceId);
}

/** The device was deleted (the API calls this where it deletes it): forgotten at once, its open alerts resolved. */
export function deviceDeleted(s: EngineState, deviceId: string): void {
  const ds = s.devices.get(deviceId);
  if (!ds || !s.started) return;
  guarded(s, 'forgetting a deleted device', () => forget(s, ds, 'device deleted'));
}

// A deletion the engine was not told of (while it was down, say) is found here: the registry knew it, and no longer does.
const isDeleted = (s: EngineState, ds: DeviceState) => ds.registered && s.registry.get(ds.deviceId) === undefined;

/** One device against the `no_data` rules at `t`. */
function sweepDevice(s: EngineState, ds: DeviceState, t: number): void {
  if (ds.rules.size > 0 && isDeleted(s, ds)) return forget(s, ds, 'device deleted');
  const sensor = s.catalog.get(ds.domain, ds.type);
  if (!sensor) return;
  // lastSeen, goodbyes, the grace after start and the definition of stale are device status's (s.status).
  const lastSeen = s.status.lastSeen(ds.deviceId) ?? 0;
  for (const cr of s.noDataRules) {
    if (!matches(cr.rule.match, ds)) continue;
    const limit = noDataLimitMs(cr, sensor);
    const st = ds.rules.get(cr.rule.id);
    if (st?.held) {
      if (t - lastSeen <= limit) release(s, cr.rule.id, ds);
      continue;
    }
    if (st?.alertId !== undefined) {
      const a = s.open.get(st.alertId);
      if (a && t - lastSeen <= limit) resolveAlert(s, a, t, null, SYSTEM, 'data again');
      continue;
    }
    if (!s.status.isStale(ds.deviceId, limit, t)) continue;
    if (isDeleted(s, ds)) return forget(s, ds, 'device deleted');
    fire(s, cr, ds, Math.round((t - lastSeen) / 1000), t, limit / 1000);
  }
}

/** Fires and resolves `no_data` alerts, ends expired silences, flushes buffered values. */
export function sweep(s: EngineState): void {
  if (!s.started) return;
  const t = s.now();
  endSilences(s);
  for (const ds of [...s.devices.values()]) guarded(s, 'sweeping a device', () => sweepDevice(s, ds, t));
  flush(s);
}
