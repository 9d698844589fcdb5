// What the engine answers without changing anything: alerts (an open one as the engine holds it), rules, silences.
import type { EngineState } from './state.js';
import type { AlertEngine } from './types.js';

export type AlertQueries = Pick<AlertEngine, 'getAlert' | 'listAlerts' | 'activeAlerts' | 'eventsAfter' | 'listRules' | 'getRule' | 'listSilences' | 'getSilence'>;

export function queries(s: EngineState): AlertQueries {
  const { store, open } = s;
  return {
    getAlert(id) {
      const a = open.get(id) ?? store.alerts.get(id);
      return a ? { ...a, transitions: store.alerts.transitions(id) } : undefined;
    },
    listAlerts(q) {
      const rows = store.alerts.list({ ...q, limit: q.limit + 1 });
      const items = rows.slice(0, q.limit).map((a) => open.get(a.id) ?? a);
      return rows.length > q.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items };
    },
    activeAlerts: () => [...open.values()],
    eventsAfter: (eventId, limit) => store.alerts.eventsAfter(eventId, limit),
    listRules: () => store.rules.list(),
    getRule: (id) => store.rules.get(id),
    listSilences: () => store.silences.list(),
    getSilence: (id) => store.silences.get(id),
  };
}
