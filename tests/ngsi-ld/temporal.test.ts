// GET /ngsi-ld/v1/temporal/entities/{id} gives the same numbers as the history API (GET /api/devices/{id}/readings),
// raw and aggregated, on both reading stores.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type Sensor, type StoreKind, type TestApp } from '../fixtures/app.js';

const MIN = 60_000;

describe.each<StoreKind>(['sqlite', 'influxdb'])('NGSI-LD temporal entities (%s)', (store) => {
  let t: TestApp;
  let air: Sensor;
  let traffic: Sensor;
  let fridge: Sensor;
  // Twelve readings a minute apart, starting on a five-minute boundary 40 minutes ago (the buckets are epoch-aligned).
  const base = Math.floor((Date.now() - 40 * MIN) / (5 * MIN)) * 5 * MIN;
  const T0 = new Date(base).toISOString();
  const T1 = new Date(base + 12 * MIN).toISOString();
  const urnOf = (model: string, s: Sensor) => `urn:ngsi-ld:${model}:${s.id}`;

  const temporal = async (id: string, query: string) => {
    const res = await fetch(`${t.httpUrl}/ngsi-ld/v1/temporal/entities/${id}?${query}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  };
  const history = async (s: Sensor, query: string) => {
    const res = await t.api('GET', `/api/devices/${s.id}/readings?${query}`);
    expect(res.status).toBe(200);
    return res.body.points as { t: string; v: number }[];
  };

  beforeAll(async () => {
    t = await startTestApp(store);
    air = await t.sensor('safety', 'air');
    traffic = await t.sensor('transport', 'traffic');
    fridge = await t.sensor('healthcare', 'cold_chain');
    for (let i = 0; i < 12; i++) {
      await fridge.send({ temp: 4 + (i % 4), door_open: i % 5 === 0 }, base + i * MIN);
      await air.send({ pm25: 10 + ((i * 7) % 11), pm10: 30 + i, no2: 5 + (i % 3) }, base + i * MIN);
      await traffic.send({ flow: 20 + i, speed: 40, occupancy: 10 + i * 5 }, base + i * MIN);
    }
    await eventually(async () => (await history(air, `metric=pm25&from=${T0}&to=${T1}`)).length === 12 && (await history(traffic, `metric=occupancy&from=${T0}&to=${T1}`)).length === 12
      && (await history(fridge, `metric=door_open&from=${T0}&to=${T1}`)).length === 12, 'the readings stored', 20_000);
  }, 60_000);
  afterAll(async () => t?.close());

  it('gives an attribute\'s instances between two times as the history API gives its points', async () => {
    const body = await temporal(urnOf('AirQualityObserved', air), `timerel=between&timeAt=${T0}&endTimeAt=${T1}&attrs=pm25`);
    const points = await history(air, `metric=pm25&from=${T0}&to=${T1}`);
    expect(points).toHaveLength(12);
    expect(body.id).toBe(urnOf('AirQualityObserved', air));
    expect(body.type).toBe('AirQualityObserved');
    expect(Object.keys(body).sort()).toEqual(['id', 'pm25', 'type']);
    expect(body.pm25.map((i: any) => [i.observedAt, i.value])).toEqual(points.map((p) => [p.t, p.v]));
    expect(body.pm25[0]).toMatchObject({ type: 'Property', unitCode: 'GQ' });

    const simplified = await temporal(urnOf('AirQualityObserved', air), `timerel=between&timeAt=${T0}&endTimeAt=${T1}&attrs=pm25&options=temporalValues`);
    expect(simplified.pm25).toEqual({ type: 'Property', unitCode: 'GQ', values: points.map((p) => [p.v, p.t]) });

    const last = await temporal(urnOf('AirQualityObserved', air), `timerel=between&timeAt=${T0}&endTimeAt=${T1}&attrs=pm25&lastN=3`);
    expect(last.pm25.map((i: any) => [i.observedAt, i.value])).toEqual(points.slice(-3).map((p) => [p.t, p.v]));
  });

  it('aggregates per period as the history API does with every and agg', async () => {
    const body = await temporal(urnOf('AirQualityObserved', air), `timerel=between&timeAt=${T0}&endTimeAt=${T1}&attrs=pm25,no2&aggrMethods=avg,min,max,sum,totalCount&aggrPeriodDuration=PT5M`);
    for (const [attr, metric] of [['pm25', 'pm25'], ['no2', 'no2']] as const) {
      for (const [method, agg] of [['avg', 'mean'], ['min', 'min'], ['max', 'max'], ['sum', 'sum'], ['totalCount', 'count']] as const) {
        const buckets = await history(air, `metric=${metric}&from=${T0}&to=${T1}&every=5m&agg=${agg}`);
        expect(buckets).toHaveLength(3);
        const expected = buckets.map((b) => [b.v, b.t, new Date(Date.parse(b.t) + 5 * MIN).toISOString()]);
        expect({ attr, method, got: body[attr][method] }).toEqual({ attr, method, got: expected });
      }
    }
  });

  it('aggregates a true/false attribute by totalCount only, leaving out the methods that need numbers', async () => {
    const body = await temporal(urnOf('DeviceMeasurement', fridge), `timerel=between&timeAt=${T0}&endTimeAt=${T1}&aggrMethods=avg,totalCount&aggrPeriodDuration=PT5M`);
    const counts = await history(fridge, `metric=door_open&from=${T0}&to=${T1}&every=5m&agg=count`);
    expect(Object.keys(body.door_open).sort()).toEqual(['totalCount', 'type']);
    expect(body.door_open.totalCount.map((x: any[]) => x[0])).toEqual(counts.map((b) => b.v));
    const means = await history(fridge, `metric=temp&from=${T0}&to=${T1}&every=5m&agg=mean`);
    expect(body.temp.avg.map((x: any[]) => x[0])).toEqual(means.map((b) => b.v));
    expect(body.temp.unitCode).toBe('CEL');
  });

  it('shows every attribute by default, in the model\'s names and units (a percentage as its fraction)', async () => {
    const body = await temporal(urnOf('TrafficFlowObserved', traffic), `timerel=between&timeAt=${T0}&endTimeAt=${T1}`);
    expect(Object.keys(body).sort()).toEqual(['averageVehicleSpeed', 'id', 'intensity', 'occupancy', 'type']);
    const occupancy = await history(traffic, `metric=occupancy&from=${T0}&to=${T1}`);
    expect(body.occupancy.map((i: any) => [i.observedAt, i.value])).toEqual(occupancy.map((p) => [p.t, Number((p.v * 0.01).toPrecision(12))]));
    const flow = await history(traffic, `metric=flow&from=${T0}&to=${T1}`);
    expect(body.intensity.map((i: any) => i.value)).toEqual(flow.map((p) => p.v));
    expect(body.averageVehicleSpeed[0]).toMatchObject({ value: 40, unitCode: 'KMH' });
  });

  it('reads the last hour without timerel, as the history API\'s default range, and after a time with timerel=after', async () => {
    const body = await temporal(urnOf('AirQualityObserved', air), 'attrs=pm10');
    const points = await history(air, 'metric=pm10');
    expect(points).toHaveLength(12);
    expect(body.pm10.map((i: any) => [i.observedAt, i.value])).toEqual(points.map((p) => [p.t, p.v]));
    const after = await temporal(urnOf('AirQualityObserved', air), `timerel=after&timeAt=${new Date(base + 10 * MIN).toISOString()}&attrs=pm10`);
    expect(after.pm10.map((i: any) => i.value)).toEqual(points.slice(10).map((p) => p.v));
    const before = await temporal(urnOf('AirQualityObserved', air), `timerel=before&timeAt=${new Date(base + 2 * MIN).toISOString()}&attrs=pm10`);
    expect(before.pm10.map((i: any) => i.value)).toEqual(points.slice(0, 2).map((p) => p.v));
  });
});
