// The city map's geography. The districts (outlines, centres) are the simulator's own declaration in src/core, imported
// as a file like the live event types are: core's door (index.ts) also carries Node-only modules (config, logger).
import { YINCHUAN_DISTRICTS, insidePolygon, type District, type LonLat } from '../../../src/core/districts.js';

export { insidePolygon, type District };

export const DISTRICTS: readonly District[] = YINCHUAN_DISTRICTS;

/** The Yellow River, south-west to north-east along the city's east side (for orientation only). */
export const RIVER: LonLat[] = [
  [106.16, 37.93], [106.22, 38.04], [106.27, 38.13], [106.36, 38.2], [106.45, 38.28], [106.53, 38.36], [106.6, 38.45], [106.64, 38.56], [106.63, 38.68], [106.6, 38.84],
];

/** The Helan Mountains' ridge west of the city (for orientation only). */
export const RIDGE: LonLat[] = [
  [105.86, 38.3], [105.87, 38.42], [105.88, 38.55], [105.93, 38.68], [106.02, 38.8],
];

export const BOUNDS = { west: 105.84, east: 106.7, south: 37.92, north: 38.86 };
