// The NGSI-LD API (docs/ngsi-ld.md, contract section 13) against a whole citysense: devices as FIWARE Smart Data
// Models entities that validate against the models' own JSON Schemas, alerts as Alert entities, JSON-LD that expands
// with the locally served @context, the geo-query, q, errors as ProblemDetails, and the caller's scope.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { CONTEXT_FILE, expandLocally, sdmValidators } from './fixture.js';

const CENTER = { lat: 38.48, lon: 106.23 };
const at = (northMetres: number) => ({ lat: CENTER.lat + northMetres / 111_195, lon: CENTER.lon });
const COORDS = `[${CENTER.lon},${CENTER.lat}]`;

describe('NGSI-LD entities', () => {
  let t: TestApp;
  const urn: Record<string, string> = {};
  const idOf: Record<string, string> = {};
  const validate = sdmValidators();

  const get = (path: string, token?: string | null, accept = 'application/json') =>
    fetch(t.httpUrl + path, { headers: { accept, ...(token === null ? {} : { authorization: `Bearer ${token ?? t.adminToken}` }) } });
  const json = async (path: string, token?: string | null) => {
    const res = await get(path, token);
    return { status: res.status, body: await res.json() as any, headers: res.headers };
  };
  const ids = (items: any[]) => items.map((e) => e.id).sort();

  async function place(key: string, domain: string, type: string, model: string, values: Record<string, number | boolean>, extra: Record<string, unknown> = {}) {
    const s = await t.sensor(domain, type, extra);
    await s.send(values);
    idOf[key] = s.id;
    urn[key] = `urn:ngsi-ld:${model}:${s.id}`;
    const first = Object.keys(values)[0]!;
    await eventually(async () => (await t.api('GET', `/api/devices/${s.id}`)).body.latest?.[first], `${key}'s reading recorded`);
  }

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await place('air', 'safety', 'air', 'AirQualityObserved', { pm25: 80, pm10: 120, no2: 40 }, { district: 'Xingqing', location: at(0), name: 'Air station 1' });
    await place('gas', 'safety', 'gas', 'AirQualityObserved', { co: 60, ch4: 5 }, { district: 'Jinfeng', location: at(500) });
    await place('noise', 'safety', 'noise', 'NoiseLevelObserved', { level: 70 }, { district: 'Xingqing', location: at(5000) });
    await place('flood', 'safety', 'flood', 'FloodMonitoring', { water_level: 120 }, { location: at(20_000) });
    await place('traffic', 'transport', 'traffic', 'TrafficFlowObserved', { flow: 42, speed: 35, occupancy: 76 }, { location: at(300) });
    await place('parking', 'transport', 'parking', 'OffStreetParking', { free_spaces: 12, occupancy: 88 }, { location: at(800) });
    await place('bus', 'transport', 'bus', 'Vehicle', { passengers: 30, speed: 40, delay: 60, lat: 38.49, lon: 106.24 });
    await place('ambulance', 'healthcare', 'ambulance', 'Vehicle', { speed: 80, lat: 38.47, lon: 106.22 });
    await place('wearable', 'healthcare', 'wearable', 'DeviceMeasurement', { heart_rate: 70, spo2: 98, body_temp: 36.6 }, { location: at(100) });
    await place('smoke', 'safety', 'smoke', 'DeviceMeasurement', { obscuration: 12, temp: 21 }, { location: at(100) });
    await place('coldchain', 'healthcare', 'cold_chain', 'DeviceMeasurement', { temp: 5, door_open: false }, { location: at(100) });
    // co 60 > 50 and obscuration 12 > 10: the built-in carbon-monoxide and smoke rules fire at once (critical).
    for (const key of ['gas', 'smoke']) {
      await eventually(async () => (await t.api('GET', '/api/alerts?state=firing')).body.items.find((a: any) => a.deviceId === idOf[key]), `the ${key} alert`);
    }
  }, 60_000);
  afterAll(async () => t?.close());

  it('shows each device as its Smart Data Model entity, and the keyValues form validates against the model\'s JSON Schema', async () => {
    for (const key of ['air', 'gas', 'noise', 'flood', 'bus', 'ambulance', 'wearable', 'smoke', 'coldchain']) {
      const { status, body } = await json(`/ngsi-ld/v1/entities/${urn[key]}?options=keyValues`);
      expect({ key, status, id: body.id }).toEqual({ key, status: 200, id: urn[key] });
      expect({ key, errors: validate(body) }).toEqual({ key, errors: [] });
    }
    const air = (await json(`/ngsi-ld/v1/entities/${urn.air}?options=keyValues`)).body;
    expect(air).toMatchObject({ type: 'AirQualityObserved', pm25: 80, pm10: 120, no2: 40, name: 'Air station 1', address: { district: 'Xingqing' },
      location: { type: 'Point', coordinates: [CENTER.lon, CENTER.lat] }, refDevice: `urn:ngsi-ld:Device:${idOf.air}` });
    expect(Number.isNaN(Date.parse(air.dateObserved))).toBe(false);
    // The schemas do refuse what their models do not allow.
    expect(validate({ ...air, pm25: -1 })).not.toEqual([]);
    expect(validate({ ...air, dateObserved: undefined })).not.toEqual([]);
    const bus = (await json(`/ngsi-ld/v1/entities/${urn.bus}?options=keyValues`)).body;
    expect(bus).toMatchObject({ vehicleType: 'bus', category: ['public', 'tracked'], speed: 40, location: { type: 'Point', coordinates: [106.24, 38.49] } });
    expect(bus.lat).toBeUndefined();
    const flood = (await json(`/ngsi-ld/v1/entities/${urn.flood}?options=keyValues`)).body;
    expect(flood).toMatchObject({ currentLevel: 120 });
    const noise = (await json(`/ngsi-ld/v1/entities/${urn.noise}?options=keyValues`)).body;
    expect(noise).toMatchObject({ LAeq: 70 });
    expect(Date.parse(noise.dateObservedTo) - Date.parse(noise.dateObservedFrom)).toBe(60_000);
  });

  it('gives traffic and parking the attributes, units and ranges of TrafficFlowObserved and OffStreetParking (no usable schema is vendored)', async () => {
    const traffic = (await json(`/ngsi-ld/v1/entities/${urn.traffic}?options=keyValues`)).body;
    // As the model's example: vehicles counted over the observation period, occupancy as a fraction of it.
    expect(traffic).toMatchObject({ type: 'TrafficFlowObserved', intensity: 42, averageVehicleSpeed: 35, occupancy: 0.76 });
    expect(Date.parse(traffic.dateObservedTo) - Date.parse(traffic.dateObservedFrom)).toBe(60_000);
    expect(traffic.dateObserved).toBe(`${traffic.dateObservedFrom}/${traffic.dateObservedTo}`);
    const parking = (await json(`/ngsi-ld/v1/entities/${urn.parking}?options=keyValues`)).body;
    expect(parking).toMatchObject({ type: 'OffStreetParking', availableSpotNumber: 12, occupancy: 0.88 });
    expect(Number.isNaN(Date.parse(parking.observationDateTime))).toBe(false);
  });

  it('gives each measured attribute its UN/CEFACT unit code and observation time in the normalized form', async () => {
    const unitOf = async (key: string, attr: string) => (await json(`/ngsi-ld/v1/entities/${urn[key]}`)).body[attr];
    expect(await unitOf('air', 'pm25')).toMatchObject({ type: 'Property', value: 80, unitCode: 'GQ' });
    expect(await unitOf('gas', 'co')).toMatchObject({ value: 60, unitCode: '59' });
    expect(await unitOf('noise', 'LAeq')).toMatchObject({ value: 70, unitCode: '2N' });
    expect(await unitOf('flood', 'currentLevel')).toMatchObject({ value: 120, unitCode: 'CMT' });
    expect(await unitOf('traffic', 'averageVehicleSpeed')).toMatchObject({ value: 35, unitCode: 'KMH' });
    expect(await unitOf('coldchain', 'temp')).toMatchObject({ value: 5, unitCode: 'CEL' });
    const pm25 = await unitOf('air', 'pm25');
    expect(Number.isNaN(Date.parse(pm25.observedAt))).toBe(false);
    expect(await unitOf('air', 'refDevice')).toEqual({ type: 'Relationship', object: `urn:ngsi-ld:Device:${idOf.air}` });
  });

  it('shows an open alert as an Alert entity with the model\'s category, subCategory and severity, valid against its schema', async () => {
    const { body } = await json('/ngsi-ld/v1/entities?type=Alert&options=keyValues');
    const alert = body.find((a: any) => a.refDevice === urn.gas);
    expect(alert).toMatchObject({ type: 'Alert', category: 'security', severity: 'critical', name: 'carbon monoxide' });
    expect(alert.id).toMatch(/^urn:ngsi-ld:Alert:\d+$/);
    expect(alert.alertSource).toBe(`${t.httpUrl}/ngsi-ld/v1/entities/${encodeURIComponent(urn.gas!)}`);
    expect(validate(alert)).toEqual([]);
    const one = await json(`/ngsi-ld/v1/entities/${alert.id}?options=keyValues`);
    expect(one.body).toEqual(alert);
    const smoke = body.find((a: any) => a.refDevice === urn.smoke);
    expect(smoke).toMatchObject({ category: 'security', subCategory: 'buildingFire', severity: 'critical' });
    expect(validate(smoke)).toEqual([]);
    expect(validate({ ...smoke, severity: 'dire' })).not.toEqual([]);
  });

  it('serves its @context itself, names it in a Link header or in the body, and the answer expands with it alone', async () => {
    const contextUrl = `${t.httpUrl}/ngsi-ld/context.jsonld`;
    const served = await fetch(contextUrl);
    expect(served.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(await served.text()).toBe(readFileSync(CONTEXT_FILE, 'utf8'));

    const plain = await get(`/ngsi-ld/v1/entities/${urn.air}`);
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(plain.headers.get('link')).toBe(`<${contextUrl}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`);

    const ld = await get(`/ngsi-ld/v1/entities/${urn.air}`, undefined, 'application/ld+json');
    expect(ld.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    const body = await ld.json() as any;
    expect(body['@context']).toBe(contextUrl);
    const [expanded] = await expandLocally(body, contextUrl);
    const env = 'https://smartdatamodels.org/dataModel.Environment/';
    const core = 'https://uri.etsi.org/ngsi-ld/';
    expect(expanded['@id']).toBe(urn.air);
    expect(expanded['@type']).toEqual([`${env}AirQualityObserved`]);
    expect(expanded[`${env}pm25`][0][`${core}hasValue`][0]['@value']).toBe(80);
    expect(expanded[`${env}pm25`][0][`${core}unitCode`][0]['@value']).toBe('GQ');
    expect(expanded[`${core}location`][0][`${core}hasValue`][0]['@type']).toEqual(['https://purl.org/geojson/vocab#Point']);
    expect(expanded['https://smartdatamodels.org/dataModel.Device/refDevice'][0][`${core}hasObject`][0]['@id']).toBe(`urn:ngsi-ld:Device:${idOf.air}`);

    // Every model attribute of every entity is a term of the context (none falls to the default vocabulary).
    const list = await get('/ngsi-ld/v1/entities?type=AirQualityObserved,NoiseLevelObserved,FloodMonitoring,TrafficFlowObserved,OffStreetParking,Vehicle,Alert&limit=100', undefined, 'application/ld+json');
    const keep = new Set(['ch4', 'passengers', 'delay']); // citysense's own, in the default vocabulary on purpose
    for (const e of await list.json() as any[]) {
      const [x] = await expandLocally(e, contextUrl);
      const defaulted = Object.keys(x).filter((k) => k.startsWith(`${core}default-context/`)).map((k) => k.slice(`${core}default-context/`.length));
      expect({ type: e.type, defaulted: defaulted.filter((k) => !keep.has(k)) }).toEqual({ type: e.type, defaulted: [] });
    }
  });

  it('answers georel=near;maxDistance with only the entities within that distance of the point', async () => {
    const near = (rel: string) => json(`/ngsi-ld/v1/entities?type=AirQualityObserved,NoiseLevelObserved,FloodMonitoring&georel=${encodeURIComponent(rel)}&geometry=Point&coordinates=${encodeURIComponent(COORDS)}`);
    expect(ids((await near('near;maxDistance==1000')).body)).toEqual([urn.air, urn.gas].sort());
    expect(ids((await near('near;maxDistance==400')).body)).toEqual([urn.air]);
    expect(ids((await near('near;maxDistance==10000')).body)).toEqual([urn.air, urn.gas, urn.noise].sort());
    expect(ids((await near('near;minDistance==1000')).body)).toEqual([urn.noise, urn.flood].sort());
    // Without a type, every kind of entity with a location is considered (the vehicles' from their own lat/lon).
    const all = await json(`/ngsi-ld/v1/entities?georel=${encodeURIComponent('near;maxDistance==400')}&geometry=Point&coordinates=${encodeURIComponent(COORDS)}&limit=100`);
    expect(ids(all.body.filter((e: any) => e.type !== 'Alert'))).toEqual([urn.air, urn.traffic, urn.wearable, urn.smoke, urn.coldchain].sort());
    // An alert is where its device is: the smoke detector's is within 400 m, the gas detector's (500 m) is not.
    expect(all.body.filter((e: any) => e.type === 'Alert').map((a: any) => a.refDevice.object)).toEqual([urn.smoke]);
  });

  it('filters with q on attribute values, projects attrs, and pages with limit, offset and count', async () => {
    const q = async (expr: string) => ids((await json(`/ngsi-ld/v1/entities?type=AirQualityObserved&q=${encodeURIComponent(expr)}`)).body);
    expect(await q('pm25>50')).toEqual([urn.air]);
    expect(await q('pm25<50')).toEqual([]);
    expect(await q('co>=60;ch4<10')).toEqual([urn.gas]);
    expect(await q('co==1..59|pm25==80')).toEqual([urn.air]);
    expect(await q('address[district]=="Jinfeng"')).toEqual([urn.gas]);
    expect(await q('co')).toEqual([urn.gas]);

    const projected = await json(`/ngsi-ld/v1/entities?id=${urn.air}&attrs=pm25,name&options=keyValues`);
    expect(projected.body).toEqual([{ id: urn.air, type: 'AirQualityObserved', pm25: 80, name: 'Air station 1' }]);

    const all = ids((await json('/ngsi-ld/v1/entities?type=DeviceMeasurement&limit=100')).body);
    expect(all).toEqual([urn.wearable, urn.smoke, urn.coldchain].sort());
    const page = await json('/ngsi-ld/v1/entities?type=DeviceMeasurement&limit=1&offset=1&count=true');
    expect(page.body).toHaveLength(1);
    expect(page.headers.get('ngsild-results-count')).toBe('3');
  });

  it('lists the entity types present, with their attributes on details=true', async () => {
    const { body } = await json('/ngsi-ld/v1/types');
    expect(body.type).toBe('EntityTypeList');
    expect([...body.typeList].sort()).toEqual(['AirQualityObserved', 'Alert', 'DeviceMeasurement', 'FloodMonitoring', 'NoiseLevelObserved', 'OffStreetParking', 'TrafficFlowObserved', 'Vehicle']);
    const details = (await json('/ngsi-ld/v1/types?details=true')).body;
    expect(details.find((d: any) => d.typeName === 'FloodMonitoring')).toMatchObject({
      id: 'https://smartdatamodels.org/dataModel.Environment/FloodMonitoring', type: 'EntityType', attributeNames: expect.arrayContaining(['currentLevel', 'location']),
    });
    expect(details.find((d: any) => d.typeName === 'Alert').id).toBe('https://smartdatamodels.org/dataModel.Alert/Alert');
  });

  it('answers bad input and unknown entities with NGSI-LD ProblemDetails (application/problem+json) naming the field', async () => {
    const problem = async (path: string, token?: string | null, method = 'GET') => {
      const res = await fetch(t.httpUrl + path, { method, headers: token === null ? {} : { authorization: `Bearer ${token ?? t.adminToken}` } });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return { status: res.status, body: await res.json() as any };
    };
    const notFound = await problem('/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:nobody');
    expect(notFound).toMatchObject({ status: 404, body: { type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound', title: expect.any(String) } });
    expect(notFound.body.detail).toContain('urn:ngsi-ld:AirQualityObserved:nobody');
    // The right device under another model's type is not that entity.
    expect((await problem(`/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:${idOf.air}`)).status).toBe(404);

    const bad = async (path: string, field: string) => {
      const r = await problem(path);
      expect({ path, status: r.status, type: r.body.type }).toEqual({ path, status: 400, type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData' });
      expect(r.body.detail).toContain(field);
    };
    await bad(`/ngsi-ld/v1/entities?type=AirQualityObserved&georel=within&geometry=Point&coordinates=${COORDS}`, 'georel');
    await bad('/ngsi-ld/v1/entities?type=AirQualityObserved&georel=near;maxDistance==10&geometry=Point&coordinates=[200,1]', 'coordinates');
    await bad('/ngsi-ld/v1/entities?type=AirQualityObserved&georel=near;maxDistance==10&coordinates=[1,1]', 'geometry');
    await bad(`/ngsi-ld/v1/entities?type=AirQualityObserved&georel=near;maxDistance==10&geometry=Point&coords=${COORDS}`, 'coords');
    await bad('/ngsi-ld/v1/entities?type=AirQualityObserved&q=pm25>>3', 'q');
    await bad('/ngsi-ld/v1/entities?type=AirQualityObserved&limit=5000', 'limit');
    await bad('/ngsi-ld/v1/entities?type=AirQualityObserved&options=sysAttrs', 'options');
    await bad('/ngsi-ld/v1/entities', 'type');
    await bad(`/ngsi-ld/v1/temporal/entities/${urn.air}?timerel=between&timeAt=2026-01-01T00:00:00Z`, 'endTimeAt');
    await bad(`/ngsi-ld/v1/temporal/entities/${urn.air}?aggrMethods=median&aggrPeriodDuration=PT1H`, 'aggrMethods');
    await bad(`/ngsi-ld/v1/temporal/entities/${urn.air}?aggrMethods=avg&aggrPeriodDuration=P1M`, 'aggrPeriodDuration');
    await bad(`/ngsi-ld/v1/temporal/entities/${urn.air}?attrs=speed`, 'attrs');

    expect((await problem('/ngsi-ld/v1/entities?type=AirQualityObserved', null)).status).toBe(401);
    expect((await problem('/ngsi-ld/v1/entities?type=AirQualityObserved', 'not-a-token')).status).toBe(401);
    expect((await problem('/ngsi-ld/v1/entities', undefined, 'POST')).body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported');
    expect((await problem('/ngsi-ld/v1/subscriptions')).status).toBe(404);
  });

  it('shows a department\'s token only its fleet, as the REST API does (outside it an entity is not found)', async () => {
    const token = async (scope: object) => (await t.api('POST', '/api/tokens', { name: `dept-${JSON.stringify(scope)}`, role: 'viewer', scope })).body.token as string;
    const transport = await token({ domains: ['transport'] });
    expect((await json('/ngsi-ld/v1/entities?type=AirQualityObserved', transport)).body).toEqual([]);
    expect(ids((await json('/ngsi-ld/v1/entities?type=TrafficFlowObserved,OffStreetParking,Vehicle', transport)).body)).toEqual([urn.traffic, urn.parking, urn.bus].sort());
    expect((await json('/ngsi-ld/v1/entities?type=Alert', transport)).body).toEqual([]);
    expect((await json(`/ngsi-ld/v1/entities/${urn.air}`, transport)).status).toBe(404);
    expect((await json(`/ngsi-ld/v1/temporal/entities/${urn.air}`, transport)).status).toBe(404);
    const near = await json(`/ngsi-ld/v1/entities?georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=${encodeURIComponent(COORDS)}`, transport);
    expect(ids(near.body)).toEqual([urn.traffic, urn.parking].sort());
    expect([...(await json('/ngsi-ld/v1/types', transport)).body.typeList].sort()).toEqual(['OffStreetParking', 'TrafficFlowObserved', 'Vehicle']);

    const xingqing = await token({ districts: ['Xingqing'] });
    expect(ids((await json('/ngsi-ld/v1/entities?type=AirQualityObserved,NoiseLevelObserved', xingqing)).body)).toEqual([urn.air, urn.noise].sort());
    const jinfeng = await token({ districts: ['Jinfeng'] });
    expect((await json('/ngsi-ld/v1/entities?type=Alert', jinfeng)).body.map((a: any) => a.refDevice.object)).toEqual([urn.gas]);
  });
});
