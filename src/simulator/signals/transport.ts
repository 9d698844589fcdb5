import { YINCHUAN_DISTRICTS, distanceKm, type LatLon } from '../districts.js';
import type { FleetDevice } from '../fleet.js';
import type { Prng } from '../prng.js';
import { clamp, createDrift, trafficIntensity, type DeviceModel } from './city.js';

/**
 * A traffic loop on an arterial road. Occupancy follows the city's traffic; speed falls as occupancy
 * rises (Greenshields: v = vf · (1 − k/kj)); flow is their product, so it peaks at middling occupancy.
 */
export function traffic(_device: FleetDevice, rng: Prng): DeviceModel {
  const freeFlow = rng.uniform(50, 80);
  const lanes = 1 + rng.int(3);
  const load = rng.uniform(0.7, 1); // how busy this road gets at the peak
  const drift = createDrift(rng, 2);
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      const occ = ctx.adjust('occupancy', clamp(2 + 48 * t * load + drift.step(ctx.dt) + rng.normal(0, 1.5), 0, 100));
      const speed = ctx.adjust('speed', clamp(freeFlow * (1 - occ / 95) + rng.normal(0, 2), 1, 130));
      const flow = ctx.adjust('flow', (lanes * occ * speed) / 28 + rng.normal(0, 0.5));
      return { flow, speed, occupancy: occ };
    },
  };
}

/** A car park: fills in business hours and with traffic; free spaces are what occupancy leaves. */
export function parking(_device: FleetDevice, rng: Prng): DeviceModel {
  const capacity = 50 + 10 * rng.int(75);
  const drift = createDrift(rng, 4);
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      const business = ctx.hour >= 8.5 && ctx.hour < 18.5 ? 1 : 0;
      const occ = ctx.adjust('occupancy', clamp(12 + 45 * business + 25 * t + drift.step(ctx.dt) + rng.normal(0, 1), 0, 100));
      const free = ctx.adjust('free_spaces', Math.round(capacity * (1 - occ / 100)));
      return { free_spaces: free, occupancy: occ };
    },
  };
}

/** A city bus on a loop through district centres: slower, fuller and later when traffic is heavy. */
export function bus(device: FleetDevice, rng: Prng): DeviceModel {
  const urban = YINCHUAN_DISTRICTS.filter((d) => ['Xingqing', 'Jinfeng', 'Xixia', 'Helan'].includes(d.name));
  const route: LatLon[] = [device.location, ...rng.shuffle(urban).slice(0, 3).map((d) => d.centre)];
  const legs = route.map((p, i) => distanceKm(p, route[(i + 1) % route.length]!));
  const length = legs.reduce((a, b) => a + b, 0);
  let along = rng.uniform(0, length);
  const capacity = 60 + 10 * rng.int(7);
  const lateness = createDrift(rng, 60, 1 / 900);
  return {
    next(ctx) {
      const t = ctx.adjust('traffic', trafficIntensity(ctx.hour));
      const atStop = rng.chance(0.2);
      const speed = ctx.adjust('speed', atStop ? 0 : clamp(rng.normal(38 - 24 * t, 4), 4, 70));
      along = (along + (speed * ctx.dt) / 3600) % length;
      let rest = along;
      let i = 0;
      while (rest > legs[i]! && i < legs.length - 1) rest -= legs[i++]!;
      const a = route[i]!;
      const b = route[(i + 1) % route.length]!;
      const f = legs[i]! > 0 ? rest / legs[i]! : 0;
      const passengers = ctx.adjust('passengers', Math.round(clamp(capacity * (0.05 + 0.9 * t) + rng.normal(0, 4), 0, capacity * 1.3)));
      const delay = ctx.adjust('delay', 30 + 480 * t * t + lateness.step(ctx.dt));
      return { passengers, speed, delay, lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f };
    },
  };
}
