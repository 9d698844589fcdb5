// What is written behind the readings rather than with each: open alerts' last values, device watermarks and
// pending conditions' newest values, all in one go every `flushIntervalMs`, after each sweep and at stop.
import type { EngineState } from './state.js';
import { guarded } from './transitions.js';

/** Writes what is dirty; a failing store is logged and counted (the values are then lost until the next change). */
export function flush(s: EngineState): void {
  const { store, dirty } = s;
  guarded(s, 'flushing alert state', () => {
    const values = [...dirty.alerts].flatMap((id) => {
      const a = s.open.get(id);
      return a ? [{ id, lastValue: a.lastValue, lastValueAt: a.lastValueAt }] : [];
    });
    dirty.alerts.clear();
    store.alerts.updateLastValues(values);
    const marks = [...dirty.devices].map((ds) => ({
      deviceId: ds.deviceId, domain: ds.domain, type: ds.type, district: ds.district, lastTs: ds.lastTs, registered: ds.registered,
    }));
    dirty.devices.clear();
    store.state.putWatermarks(marks);
    // Only conditions still pending: one fired or dropped since has already had its row deleted.
    const pending = [...dirty.pending].flatMap(([p, ds]) =>
      s.devices.get(ds.deviceId) === ds && ds.rules.get(p.ruleId)?.pending === p ? [{ ruleId: p.ruleId, deviceId: ds.deviceId, since: p.since, value: p.value, lastAt: p.lastAt, dueAt: p.dueAt }] : []);
    dirty.pending.clear();
    store.state.putPendings(pending);
  });
}
