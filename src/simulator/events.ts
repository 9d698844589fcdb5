import { YINCHUAN_DISTRICTS, distanceKm, findDistrict, type LatLon } from './districts.js';
import type { FleetDevice } from './fleet.js';
import type { Prng } from './prng.js';
import type { Scenario, ScenarioEvent, Selection } from './scenario.js';

/** One occurrence of a scenario event in force at some moment, with the devices it touches. */
export interface ActiveEvent {
  event: ScenarioEvent;
  /** The event's position in the scenario (stable name for its random stream). */
  index: number;
  /** Which repetition (0 for events that do not repeat). */
  occurrence: number;
  /** 0..1: how far the effects have faded in (ramp). */
  intensity: number;
  goto?: LatLon;
}

/** Resolves a place named in a scenario: a district's centre, or a point. */
export function placeOf(where: string | LatLon): LatLon {
  if (typeof where !== 'string') return where;
  const d = findDistrict(where);
  if (!d) throw new RangeError(`unknown district ${JSON.stringify(where)} (known: ${YINCHUAN_DISTRICTS.map((x) => x.name).join(', ')})`);
  return d.centre;
}

/** The fleet indices a selection picks; `rng` shuffles when the selection takes some but not by distance. */
export function selectDevices(fleet: readonly FleetDevice[], sel: Selection, rng: Prng): number[] {
  const lower = (xs?: string[]) => xs?.map((x) => x.toLowerCase());
  const types = lower(sel.type);
  const districts = lower(sel.district);
  const ids = sel.ids ? new Set(sel.ids) : undefined;
  let picked = fleet
    .map((d, i) => ({ d, i }))
    .filter(({ d }) =>
      (sel.domain === undefined || d.domain === sel.domain)
      && (!types || types.includes(d.type))
      && (!districts || districts.includes(d.district.toLowerCase()))
      && (!ids || ids.has(d.id)));
  const n = sel.count !== undefined && sel.fraction !== undefined
    ? Math.min(sel.count, Math.ceil(sel.fraction * picked.length))
    : sel.count ?? (sel.fraction !== undefined ? Math.ceil(sel.fraction * picked.length) : picked.length);
  if (sel.near !== undefined) {
    const at = placeOf(sel.near);
    picked = picked
      .map((p) => ({ ...p, km: distanceKm(p.d.location, at) }))
      .sort((a, b) => a.km - b.km || a.i - b.i);
  } else if (n < picked.length) {
    picked = rng.shuffle(picked);
  }
  return picked.slice(0, n).map((p) => p.i).sort((a, b) => a - b);
}

/** Which events are in force for which devices, at any time of the run (ms from its start). */
export interface Timeline {
  activeFor(device: number, t: number): ActiveEvent[];
  /** The event occurrences in force at `t`, whichever devices they touch (incidents, as an operator hears of them). */
  inForce(t: number): EventOccurrence[];
}

/** One occurrence of an event, with the fleet indices it touches. */
export interface EventOccurrence {
  event: ScenarioEvent;
  index: number;
  occurrence: number;
  devices: number[];
}

/** The scenario's events over the fleet; device choices come from `rng`, one stream per event occurrence. */
export function createTimeline(scenario: Scenario, fleet: readonly FleetDevice[], rng: Prng): Timeline {
  const events = scenario.events.map((event, index) => ({ event, index, goto: event.goto !== undefined ? placeOf(event.goto) : undefined }));
  // Validate places up front, so a typo fails at start rather than minutes into a run.
  for (const { event } of events) if (event.select.near !== undefined) placeOf(event.select.near);
  const chosen = new Map<string, Set<number>>();
  const devicesOf = (index: number, occurrence: number, sel: Selection) => {
    const key = `${index}:${occurrence}`;
    let set = chosen.get(key);
    if (!set) {
      set = new Set(selectDevices(fleet, sel, rng.fork(`event/${index}/${occurrence}`)));
      chosen.set(key, set);
      // A previous occurrence of a repeating event is over: forget it.
      if (occurrence > 0) chosen.delete(`${index}:${occurrence - 1}`);
    }
    return set;
  };

  /** The occurrence of `event` in force at `t`, with its start and end, or undefined. */
  const occurrenceAt = (event: ScenarioEvent, t: number) => {
    if (t < event.at) return undefined;
    const occurrence = event.every !== undefined ? Math.floor((t - event.at) / event.every) : 0;
    const start = event.at + occurrence * (event.every ?? 0);
    const end = event.duration !== undefined ? start + event.duration : Infinity;
    return t < end ? { occurrence, start, end } : undefined;
  };

  return {
    inForce(t) {
      const out: EventOccurrence[] = [];
      for (const { event, index } of events) {
        const o = occurrenceAt(event, t);
        if (o) out.push({ event, index, occurrence: o.occurrence, devices: [...devicesOf(index, o.occurrence, event.select)] });
      }
      return out;
    },
    activeFor(device, t) {
      const out: ActiveEvent[] = [];
      for (const { event, index, goto } of events) {
        const o = occurrenceAt(event, t);
        if (!o) continue;
        const { occurrence, start, end } = o;
        if (!devicesOf(index, occurrence, event.select).has(device)) continue;
        let intensity = 1;
        if (event.ramp > 0) intensity = Math.min(1, (t - start) / event.ramp, (end - t) / event.ramp);
        out.push({ event, index, occurrence, intensity: Math.max(0, intensity), goto });
      }
      return out;
    },
  };
}
