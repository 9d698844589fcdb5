import type { Catalog, SensorType } from '../core/index.js';
import { YINCHUAN_DISTRICTS, pointIn, type LatLon } from './districts.js';
import type { Prng } from './prng.js';

/** One simulated device: what is registered for it and where it stands. */
export interface FleetDevice {
  id: string;
  domain: string;
  type: string;
  name: string;
  district: string;
  location: LatLon;
}

// How common each type is in a city fleet (relative); types not listed weigh 1.
const MIX: Record<string, number> = {
  'transport/traffic': 4, 'safety/air': 3, 'safety/noise': 3, 'transport/parking': 3, 'healthcare/wearable': 4,
  'safety/smoke': 3, 'safety/gas': 3, 'transport/bus': 2, 'healthcare/cold_chain': 2, 'safety/flood': 2,
  'safety/structure': 2, 'healthcare/ambulance': 1,
};

export interface FleetOptions {
  devices: number;
  /** Prefix of every device id (`sim` → `sim-gas-007`). */
  prefix?: string;
}

/** How many devices of each catalog type a fleet of `n` has: at least one of each when n allows. */
export function fleetMix(catalog: Catalog, n: number): Map<SensorType, number> {
  const types = [...catalog.types.values()];
  const weight = (t: SensorType) => MIX[`${t.domain}/${t.type}`] ?? 1;
  // Heaviest first, so a fleet smaller than the catalog still gets the most common types.
  const ordered = [...types].sort((a, b) => weight(b) - weight(a));
  const counts = new Map<SensorType, number>(ordered.map((t) => [t, 0]));
  const base = Math.min(n, ordered.length);
  for (let i = 0; i < base; i++) counts.set(ordered[i]!, 1);
  let left = n - base;
  if (left > 0) {
    const total = ordered.reduce((s, t) => s + weight(t), 0);
    const shares = ordered.map((t) => ({ t, exact: (left * weight(t)) / total }));
    for (const s of shares) counts.set(s.t, counts.get(s.t)! + Math.floor(s.exact));
    left -= shares.reduce((s, x) => s + Math.floor(x.exact), 0);
    // Largest remainder; ties go to the heavier type (the order above), so the result is stable.
    const byRemainder = [...shares].sort((a, b) => (b.exact % 1) - (a.exact % 1));
    for (let i = 0; i < left; i++) counts.set(byRemainder[i]!.t, counts.get(byRemainder[i]!.t)! + 1);
  }
  return counts;
}

const LABEL: Record<string, string> = {
  wearable: 'Wearable', cold_chain: 'Vaccine fridge', ambulance: 'Ambulance', traffic: 'Traffic loop',
  parking: 'Car park', bus: 'Bus', smoke: 'Smoke detector', gas: 'Gas detector', flood: 'Water level gauge',
  noise: 'Noise meter', air: 'Air quality station', structure: 'Bridge monitor',
};

/**
 * A fleet of `devices` spread over every catalog type and every district, each at a point inside its
 * district. Ids depend only on the count; locations come from `rng`.
 */
export function planFleet(catalog: Catalog, options: FleetOptions, rng: Prng): FleetDevice[] {
  const prefix = options.prefix ?? 'sim';
  const fleet: FleetDevice[] = [];
  const mix = fleetMix(catalog, options.devices);
  let typeIndex = 0;
  for (const t of catalog.types.values()) {
    const count = mix.get(t) ?? 0;
    const where = rng.fork(`fleet/${t.domain}/${t.type}`);
    for (let j = 0; j < count; j++) {
      // Rotate the starting district per type so small fleets still cover every district.
      const district = YINCHUAN_DISTRICTS[(j + typeIndex) % YINCHUAN_DISTRICTS.length]!;
      const id = `${prefix}-${t.type.replace(/_/g, '-')}-${String(j + 1).padStart(3, '0')}`;
      fleet.push({
        id, domain: t.domain, type: t.type, district: district.name, location: pointIn(district, where),
        name: `${LABEL[t.type] ?? t.type} ${j + 1} (${district.name})`,
      });
    }
    typeIndex++;
  }
  return fleet;
}
