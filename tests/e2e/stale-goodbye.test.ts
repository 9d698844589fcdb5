// A device that says goodbye is not stale: its own `offline` on its status topic, or MQTT DISCONNECT (its will is
// not published), keeps the no_data sweep off it while it stays away; a lost connection (its will published by the
// broker), a silence on a live connection, or a silence after coming back is stale as before. A catalog type
// reporting every second and a sweep every second with no grace: "no data for 3 intervals" takes 3 s.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { runCli } from '../fixtures/cli.js';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';

const FAST = { ALERT_STALE_GRACE: '0', ALERT_SWEEP_SCHEDULE: '* * * * * *' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function catalogFile(dir: string, body: unknown): string {
  const file = join(dir, 'catalog.json');
  writeFileSync(file, JSON.stringify(body));
  return file;
}
const BEACON = { mode: 'extend', types: [{ domain: 'safety', type: 'beacon', interval: '1s', metrics: { battery: { unit: '%', min: 0, max: 100 } } }] };

interface Beacon { id: string; topic: string; status: string; creds: { username: string; password: string }; client: MqttClient }

async function beacon(t: TestApp): Promise<Beacon> {
  const d = await t.device('safety', 'beacon');
  const status = `${d.topic}/status`;
  const client = await t.connect(d, { will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true } });
  return { id: d.id, topic: d.topic, status, creds: d, client };
}
const send = (b: { topic: string; client: MqttClient }, battery: number) => b.client.publishAsync(b.topic, JSON.stringify({ battery }), { qos: 1 });
const stale = async (t: TestApp, id: string): Promise<any[]> =>
  (await t.api('GET', `/api/alerts?deviceId=${id}`)).body.items.filter((a: any) => a.ruleId === 'device-stale');
const waitStale = (t: TestApp, id: string, what: string) =>
  eventually(async () => (await stale(t, id))[0], `a device stale alert for ${what}`, 20_000);

describe('a device that says goodbye is not stale', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-goodbye-'));
    t = await startTestApp('sqlite', { CATALOG_FILE: catalogFile(dir, BEACON), ...FAST });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises no stale alert after its own offline or a clean DISCONNECT; does after a lost connection, a live silence, a silence after coming back', async () => {
    const [said, bye, lost, silent, back, reported] = await Promise.all([beacon(t), beacon(t), beacon(t), beacon(t), beacon(t), beacon(t)]);
    for (const b of [said, bye, lost, silent, back, reported]) await send(b, 90);

    // Its own offline, then the socket is destroyed: the broker publishes the will too, but the goodbye was said.
    await said.client.publishAsync(said.status, 'offline', { qos: 1, retain: true });
    said.client.stream.destroy();
    await bye.client.endAsync(); // DISCONNECT
    lost.client.stream.destroy(); // no DISCONNECT: the broker publishes its will
    // Leaves cleanly, comes back 2 s later and says nothing: stale 3 intervals after its return, not after its data.
    await back.client.endAsync();
    // Says offline, then sends data on the same connection: a normal device again, so its silence is stale.
    await reported.client.publishAsync(reported.status, 'offline', { qos: 1, retain: true });
    await sleep(20); // received in a later millisecond than the goodbye
    await send(reported, 80);
    await sleep(2000);
    const returnedAt = Date.now();
    await t.connect(back.creds);

    for (const [b, what] of [[lost, 'a lost connection'], [silent, 'a silent live connection'], [reported, 'data after its offline']] as const) {
      expect(await waitStale(t, b.id, what)).toMatchObject({ state: 'firing', metric: null });
    }
    const returned = await waitStale(t, back.id, 'a device back after a clean disconnect');

    // The sweeps that raised those (and two more) saw the ones that said goodbye, as silent as long: nothing.
    await sleep(2500);
    expect({ said: await stale(t, said.id), bye: await stale(t, bye.id), backSilentFor3s: Date.parse(returned.firedAt) - returnedAt >= 3000 })
      .toEqual({ said: [], bye: [], backSilentFor3s: true });
  }, 60_000);
});

describe('a goodbye survives a restart', () => {
  let dir: string;
  let dataDir: string;
  let t: TestApp | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-goodbye-restart-'));
    dataDir = mkdtempSync(join(tmpdir(), 'citysense-goodbye-data-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a device that left cleanly before a restart is not stale after it; one still connected at the stop is', async () => {
    const env = { CATALOG_FILE: catalogFile(dir, BEACON), ...FAST };
    t = await startTestApp('sqlite', env, dataDir);
    const [left, connected] = await Promise.all([beacon(t), beacon(t)]);
    await send(left, 70);
    await send(connected, 70);
    await left.client.endAsync();
    // The clean close has reached presence before the stop.
    await eventually(async () => (await t!.api('GET', `/api/devices/${left.id}`)).body.status === 'offline', 'the device offline');
    await t.close(); // the stop closes `connected` without DISCONNECT: no goodbye
    t = await startTestApp('sqlite', env, dataDir);

    await waitStale(t, connected.id, 'a device connected when citysense stopped');
    await sleep(2500);
    expect(await stale(t, left.id)).toEqual([]);
  }, 60_000);
});

describe('citysense simulate: an ended run leaves no stale flood', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-goodbye-sim-'));
    const fast = {
      mode: 'replace',
      types: [
        { domain: 'safety', type: 'gas', interval: '1s', metrics: { co: { unit: 'ppm', min: 0, max: 2000 }, ch4: { unit: '%LEL', min: 0, max: 100 } } },
        { domain: 'safety', type: 'smoke', interval: '1s', metrics: { obscuration: { unit: '%/m', min: 0, max: 100 }, temp: { unit: 'Cel', min: -40, max: 120 } } },
      ],
    };
    t = await startTestApp('sqlite', { CATALOG_FILE: catalogFile(dir, fast), ...FAST });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the fleet says offline at the end: none of its devices goes stale, a device that lost its connection does', async () => {
    const r = await runCli([
      'simulate', '--mqtt', t.mqttUrl, '--devices', '6', '--duration', '3s', '--seed', 'goodbye', '--provision', t.httpUrl, '--token', t.adminToken,
    ]);
    expect(r.code).toBe(0);
    const control = await t.sensor('safety', 'gas');
    await control.send({ co: 1, ch4: 1 });
    control.client.stream.destroy();

    await waitStale(t, control.id, 'the control device');
    await sleep(2500);
    const all = (await t.api('GET', '/api/alerts?limit=100')).body.items as Array<{ deviceId: string; ruleId: string }>;
    const fleet = (await t.api('GET', '/api/devices?limit=100')).body.items.filter((d: { id: string }) => d.id !== control.id);
    expect(fleet).toHaveLength(6);
    expect(all.filter((a) => a.ruleId === 'device-stale').map((a) => a.deviceId)).toEqual([control.id]);
  }, 90_000);
});
