import type { MetricSpec, SensorType } from '../core/index.js';
import { round } from './districts.js';
import type { Fault } from './scenario.js';

export type Values = Record<string, number | boolean>;

// Decimals a real device of each unit would send.
const DIGITS: Record<string, number> = { deg: 5, count: 0, 'beat/min': 0, s: 0, '%': 1, ppm: 1, cm: 1, dB: 1, Cel: 2 };

/** Keeps the catalog's metrics only, rounds like a device would, and keeps each value inside its range. */
export function finishValues(sensor: SensorType, raw: Values): Values {
  const out: Values = {};
  for (const [name, v] of Object.entries(raw)) {
    const spec = sensor.metrics.get(name);
    if (!spec) continue;
    if (spec.kind === 'boolean') {
      out[name] = Boolean(v);
      continue;
    }
    let n = round(Number(v), DIGITS[spec.unit ?? ''] ?? 2);
    if (!Number.isFinite(n)) n = spec.min ?? 0;
    if (spec.min !== undefined && n < spec.min) n = spec.min;
    if (spec.max !== undefined && n > spec.max) n = spec.max;
    out[name] = n;
  }
  return out;
}

function numericMetric(sensor: SensorType, preferred?: string): MetricSpec | undefined {
  const p = preferred ? sensor.metrics.get(preferred) : undefined;
  if (p && p.kind === 'number') return p;
  return [...sensor.metrics.values()].find((m) => m.kind === 'number');
}

/** A value no catalog range admits for this metric: half a range past its top, or below its bottom. */
function outOfRange(m: MetricSpec): number {
  if (m.max !== undefined) return round(m.max + Math.max(1, ((m.max - (m.min ?? 0)) / 2)), 1);
  if (m.min !== undefined) return m.min - 1000;
  return 1e308 * 10; // Infinity: JSON.stringify writes null, which is refused as wrong_type
}

export interface EncodeInput {
  deviceId: string;
  sensor: SensorType;
  seq: number;
  values: Values;
  fault?: Fault;
}

/**
 * The telemetry payload a device sends at `now` (docs/contract.md section 3, form 2: `{ts, seq, values}`),
 * spoiled the way `fault` says (a SenML batch for a wrong unit).
 */
export function encodePayload(input: EncodeInput, now: number): string {
  const { deviceId, sensor, seq, fault } = input;
  const values: Record<string, unknown> = { ...input.values };
  let ts = now;
  switch (fault?.kind) {
    case 'clock_skew':
      ts = now + fault.skew;
      break;
    case 'out_of_range': {
      const m = numericMetric(sensor, fault.metric);
      if (m) values[m.name] = outOfRange(m);
      break;
    }
    case 'wrong_type': {
      const m = numericMetric(sensor, fault.metric);
      if (m) values[m.name] = String(values[m.name]);
      break;
    }
    case 'unknown_metric':
      values.battery = 87; // new firmware reports a metric the catalog does not have
      break;
    case 'bad_unit': {
      const m = numericMetric(sensor, fault.metric);
      return JSON.stringify(
        Object.entries(values).map(([n, v], i) => ({
          ...(i === 0 ? { bn: `${deviceId}/`, bt: ts / 1000 } : {}),
          n,
          ...(n === m?.name ? { u: m.unit === 'km/h' ? 'mph' : 'mV' } : {}),
          ...(typeof v === 'boolean' ? { vb: v } : { v }),
        })),
      );
    }
    default:
      break;
  }
  const json = JSON.stringify({ ts, seq, values });
  // Cut off mid-message, as a device that lost power while writing would.
  return fault?.kind === 'malformed' ? json.slice(0, Math.ceil(json.length * 0.6)) : json;
}
