// One declaration of Yinchuan's districts serves the simulator and the console's map: outlines that do not
// overlap, centres and built-up areas inside their own district, and every device of a generated fleet inside the
// outline of the district it is registered in.
import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CATALOG, Catalog, YINCHUAN_DISTRICTS, districtAt, distanceKm, insidePolygon, isInside, type LatLon } from '../../src/core/index.js';
import { createPrng, planFleet } from '../../src/simulator/index.js';
import { BOUNDS, DISTRICTS } from '../../console/src/lib/districts.js';

const holders = (p: LatLon) => YINCHUAN_DISTRICTS.filter((d) => isInside(d, p)).map((d) => d.name);

describe("Yinchuan's districts", () => {
  it('are the same declaration in the simulator and the console map', () => {
    expect(DISTRICTS).toBe(YINCHUAN_DISTRICTS);
    expect(DISTRICTS.map((d) => d.name)).toEqual(['Xingqing', 'Jinfeng', 'Xixia', 'Yongning', 'Helan', 'Lingwu']);
  });

  it('do not overlap: no point of the city lies in two outlines, and each outline lies within the map', () => {
    // A fine grid offset from round coordinates, so no sample sits exactly on a shared edge.
    const overlaps: string[] = [];
    const area = new Map<string, number>();
    for (let lon = BOUNDS.west + 0.000713; lon < BOUNDS.east; lon += 0.004) {
      for (let lat = BOUNDS.south + 0.000371; lat < BOUNDS.north; lat += 0.004) {
        const names = holders({ lat, lon });
        if (names.length > 1) overlaps.push(`${lat.toFixed(3)},${lon.toFixed(3)}: ${names.join(' & ')}`);
        for (const n of names) area.set(n, (area.get(n) ?? 0) + 1);
      }
    }
    expect(overlaps.slice(0, 5)).toEqual([]);
    // None is a sliver: each holds at least a twentieth of the largest one's area.
    const largest = Math.max(...area.values());
    for (const d of YINCHUAN_DISTRICTS) expect(area.get(d.name)! * 20).toBeGreaterThan(largest);
    for (const d of YINCHUAN_DISTRICTS) {
      for (const [lon, lat] of d.outline) {
        expect(lon >= BOUNDS.west && lon <= BOUNDS.east && lat >= BOUNDS.south && lat <= BOUNDS.north).toBe(true);
        // No corner of one district lies strictly inside another.
        const inside = YINCHUAN_DISTRICTS.filter((o) => o !== d && insidePolygon([lon, lat], o.outline) && !o.outline.some(([x, y]) => x === lon && y === lat));
        expect(inside.map((o) => `${d.name} corner ${lon},${lat} in ${o.name}`)).toEqual([]);
      }
    }
  });

  it('hold their centre, label and built-up area, well inside and in no other district', () => {
    for (const d of YINCHUAN_DISTRICTS) {
      const b = d.builtUp;
      const corners: LatLon[] = [
        d.centre, { lat: d.label[1], lon: d.label[0] },
        { lat: b.south, lon: b.west }, { lat: b.south, lon: b.east }, { lat: b.north, lon: b.west }, { lat: b.north, lon: b.east },
      ];
      for (const p of corners) expect(`${d.name} ${p.lat},${p.lon}: ${holders(p).join(',')}`).toBe(`${d.name} ${p.lat},${p.lon}: ${d.name}`);
      expect(districtAt(d.centre)?.name).toBe(d.name);
    }
  });

  it('hold every device the simulator places in them, for several seeds', () => {
    const catalog = new Catalog(BUILTIN_CATALOG);
    for (const seed of ['demo', '1', 'city']) {
      const fleet = planFleet(catalog, { devices: 300 }, createPrng(seed).fork('fleet'));
      const misplaced = fleet.filter((dev) => districtAt(dev.location)?.name !== dev.district);
      expect(misplaced.map((dev) => `${dev.id} (${dev.district}) at ${dev.location.lat},${dev.location.lon}`)).toEqual([]);
      // An incident "near Xixia" (the demo's gas leak: the 3 gas detectors nearest its centre) happens in Xixia.
      for (const d of YINCHUAN_DISTRICTS) {
        const nearest = fleet.filter((dev) => dev.type === 'gas')
          .sort((a, b) => distanceKm(a.location, d.centre) - distanceKm(b.location, d.centre)).slice(0, 3);
        expect(nearest.map((dev) => dev.district)).toEqual([d.name, d.name, d.name]);
      }
    }
  });
});
