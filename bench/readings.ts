import type { Reading } from '../src/core/index.js';

/**
 * The benchmark's readings: one fleet of catalog devices, each reading a deterministic function of
 * (device index, seq), so the load generator, the bare broker run and the raw store run all carry the same
 * readings. Values stay inside the catalog's ranges and below every built-in rule's threshold: the load
 * itself raises no alert (the alert probe does that on purpose).
 */

export interface FleetDevice {
  index: number;
  id: string;
  domain: string;
  type: string;
  topic: string;
}

type Values = Record<string, number>;

// Four catalog types with 2–3 metrics each; v cycles slowly so values look like a signal, not noise.
const KINDS: ReadonlyArray<{ domain: string; type: string; values: (v: number) => Values }> = [
  { domain: 'healthcare', type: 'wearable', values: (v) => ({ heart_rate: 60 + (v % 50), spo2: 94 + (v % 6), body_temp: 36 + (v % 20) / 10 }) },
  { domain: 'transport', type: 'traffic', values: (v) => ({ flow: 20 + (v % 200), speed: 25 + (v % 60), occupancy: v % 90 }) },
  { domain: 'safety', type: 'air', values: (v) => ({ pm25: 5 + (v % 60), pm10: 10 + (v % 90), no2: 10 + (v % 80) }) },
  { domain: 'safety', type: 'gas', values: (v) => ({ co: (v % 40) + 0.5, ch4: (v % 8) / 2 }) },
];

/** The i-th device of a fleet whose ids start with `prefix`. */
export function fleetDevice(prefix: string, index: number): FleetDevice {
  const kind = KINDS[index % KINDS.length]!;
  const id = `${prefix}-${index}`;
  return { index, id, domain: kind.domain, type: kind.type, topic: `city/${kind.domain}/${kind.type}/${id}` };
}

/** A fleet of `n` devices. */
export function fleet(prefix: string, n: number): FleetDevice[] {
  return Array.from({ length: n }, (_, i) => fleetDevice(prefix, i));
}

/** The metric values of a device's reading number `seq`. */
export function valuesOf(device: FleetDevice, seq: number): Values {
  return KINDS[device.index % KINDS.length]!.values(seq * 7 + device.index);
}

/**
 * Event time of a device's reading `seq`: one millisecond apart from `t0`, so every (device, ts) is distinct and
 * each reading is its own point in the store; a device sending under 1000 readings a second stays behind real time.
 */
export function timeOf(t0: number, seq: number): number {
  return t0 + seq;
}

/** The telemetry payload (CONTRACT.md section 3, form 2) of a reading. */
export function payloadOf(device: FleetDevice, seq: number, t0: number): string {
  return `{"ts":${timeOf(t0, seq)},"seq":${seq},"values":${JSON.stringify(valuesOf(device, seq))}}`;
}

/** The same reading as ingest makes it, for writing straight to a store. */
export function readingOf(device: FleetDevice, seq: number, t0: number, receivedAt: number): Reading {
  return { deviceId: device.id, domain: device.domain, type: device.type, ts: timeOf(t0, seq), receivedAt, seq, values: valuesOf(device, seq) };
}
