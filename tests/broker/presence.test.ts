import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { closed, eventually, metricValue, sleep, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

function inbox(c: MqttClient): { topic: string; payload: string }[] {
  const got: { topic: string; payload: string }[] = [];
  c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  return got;
}

describe('presence', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });

  it('marks a device online on connect (event and retained status) and offline when it disconnects', async () => {
    const d = await t.registry.add(uniqueId('wear'), 'healthcare', 'wearable');
    const devicesBefore = t.broker.connectedDevices();
    const c = await t.connectAs(d);
    expect(t.broker.isOnline(d.id)).toBe(true);
    expect(t.broker.connectedDevices()).toBe(devicesBefore + 1);
    expect(t.presence.filter((e) => e.deviceId === d.id).map((e) => e.status)).toEqual(['online']);
    const got = inbox(c);
    await c.subscribeAsync(d.statusTopic, { qos: 1 });
    await eventually(() => got.length === 1, 'the retained status');
    expect(got).toEqual([{ topic: d.statusTopic, payload: 'online' }]);
    await c.endAsync();
    await eventually(() => !t.broker.isOnline(d.id), 'offline');
    expect(t.presence.filter((e) => e.deviceId === d.id).map((e) => e.status)).toEqual(['online', 'offline']);
    expect(t.broker.connectedDevices()).toBe(devicesBefore);
  });

  it("publishes the will when a connection dies, and stays online while the device has another connection", async () => {
    const d = await t.registry.add(uniqueId('ambu'), 'healthcare', 'ambulance');
    const observer = await t.connectAs(d, { clientId: `obs-${d.id}` });
    const got = inbox(observer);
    await observer.subscribeAsync(d.statusTopic, { qos: 1 });
    await eventually(() => got.length === 1, 'the retained online');
    const dying = await t.connectAs(d, { clientId: `dying-${d.id}`, will: { topic: d.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } });
    dying.stream.destroy(); // no DISCONNECT: the will is published
    await eventually(() => got.length === 3, 'the will and the online that follows');
    expect(got.map((m) => m.payload)).toEqual(['online', 'offline', 'online']);
    expect(t.broker.isOnline(d.id)).toBe(true);
    expect(t.presence.filter((e) => e.deviceId === d.id).map((e) => e.status)).toEqual(['online']);
    await observer.endAsync();
    await eventually(() => !t.broker.isOnline(d.id), 'offline once the last connection went');
    expect(t.presence.filter((e) => e.deviceId === d.id).map((e) => e.status)).toEqual(['online', 'offline']);
  });

  it('stays online without a flicker when a reconnect with the same client id takes the session over', async () => {
    const d = await t.registry.add(uniqueId('traffic'), 'transport', 'traffic');
    const old = await t.connectAs(d, { clientId: `same-${d.id}` });
    const oldClosed = closed(old);
    const fresh = await t.connectAs(d, { clientId: `same-${d.id}` });
    await oldClosed;
    await sleep(100);
    expect(t.broker.isOnline(d.id)).toBe(true);
    expect(t.presence.filter((e) => e.deviceId === d.id).map((e) => e.status)).toEqual(['online']);
    await fresh.endAsync();
  });

  it('disconnect(deviceId) closes every connection of that device and no other', async () => {
    const d = await t.registry.add(uniqueId('bus'), 'transport', 'bus');
    const other = await t.registry.add(uniqueId('bus'), 'transport', 'bus');
    const a = await t.connectAs(d, { clientId: `a-${d.id}` });
    const b = await t.connectAs(d, { clientId: `b-${d.id}` });
    const o = await t.connectAs(other);
    const gone = Promise.all([a, b].map((c) => closed(c)));
    expect(t.broker.disconnect(d.id)).toBe(2);
    await gone;
    await eventually(() => !t.broker.isOnline(d.id), 'offline');
    expect(t.broker.isOnline(other.id)).toBe(true);
    expect(o.connected).toBe(true);
    expect(t.broker.disconnect('no-such-device')).toBe(0);
    // a deleted device cannot come back
    t.registry.delete(d.id);
    await expect(t.connectAs(d)).rejects.toMatchObject({ code: 4 });
    await o.endAsync();
  });

  it('a persistent session gets the QoS 1 messages queued on its own topics while it was away', async () => {
    const d = await t.registry.add(uniqueId('park'), 'transport', 'parking');
    const clientId = `persist-${d.id}`;
    const first = await t.connectAs(d, { clientId, clean: false });
    await first.subscribeAsync([d.topic, d.statusTopic], { qos: 1 });
    await first.endAsync();
    await eventually(() => !t.broker.isOnline(d.id), 'offline'); // the broker's retained `offline` is queued too
    const publisher = await t.connectAs(d, { clientId: `pub-${d.id}` });
    await publisher.publishAsync(d.topic, '{"free_spaces":7}', { qos: 1 });
    await publisher.endAsync();
    await eventually(() => !t.broker.isOnline(d.id), 'offline again');

    let got: { topic: string; payload: string }[] = [];
    const back = await t.connectAs(d, { clientId, clean: false }, (c) => { got = inbox(c); });
    await eventually(() => got.some((m) => m.topic === d.topic), 'the queued telemetry');
    await sleep(100);
    expect(got.filter((m) => m.topic === d.topic).map((m) => m.payload)).toEqual(['{"free_spaces":7}']);
    expect(got.filter((m) => m.topic === d.statusTopic).map((m) => m.payload)).toContain('offline');
    await back.endAsync();
  });

  it('counts live connections in citysense_mqtt_connections', async () => {
    const d = await t.registry.add(uniqueId('smoke'), 'safety', 'smoke');
    const before = await metricValue(t.metrics, 'citysense_mqtt_connections');
    const c = await t.connectAs(d);
    expect(await metricValue(t.metrics, 'citysense_mqtt_connections')).toBe(before + 1);
    await c.endAsync();
    await eventually(async () => (await metricValue(t.metrics, 'citysense_mqtt_connections')) === before, 'the gauge back down');
  });
});

describe('presence as an anonymous observer sees it', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ allowAnonymous: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves a retained `offline` on the status topic after the last disconnect', async () => {
    const d = await t.registry.add(uniqueId('flood'), 'safety', 'flood');
    const c = await t.connectAs(d);
    await c.endAsync();
    await eventually(() => !t.broker.isOnline(d.id), 'offline');
    await sleep(50);
    const observer = await t.connect({});
    const got = inbox(observer);
    await observer.subscribeAsync(d.statusTopic, { qos: 1 });
    await eventually(() => got.length === 1, 'the retained status');
    expect(got).toEqual([{ topic: d.statusTopic, payload: 'offline' }]);
    await observer.endAsync();
  });
});
