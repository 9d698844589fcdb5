import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadCatalog } from '../../src/core/index.js';

const catalog = loadCatalog();
const wearable = catalog.get('healthcare', 'wearable')!;
const coldChain = catalog.get('healthcare', 'cold_chain')!;

describe('sensor catalog', () => {
  it('has the twelve built-in types of CONTRACT section 4', () => {
    expect(catalog.types.size).toBe(12);
    expect(catalog.domains).toEqual(['healthcare', 'transport', 'safety']);
    expect(catalog.get('safety', 'gas')!.intervalMs).toBe(30_000);
  });

  it('accepts valid values and converts allowed units', () => {
    expect(catalog.validate(wearable, [{ name: 'heart_rate', value: 72 }, { name: 'body_temp', value: 98.6, unit: 'degF' }])).toEqual({
      ok: true,
      values: { heart_rate: 72, body_temp: 37 },
    });
    expect(catalog.validate(coldChain, [{ name: 'door_open', value: true }])).toEqual({ ok: true, values: { door_open: true } });
  });

  it.each([
    [[{ name: 'pulse', value: 72 }], 'unknown_metric'],
    [[{ name: 'heart_rate', value: '72' }], 'wrong_type'],
    [[{ name: 'heart_rate', value: 251 }], 'out_of_range'],
    [[{ name: 'heart_rate', value: Number.NaN }], 'out_of_range'],
    [[{ name: 'heart_rate', value: 72, unit: 'Hz' }], 'bad_unit'],
    [[{ name: 'heart_rate', value: 72 }, { name: 'spo2', value: 20 }], 'out_of_range'],
  ])('refuses %j as %s', (values, reason) => {
    const r = catalog.validate(wearable, values);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('refuses a boolean metric given a number', () => {
    const r = catalog.validate(coldChain, [{ name: 'door_open', value: 1 }]);
    expect(!r.ok && r.reason).toBe('wrong_type');
  });

  it('is extended by a CATALOG_FILE in extend mode', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'citysense-cat-')), 'catalog.json');
    writeFileSync(file, JSON.stringify({ mode: 'extend', types: [{ domain: 'energy', type: 'meter', interval: '15m', metrics: { kwh: { unit: 'kWh', min: 0 } } }] }));
    const c = loadCatalog(file);
    expect(c.types.size).toBe(13);
    expect(c.get('energy', 'meter')!.intervalMs).toBe(900_000);
  });

  const catalogFile = (content: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'citysense-cat-')), 'catalog.json');
    writeFileSync(file, content);
    return file;
  };

  it('refuses a metric name with two kinds (one InfluxDB field keeps one type), naming the metric and both types', () => {
    // door_open is boolean in the built-in healthcare/cold_chain.
    const file = catalogFile(JSON.stringify({ mode: 'extend', types: [{ domain: 'safety', type: 'door', interval: '1m', metrics: { door_open: { min: 0, max: 1 } } }] }));
    expect(() => loadCatalog(file)).toThrow(ConfigError);
    expect(() => loadCatalog(file)).toThrow(/^CATALOG_FILE: .*metric "door_open" is boolean in healthcare\/cold_chain but number in safety\/door/);
  });

  it('names CATALOG_FILE and the field when the file is not JSON or not a catalog', () => {
    expect(() => loadCatalog(catalogFile('{ not json'))).toThrow(/^CATALOG_FILE: .*catalog\.json: .*JSON/);
    expect(() => loadCatalog(catalogFile(JSON.stringify({ types: [{ domain: 'x', type: 'y', interval: '1m', metrics: { a: { kind: 'text' } } }] })))).toThrow(
      /^CATALOG_FILE: .*types\.0\.metrics\.a\.kind: /,
    );
  });
});
