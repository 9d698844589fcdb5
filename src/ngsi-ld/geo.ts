import type { Entity } from './entities.js';
import { badRequestData } from './problem.js';

/** A `near` geo-query: entities whose `property` (a Point) lies within `maxDistance` (or beyond `minDistance`) metres. */
export interface NearQuery {
  lon: number;
  lat: number;
  maxDistance?: number;
  minDistance?: number;
  property: string;
}

export interface GeoParams {
  georel?: string;
  geometry?: string;
  coordinates?: string;
  geoproperty?: string;
}

/** The geo-query of a request (`georel=near;maxDistance==N&geometry=Point&coordinates=[lon,lat]`), or undefined. */
export function parseGeoQuery(p: GeoParams): NearQuery | undefined {
  if (p.georel === undefined) {
    if (p.geometry !== undefined || p.coordinates !== undefined) throw badRequestData('query georel: required with geometry and coordinates (near;maxDistance==<metres>)');
    return undefined;
  }
  const rel = /^near;(maxDistance|minDistance)==(\d+(?:\.\d+)?)$/.exec(p.georel);
  if (!rel) throw badRequestData(`query georel: ${JSON.stringify(p.georel)} is not supported: use near;maxDistance==<metres> or near;minDistance==<metres>`);
  if (p.geometry !== 'Point') throw badRequestData('query geometry: must be Point with georel=near');
  if (p.coordinates === undefined) throw badRequestData('query coordinates: required with georel, as [longitude,latitude]');
  let coords: unknown;
  try { coords = JSON.parse(p.coordinates); } catch { coords = undefined; }
  if (!Array.isArray(coords) || coords.length !== 2 || !coords.every((c) => typeof c === 'number' && Number.isFinite(c))
    || Math.abs(coords[0]) > 180 || Math.abs(coords[1]) > 90) {
    throw badRequestData(`query coordinates: ${JSON.stringify(p.coordinates)} is not [longitude,latitude] (numbers, longitude −180…180, latitude −90…90)`);
  }
  const distance = Number(rel[2]);
  return { lon: coords[0], lat: coords[1], property: p.geoproperty ?? 'location', ...(rel[1] === 'maxDistance' ? { maxDistance: distance } : { minDistance: distance }) };
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** True when the entity's geo-property is a Point at the query's distance. */
export function isNear(e: Entity, near: NearQuery): boolean {
  const a = e[near.property];
  if (typeof a !== 'object' || a.type !== 'GeoProperty') return false;
  const v = a.value as { type?: string; coordinates?: number[] } | undefined;
  if (v?.type !== 'Point' || !v.coordinates) return false;
  const d = distanceM(near.lat, near.lon, v.coordinates[1]!, v.coordinates[0]!);
  return (near.maxDistance === undefined || d <= near.maxDistance) && (near.minDistance === undefined || d >= near.minDistance);
}
