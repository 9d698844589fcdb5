import { distanceKm, type LatLon } from '../districts.js';
import type { FleetDevice } from '../fleet.js';
import type { Prng } from '../prng.js';
import { activity, ambientTemp, clamp, createDrift, trafficIntensity, type DeviceModel } from './city.js';

/** A person's wearable: resting heart rate of its own, higher by day; SpO2 near 97; a circadian body temperature. */
export function wearable(_device: FleetDevice, rng: Prng): DeviceModel {
  const rest = rng.normal(66, 6);
  const hrDrift = createDrift(rng, 3, 1 / 600);
  const spo2Base = rng.uniform(96.5, 98.5);
  const tempBase = rng.normal(36.6, 0.15);
  return {
    next(ctx) {
      const act = ctx.adjust('activity', activity(ctx.hour));
      const heat = Math.max(0, ctx.adjust('ambient_temp', ambientTemp(ctx.hour)) - 33);
      const hr = ctx.adjust('heart_rate', rest + 22 * act + 1.5 * heat + hrDrift.step(ctx.dt) + rng.normal(0, 2));
      const spo2 = ctx.adjust('spo2', Math.min(100, spo2Base + rng.normal(0, 0.5)));
      const circadian = 0.3 * Math.cos((2 * Math.PI * (ctx.hour - 18)) / 24);
      const temp = ctx.adjust('body_temp', tempBase + circadian + 0.12 * heat + rng.normal(0, 0.08));
      return { heart_rate: hr, spo2, body_temp: temp };
    },
  };
}

/** A vaccine fridge: holds its set point with a compressor cycle; doors open in clinic hours; heat leaks in. */
export function coldChain(_device: FleetDevice, rng: Prng): DeviceModel {
  const setPoint = rng.uniform(4, 5.5);
  const leak = rng.uniform(0.1, 0.5); // how much outside heat above 30 °C gets in: old fridges leak more
  const cycle = rng.uniform(900, 1500); // compressor period, s
  let phase = rng.uniform(0, cycle);
  let doorHeat = 0;
  const drift = createDrift(rng, 0.2);
  return {
    next(ctx) {
      phase = (phase + ctx.dt) % cycle;
      // Door openings as a Poisson process in time (not per message, so the reporting rate does not change them):
      // about one every 20 minutes in clinic hours, one every 4 hours at night.
      const perSecond = ctx.hour >= 8 && ctx.hour < 18 ? 1 / 1200 : 1 / 14_400;
      const door = rng.chance(1 - Math.exp(-perSecond * ctx.dt));
      doorHeat = door ? doorHeat + rng.uniform(0.8, 1.8) : doorHeat * Math.exp(-ctx.dt / 300);
      const outside = ctx.adjust('ambient_temp', ambientTemp(ctx.hour));
      const sawtooth = 0.7 * (phase / cycle - 0.5);
      const temp = setPoint + sawtooth + doorHeat + leak * Math.max(0, outside - 30) + drift.step(ctx.dt) + rng.normal(0, 0.05);
      return { temp: ctx.adjust('temp', temp), door_open: door };
    },
  };
}

/** An ambulance: waits at its station, answers a call now and then, and heads where an incident calls it. */
export function ambulance(device: FleetDevice, rng: Prng): DeviceModel {
  const station = device.location;
  let at: LatLon = { ...station };
  let call: LatLon | undefined;
  let dwell = 0;
  return {
    next(ctx) {
      if (!call && !ctx.goto && rng.chance(Math.min(1, ctx.dt / 5400))) {
        call = { lat: station.lat + rng.normal(0, 0.03), lon: station.lon + rng.normal(0, 0.03) };
      }
      const target = ctx.goto ?? call ?? station;
      const away = distanceKm(at, target);
      let speed = 0;
      if (away > 0.05) {
        const traffic = ctx.adjust('traffic', trafficIntensity(ctx.hour));
        speed = ctx.adjust('speed', clamp(rng.normal(75 - 25 * traffic, 6), 20, 130));
        const step = Math.min(1, (speed * ctx.dt) / 3600 / away);
        at = { lat: at.lat + (target.lat - at.lat) * step, lon: at.lon + (target.lon - at.lon) * step };
      } else if (target === call) {
        dwell += ctx.dt;
        if (dwell > 900) { call = undefined; dwell = 0; } // a quarter of an hour on scene, then back
      }
      return { speed: ctx.adjust('speed', speed), lat: at.lat, lon: at.lon };
    },
  };
}
