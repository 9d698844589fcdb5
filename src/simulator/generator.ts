import type { Catalog, SensorType } from '../core/index.js';
import { encodePayload, finishValues, type Values } from './encode.js';
import { createTimeline, type ActiveEvent, type EventOccurrence } from './events.js';
import type { FleetDevice } from './fleet.js';
import { createPrng } from './prng.js';
import { clockHours, type Fault, type FaultKind, type Scenario } from './scenario.js';
import { createModel, type DeviceModel, type SignalContext } from './signals/index.js';

/** One slot's message, decided in advance; only its timestamp waits for the moment it is sent. */
export interface Outgoing {
  /** When it is due, in ms from the start of the run. */
  t: number;
  /** Index of the device in the fleet. */
  device: number;
  topic: string;
  qos: 0 | 1;
  /** The fault injected into it, if any. */
  fault?: FaultKind;
  /** Set when the device says nothing this time (a dropout); `disconnect`: it has lost its connection too. */
  silent?: { disconnect: boolean };
  /** The payload as the device sends it at `now` (epoch ms, by the platform's clock). */
  encode(now: number): string;
}

export interface GeneratorOptions {
  catalog: Catalog;
  fleet: readonly FleetDevice[];
  scenario: Scenario;
  seed: string | number;
  qos: 0 | 1;
}

/** Decides every device's messages: a pure function of the seed, the fleet, the scenario and the slot times. */
export interface Generator {
  /** The message device `device` sends in the slot due at `t` ms; call in slot order. */
  next(device: number, t: number): Outgoing;
  /** The scenario's event occurrences in force at `t` ms (the same device choices as the messages). */
  inForce(t: number): EventOccurrence[];
}

interface DeviceState {
  sensor: SensorType;
  model: DeviceModel;
  rng: ReturnType<typeof createPrng>;
  topic: string;
  seq: number;
  lastSim?: number;
  stuck?: { key: string; values: Values };
}

/** A message generator; all of its randomness derives from `seed` (one stream per device and per event). */
export function createGenerator(options: GeneratorOptions): Generator {
  const { catalog, fleet, scenario, qos } = options;
  const root = createPrng(options.seed);
  const timeline = createTimeline(scenario, fleet, root.fork('scenario'));
  const startHour = clockHours(scenario);
  const states: DeviceState[] = fleet.map((d) => {
    const sensor = catalog.get(d.domain, d.type);
    if (!sensor) throw new RangeError(`device ${d.id}: ${d.domain}/${d.type} is not in the catalog`);
    const rng = root.fork(`device/${d.id}`);
    return { sensor, model: createModel(d, sensor, rng.fork('model')), rng, topic: `city/${d.domain}/${d.type}/${d.id}`, seq: 0 };
  });

  const adjuster = (active: ActiveEvent[], type: string, rng: DeviceState['rng']) => (name: string, value: number): number => {
    let v = value;
    for (const a of active) {
      for (const e of a.event.effects) {
        if (e.metric !== name || (e.type !== undefined && e.type !== type)) continue;
        if (e.set !== undefined) v += (e.set + (e.jitter > 0 ? rng.normal(0, e.jitter) : 0) - v) * a.intensity;
        else if (e.add !== undefined) v += e.add * a.intensity;
        else if (e.multiply !== undefined) v *= 1 + (e.multiply - 1) * a.intensity;
      }
    }
    return v;
  };

  return {
    inForce: (t) => timeline.inForce(t),
    next(device, t) {
      const st = states[device]!;
      const d = fleet[device]!;
      const sim = (t / 1000) * scenario.timeScale;
      const dt = st.lastSim === undefined ? 0 : Math.max(0, sim - st.lastSim);
      st.lastSim = sim;
      const active = timeline.activeFor(device, t);
      const ctx: SignalContext = {
        hour: (startHour + sim / 3600) % 24,
        dt,
        adjust: adjuster(active, d.type, st.rng),
        goto: active.find((a) => a.goto)?.goto,
      };
      // The model always advances, so a device that comes back from a fault or dropout has moved on in time.
      let values = finishValues(st.sensor, st.model.next(ctx));
      const faulty = active.find((a) => a.event.fault);
      const fault: Fault | undefined = faulty?.event.fault;
      const base = { t, device, topic: st.topic, qos };
      if (fault?.kind === 'dropout') {
        return { ...base, fault: 'dropout', silent: { disconnect: fault.disconnect }, encode: () => '' };
      }
      const applies = fault !== undefined && (fault.probability >= 1 || st.rng.chance(fault.probability));
      if (applies && fault.kind === 'stuck') {
        const key = `${faulty!.index}:${faulty!.occurrence}`;
        if (st.stuck?.key !== key) st.stuck = { key, values };
        values = st.stuck.values;
      }
      const input = { deviceId: d.id, sensor: st.sensor, seq: st.seq++, values, fault: applies ? fault : undefined };
      return { ...base, ...(applies ? { fault: fault.kind } : {}), encode: (now: number) => encodePayload(input, now) };
    },
  };
}
