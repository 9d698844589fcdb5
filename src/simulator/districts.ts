import type { Prng } from './prng.js';

export interface LatLon {
  lat: number;
  lon: number;
}

/** A district of the simulated city: a rough bounding box around its built-up area. */
export interface District {
  name: string;
  centre: LatLon;
  south: number;
  north: number;
  west: number;
  east: number;
}

/**
 * Yinchuan (Ningxia): its three urban districts, two counties and Lingwu, boxed around their
 * built-up areas. Approximate on purpose: close enough that a map shows each device in its district.
 * Lingwu lies south of the city, near 38.1 N.
 */
export const YINCHUAN_DISTRICTS: readonly District[] = [
  { name: 'Xingqing', centre: { lat: 38.475, lon: 106.29 }, south: 38.44, north: 38.51, west: 106.25, east: 106.36 },
  { name: 'Jinfeng', centre: { lat: 38.48, lon: 106.225 }, south: 38.45, north: 38.52, west: 106.18, east: 106.25 },
  { name: 'Xixia', centre: { lat: 38.49, lon: 106.15 }, south: 38.45, north: 38.55, west: 106.06, east: 106.19 },
  { name: 'Yongning', centre: { lat: 38.28, lon: 106.255 }, south: 38.24, north: 38.32, west: 106.2, east: 106.3 },
  { name: 'Helan', centre: { lat: 38.555, lon: 106.35 }, south: 38.52, north: 38.6, west: 106.3, east: 106.4 },
  { name: 'Lingwu', centre: { lat: 38.105, lon: 106.34 }, south: 38.07, north: 38.14, west: 106.3, east: 106.38 },
];

/** The district named `name` (case-insensitive), or undefined. */
export function findDistrict(name: string): District | undefined {
  const n = name.toLowerCase();
  return YINCHUAN_DISTRICTS.find((d) => d.name.toLowerCase() === n);
}

/** A uniformly random point inside the district's box, rounded to about 1 m. */
export function pointIn(d: District, rng: Prng): LatLon {
  return { lat: round(rng.uniform(d.south, d.north), 5), lon: round(rng.uniform(d.west, d.east), 5) };
}

/** True when the point lies inside the district's box. */
export function isInside(d: District, p: LatLon): boolean {
  return p.lat >= d.south && p.lat <= d.north && p.lon >= d.west && p.lon <= d.east;
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Rounds to `digits` decimals. */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
