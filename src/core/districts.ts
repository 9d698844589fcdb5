// Yinchuan's districts, declared once for the simulator (where it places devices) and the operator console (what
// its city map draws). Pure data and geometry, no imports: the console bundles this file for the browser.

export interface LatLon {
  lat: number;
  lon: number;
}

/** [lon, lat], the order of an SVG x, y and of GeoJSON. */
export type LonLat = [number, number];

/** A box in degrees. */
export interface Box {
  south: number;
  north: number;
  west: number;
  east: number;
}

/** A district: its outline, its centre, and its built-up core (inside the outline), where devices mostly stand. */
export interface District {
  name: string;
  centre: LatLon;
  /** Corners in [lon, lat], in order; neighbours share their corners, so outlines meet without overlapping. */
  outline: readonly LonLat[];
  /** The built-up area around the centre: the simulator places its devices here. */
  builtUp: Box;
  /** Where a map writes the district's name (away from its devices). */
  label: LonLat;
}

// Shared corners (approximate on purpose: no map data can be fetched here). Xixia runs west to the Helan Shan,
// Jinfeng is the strip between Xixia and Xingqing, Xingqing reaches east to the Yellow River, Helan lies north of
// the three, Yongning south of them, Lingwu south-east.
const XIXIA_SW: LonLat = [105.92, 38.4];
const XIXIA_S: LonLat = [106.08, 38.38];
const XIXIA_NW: LonLat = [106.1, 38.66];
const XJ_NORTH: LonLat = [106.2, 38.58];
const XJ_SOUTH: LonLat = [106.2, 38.37];
const JX_NORTH: LonLat = [106.27, 38.56];
const JX_SOUTH: LonLat = [106.27, 38.36];
const XINGQING_N: LonLat = [106.4, 38.53];
const XINGQING_NE: LonLat = [106.6, 38.54];
const XINGQING_SE: LonLat = [106.45, 38.35];
const YL_EAST: LonLat = [106.42, 38.22];
const YL_WEST: LonLat = [106.3, 38.17];

/** Yinchuan (Ningxia): its three urban districts, the counties Yongning and Helan, and Lingwu. */
export const YINCHUAN_DISTRICTS: readonly District[] = [
  {
    name: 'Xingqing',
    centre: { lat: 38.47, lon: 106.31 },
    outline: [JX_NORTH, XINGQING_N, XINGQING_NE, [106.63, 38.42], XINGQING_SE, JX_SOUTH],
    builtUp: { south: 38.44, north: 38.5, west: 106.28, east: 106.345 },
    label: [106.48, 38.45],
  },
  {
    name: 'Jinfeng',
    centre: { lat: 38.47, lon: 106.235 },
    outline: [XJ_NORTH, JX_NORTH, JX_SOUTH, XJ_SOUTH],
    builtUp: { south: 38.43, north: 38.51, west: 106.21, east: 106.26 },
    label: [106.235, 38.395],
  },
  {
    name: 'Xixia',
    centre: { lat: 38.49, lon: 106.14 },
    outline: [XIXIA_SW, [105.9, 38.52], [105.97, 38.63], XIXIA_NW, XJ_NORTH, XJ_SOUTH, XIXIA_S],
    builtUp: { south: 38.45, north: 38.53, west: 106.09, east: 106.19 },
    label: [106.0, 38.58],
  },
  {
    name: 'Yongning',
    centre: { lat: 38.28, lon: 106.25 },
    outline: [XIXIA_SW, XIXIA_S, XJ_SOUTH, JX_SOUTH, XINGQING_SE, YL_EAST, YL_WEST, [106.12, 38.18], [106.0, 38.26]],
    builtUp: { south: 38.24, north: 38.32, west: 106.2, east: 106.3 },
    label: [106.1, 38.23],
  },
  {
    name: 'Helan',
    centre: { lat: 38.62, lon: 106.35 },
    outline: [XIXIA_NW, [106.2, 38.8], [106.4, 38.83], [106.56, 38.72], XINGQING_NE, XINGQING_N, JX_NORTH, XJ_NORTH],
    builtUp: { south: 38.59, north: 38.66, west: 106.3, east: 106.4 },
    label: [106.38, 38.75],
  },
  {
    name: 'Lingwu',
    centre: { lat: 38.1, lon: 106.34 },
    outline: [YL_WEST, YL_EAST, [106.5, 38.2], [106.62, 38.12], [106.58, 37.98], [106.4, 37.95], [106.26, 38.02], [106.24, 38.1]],
    builtUp: { south: 38.07, north: 38.13, west: 106.3, east: 106.38 },
    label: [106.48, 38.03],
  },
];

/** The district named `name` (case-insensitive), or undefined. */
export function findDistrict(name: string): District | undefined {
  const n = name.toLowerCase();
  return YINCHUAN_DISTRICTS.find((d) => d.name.toLowerCase() === n);
}

/** True when [lon, lat] lies inside the polygon (ray casting). */
export function insidePolygon(point: LonLat, polygon: readonly LonLat[]): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** True when the point lies inside the district's outline. */
export function isInside(d: District, p: LatLon): boolean {
  return insidePolygon([p.lon, p.lat], d.outline);
}

/** The district whose outline holds the point, or undefined (outside the city). */
export function districtAt(p: LatLon): District | undefined {
  return YINCHUAN_DISTRICTS.find((d) => isInside(d, p));
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
