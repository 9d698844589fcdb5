import type { FleetDevice } from '../fleet.js';
import type { Prng } from '../prng.js';
import { ambientTemp, clamp, createDrift, trafficIntensity, type DeviceModel } from './city.js';

/** An indoor smoke detector: clear air with a little dust; room temperature follows the weather slightly. */
export function smoke(_device: FleetDevice, rng: Prng): DeviceModel {
  const room = rng.uniform(19, 24);
  return {
    next(ctx) {
      const outside = ctx.adjust('ambient_temp', ambientTemp(ctx.hour));
      const obscuration = ctx.adjust('obscuration', Math.max(0, 0.2 + rng.normal(0, 0.1)));
      const temp = ctx.adjust('temp', room + 0.25 * (outside - 22) + rng.normal(0, 0.2));
      return { obscuration, temp };
    },
  };
}

/** A street gas detector: CO rises with traffic exhaust; methane near zero with a slow drift. */
export function gas(_device: FleetDevice, rng: Prng): DeviceModel {
  const coDrift = createDrift(rng, 1.5);
  const ch4Drift = createDrift(rng, 0.3);
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      const co = ctx.adjust('co', Math.max(0, 2 + 9 * t + coDrift.step(ctx.dt) + rng.normal(0, 0.6)));
      const ch4 = ctx.adjust('ch4', Math.max(0, 0.6 + ch4Drift.step(ctx.dt) + rng.normal(0, 0.1)));
      return { co, ch4 };
    },
  };
}

/** A river or drain gauge: a level of its own that wanders slowly. */
export function flood(_device: FleetDevice, rng: Prng): DeviceModel {
  const base = rng.uniform(30, 80);
  const drift = createDrift(rng, 6, 1 / 7200);
  return {
    next(ctx) {
      return { water_level: ctx.adjust('water_level', Math.max(0, base + drift.step(ctx.dt) + rng.normal(0, 0.5))) };
    },
  };
}

/** A street noise meter: about 40 dB before dawn, 65–75 dB at the traffic peaks. */
export function noise(_device: FleetDevice, rng: Prng): DeviceModel {
  const site = rng.uniform(0.7, 1.05); // quiet street … arterial road
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      return { level: ctx.adjust('level', 38 + 33 * t * site + rng.normal(0, 2)) };
    },
  };
}

/** An air station: fine dust (a dusty city) and NO2 that follow traffic; PM10 tracks PM2.5. */
export function air(_device: FleetDevice, rng: Prng): DeviceModel {
  const dust = createDrift(rng, 8, 1 / 3600);
  const ratio = rng.uniform(1.6, 2.2);
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      const pm25 = ctx.adjust('pm25', Math.max(2, 22 + 22 * t + dust.step(ctx.dt) + rng.normal(0, 2)));
      const pm10 = ctx.adjust('pm10', pm25 * ratio + rng.normal(0, 3));
      const no2 = ctx.adjust('no2', Math.max(2, 12 + 50 * t + rng.normal(0, 4)));
      return { pm25, pm10, no2 };
    },
  };
}

/** A bridge monitor: vibration from passing traffic; a small tilt of its own that barely moves. */
export function structure(_device: FleetDevice, rng: Prng): DeviceModel {
  const tilt = rng.normal(0, 0.4);
  const settle = createDrift(rng, 0.05, 1 / 86_400);
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      const vibration = ctx.adjust('vibration', clamp(0.2 + 4 * t * rng.next() + Math.abs(rng.normal(0, 0.3)), 0, 12));
      return { vibration, tilt: ctx.adjust('tilt', tilt + settle.step(ctx.dt)) };
    },
  };
}
