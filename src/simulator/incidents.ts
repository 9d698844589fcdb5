// What an operator running a simulation hears of its scenario: each incident (an event occurrence) as it starts and
// ends, with the devices it touches.
import type { EventOccurrence } from './events.js';
import type { FleetDevice } from './fleet.js';

/** An incident starting or ending. */
export interface IncidentChange {
  phase: 'started' | 'ended';
  /** The scenario event's name (`gas leak`). */
  name: string;
  /** Which repetition of the event (0 for the first). */
  occurrence: number;
  /** The devices it touches (ids). */
  devices: string[];
  /** Ms from the start of the run. */
  at: number;
}

/**
 * Polls `inForce` every `everyMs` (at the run's own clock, `elapsed`) and reports each occurrence once as it
 * starts and once as it ends. Returns the function that stops watching (incidents still running then are not
 * reported as ended: the run is).
 */
export function watchIncidents(
  inForce: (t: number) => EventOccurrence[], fleet: readonly FleetDevice[], elapsed: () => number,
  report: (change: IncidentChange) => void, everyMs = 1000,
): () => void {
  const running = new Map<string, IncidentChange>();
  const tick = () => {
    const t = elapsed();
    const now = new Map(inForce(t).map((o) => [`${o.index}:${o.occurrence}`, o]));
    for (const [key, c] of [...running]) {
      if (now.has(key)) continue;
      running.delete(key);
      report({ ...c, phase: 'ended', at: t });
    }
    for (const [key, o] of now) {
      if (running.has(key)) continue;
      const change: IncidentChange = { phase: 'started', name: o.event.name ?? `event ${o.index + 1}`, occurrence: o.occurrence, devices: o.devices.map((i) => fleet[i]!.id), at: t };
      running.set(key, change);
      report(change);
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => clearInterval(timer);
}

/** An incident change in words: `incident started: gas leak (3 devices: sim-gas-004, sim-gas-010, sim-gas-016)`. */
export function describeIncident(c: IncidentChange): string {
  const ids = c.devices.length > 5 ? `${c.devices.slice(0, 5).join(', ')} and ${c.devices.length - 5} more` : c.devices.join(', ');
  const n = `${c.devices.length} ${c.devices.length === 1 ? 'device' : 'devices'}`;
  return `incident ${c.phase}: ${c.name}${c.occurrence > 0 ? ` (#${c.occurrence + 1})` : ''} at ${(c.at / 1000).toFixed(0)} s (${n}${ids ? `: ${ids}` : ''})`;
}
