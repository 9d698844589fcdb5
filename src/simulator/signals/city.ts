import type { LatLon } from '../districts.js';
import type { Prng } from '../prng.js';

/** What a device's signal model sees when it produces one message. */
export interface SignalContext {
  /** Simulated time of day, hours in [0, 24). */
  hour: number;
  /** Simulated seconds since this device's previous message (0 for its first). */
  dt: number;
  /**
   * Applies the scenario's active effects to a metric, or to a driver the model derives metrics
   * from (`traffic`, `ambient_temp`, `activity`): effects on a driver move every metric built on it.
   */
  adjust(name: string, value: number): number;
  /** Where vehicles are called to, while an incident calls them. */
  goto?: LatLon;
}

/** Produces a device's next values; values may stray outside the catalog's ranges (they are clamped after). */
export interface DeviceModel {
  next(ctx: SignalContext): Record<string, number | boolean>;
}

const bump = (hour: number, peak: number, width: number) => {
  // Distance on the 24 h circle, so a peak near midnight wraps.
  const d = Math.min(Math.abs(hour - peak), 24 - Math.abs(hour - peak));
  return Math.exp(-(d * d) / (2 * width * width));
};

/** City-wide traffic intensity in [0, 1]: near 0 before dawn, morning and evening peaks, a busy midday. */
export function trafficIntensity(hour: number): number {
  const day = 1 / (1 + Math.exp(-(hour - 6.5) * 2)) - 1 / (1 + Math.exp(-(hour - 22) * 1.5));
  const v = 0.05 + 0.45 * day + 0.45 * bump(hour, 8, 0.9) + 0.5 * bump(hour, 18, 1.1);
  return Math.min(1, Math.max(0, v));
}

/** Daytime activity of people in [0, 1]: asleep at night, busiest in the afternoon. */
export function activity(hour: number): number {
  const awake = 1 / (1 + Math.exp(-(hour - 6.5) * 2)) - 1 / (1 + Math.exp(-(hour - 23) * 2));
  return Math.max(0, Math.min(1, 0.05 + 0.55 * awake + 0.3 * bump(hour, 16, 3)));
}

/** Outdoor air temperature (°C) of a Yinchuan summer day: about 15 at dawn, 29 mid-afternoon. */
/** The drivers metrics derive from, which a scenario's effects may name beside metrics (see the README). */
export const DRIVERS: readonly string[] = ['traffic', 'ambient_temp', 'activity'];

export function ambientTemp(hour: number): number {
  return 22 + 7 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

/** A mean-reverting random walk (Ornstein–Uhlenbeck) around 0: a sensor's slow drift. */
export interface Drift {
  step(dt: number): number;
}

/** A drift that reverts at `rate` per second with spread `sd` around 0; it starts anywhere in its spread. */
export function createDrift(rng: Prng, sd: number, rate = 1 / 1800): Drift {
  let x = rng.normal(0, sd);
  return {
    step(dt) {
      if (dt <= 0) return x;
      // Exact discretisation of the OU process, so the spread does not depend on the reporting rate.
      const decay = Math.exp(-rate * dt);
      x = x * decay + rng.normal(0, sd * Math.sqrt(1 - decay * decay));
      return x;
    },
  };
}

/** Keeps `v` inside [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
