// Yinchuan's districts as the city view draws them: hand-drawn outlines in lon/lat, approximate on purpose
// (no map data can be fetched here). Each contains the built-up box the simulator places its devices in.

export interface DistrictShape {
  name: string;
  /** [lon, lat] corners. */
  outline: [number, number][];
  /** Where the label goes. */
  label: [number, number];
}

export const DISTRICTS: readonly DistrictShape[] = [
  {
    name: 'Xixia',
    outline: [[105.93, 38.41], [105.9, 38.52], [105.97, 38.63], [106.1, 38.66], [106.18, 38.57], [106.176, 38.42], [106.08, 38.38], [105.98, 38.375]],
    label: [106.0, 38.585],
  },
  {
    name: 'Jinfeng',
    outline: [[106.18, 38.57], [106.25, 38.522], [106.25, 38.37], [106.21, 38.36], [106.176, 38.42]],
    label: [106.215, 38.395],
  },
  {
    name: 'Xingqing',
    outline: [[106.25, 38.522], [106.3, 38.517], [106.4, 38.515], [106.6, 38.54], [106.63, 38.42], [106.45, 38.35], [106.25, 38.37]],
    label: [106.44, 38.445],
  },
  {
    name: 'Helan',
    outline: [[106.1, 38.66], [106.2, 38.8], [106.4, 38.83], [106.56, 38.72], [106.6, 38.54], [106.4, 38.515], [106.3, 38.517], [106.25, 38.522], [106.18, 38.57]],
    label: [106.36, 38.68],
  },
  {
    name: 'Yongning',
    outline: [[105.98, 38.375], [106.08, 38.38], [106.176, 38.42], [106.21, 38.36], [106.25, 38.37], [106.45, 38.35], [106.42, 38.22], [106.3, 38.17], [106.12, 38.18], [106.02, 38.26]],
    label: [106.14, 38.215],
  },
  {
    name: 'Lingwu',
    outline: [[106.3, 38.17], [106.42, 38.22], [106.5, 38.2], [106.62, 38.12], [106.58, 37.98], [106.4, 37.95], [106.26, 38.02], [106.24, 38.1]],
    label: [106.45, 38.06],
  },
];

/** The Yellow River, south-west to north-east along the city's east side (for orientation only). */
export const RIVER: [number, number][] = [
  [106.16, 37.93], [106.22, 38.04], [106.27, 38.13], [106.36, 38.2], [106.45, 38.28], [106.53, 38.36], [106.6, 38.45], [106.64, 38.56], [106.63, 38.68], [106.6, 38.84],
];

/** The Helan Mountains' ridge west of the city (for orientation only). */
export const RIDGE: [number, number][] = [
  [105.86, 38.3], [105.87, 38.42], [105.88, 38.55], [105.93, 38.68], [106.02, 38.8],
];

export const BOUNDS = { west: 105.84, east: 106.7, south: 37.92, north: 38.86 };

/** True when [lon, lat] lies inside the polygon (ray casting). */
export function insidePolygon(point: [number, number], polygon: readonly [number, number][]): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
