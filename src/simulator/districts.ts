// Where the simulator puts things: the districts are core's declaration (the console draws the same ones).
import { isInside, type District, type LatLon } from '../core/index.js';
import type { Prng } from './prng.js';

export { YINCHUAN_DISTRICTS, distanceKm, findDistrict, isInside, type District, type LatLon } from '../core/index.js';

/**
 * A uniformly random point of the district's built-up area, rounded to about 1 m, and always inside its outline
 * (a draw that falls outside is drawn again: the same seed still gives the same points).
 */
export function pointIn(d: District, rng: Prng): LatLon {
  const b = d.builtUp;
  for (let i = 0; i < 1000; i++) {
    const p = { lat: round(rng.uniform(b.south, b.north), 5), lon: round(rng.uniform(b.west, b.east), 5) };
    if (isInside(d, p)) return p;
  }
  return d.centre; // a built-up box almost wholly outside its outline (tests/core/districts.test.ts keeps it inside)
}

/** Rounds to `digits` decimals. */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
