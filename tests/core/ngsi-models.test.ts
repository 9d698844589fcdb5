// The one mapping of catalog types to Smart Data Models (src/core/ngsi-models.ts) stays whole: every built-in type
// has a model, every mapped metric is the catalog's, every name it gives is a term of the served @context, and what
// it says of alerts is in the Alert model's enumerations.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { BUILTIN_CATALOG, Catalog, NGSI_ALERT_SEVERITY, NGSI_MODELS, ngsiModelOf } from '../../src/core/index.js';
import { localContext } from '../ngsi-ld/fixture.js';

const catalog = new Catalog(BUILTIN_CATALOG);
const vendored = (path: string) => JSON.parse(readFileSync(`vendor/smart-data-models/${path}`, 'utf8'));

describe('the NGSI-LD mapping of the catalog', () => {
  it('maps every built-in type, and only metrics the catalog has', () => {
    const types = [...catalog.types.keys()].sort();
    expect(Object.keys(NGSI_MODELS).sort()).toEqual(types);
    for (const [key, spec] of Object.entries(NGSI_MODELS)) {
      const sensor = catalog.types.get(key)!;
      expect({ key, unknown: Object.keys(spec.attributes).filter((m) => !sensor.metrics.has(m)) }).toEqual({ key, unknown: [] });
      if (spec.position) expect([sensor.metrics.has(spec.position.lat), sensor.metrics.has(spec.position.lon)]).toEqual([true, true]);
    }
  });

  it('names only terms of the served @context, but for citysense\'s own metrics (the default vocabulary on purpose)', () => {
    const terms = new Set(Object.keys(localContext()['@context']));
    const own = new Set(['ch4', 'passengers', 'delay']);
    for (const sensor of catalog.types.values()) {
      const model = ngsiModelOf(sensor);
      expect(terms.has(model.type)).toBe(true);
      if (model.type === 'DeviceMeasurement') continue; // its metrics keep their catalog names
      const missing = Object.values(model.attributes).map((a) => a.name).filter((n) => !terms.has(n) && !own.has(n));
      expect({ type: model.type, missing }).toEqual({ type: model.type, missing: [] });
      for (const name of Object.keys(model.fixed ?? {})) expect(terms.has(name)).toBe(true);
    }
  });

  it('gives alerts categories, subcategories and severities from the Alert model\'s enumerations', () => {
    const common = vendored('dataModel.Alert/alert-schema.json').definitions['Common-Alert'].properties;
    const sub = vendored('dataModel.Alert/Alert/schema.json').allOf[3].properties.subCategory.anyOf[0].enum;
    for (const spec of Object.values(NGSI_MODELS)) {
      expect(common.category.enum).toContain(spec.alert.category);
      if (spec.alert.subCategory) expect(sub).toContain(spec.alert.subCategory);
    }
    for (const v of Object.values(NGSI_ALERT_SEVERITY)) expect(common.severity.enum).toContain(v);
  });

  it('shows a metric of a catalog file\'s own type under its name, with a unit code from its unit, never over a reserved name', () => {
    const own = new Catalog({ types: [{ domain: 'water', type: 'river', interval: '60s', metrics: { temp: { unit: 'Cel' }, location: { unit: 'm' }, ph: {} } }] });
    const model = ngsiModelOf(own.types.get('water/river')!);
    expect(model.type).toBe('DeviceMeasurement');
    expect(model.attributes).toEqual({ temp: { name: 'temp', unitCode: 'CEL' }, location: { name: 'metric_location', unitCode: 'MTR' }, ph: { name: 'ph' } });
  });
});
