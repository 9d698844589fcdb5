import type { SensorType } from '../../core/index.js';
import type { FleetDevice } from '../fleet.js';
import type { Prng } from '../prng.js';
import { createDrift, type DeviceModel } from './city.js';

/** For catalog types the simulator has no model of: each number wanders in the lower middle of its range. */
export function generic(_device: FleetDevice, rng: Prng, sensor: SensorType): DeviceModel {
  const metrics = [...sensor.metrics.values()].map((m) => {
    const lo = m.min ?? 0;
    const hi = m.max ?? lo + 100;
    return { m, lo, span: hi - lo, drift: createDrift(rng, 0.05) };
  });
  return {
    next(ctx) {
      const out: Record<string, number | boolean> = {};
      for (const { m, lo, span, drift } of metrics) {
        out[m.name] = m.kind === 'boolean' ? rng.chance(0.05) : ctx.adjust(m.name, lo + span * (0.35 + drift.step(ctx.dt) + rng.normal(0, 0.01)));
      }
      return out;
    },
  };
}
