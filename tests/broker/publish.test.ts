import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { closed, eventually, metricValue, mosquittoPub, rawConnack, rawConnect, sleep, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

/** Collects what a client receives. */
function inbox(c: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

/** The SUBACK's granted QoS per filter (mqtt.js rejects a SUBACK with any 128 but keeps the packet). */
async function granted(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted;
  }
}

describe('broker publish path and topic ACL', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.handler.onHandle = (_msg, done) => queueMicrotask(() => done());
  });

  it.each([0, 1, 2] as const)('hands a QoS %i telemetry publish to the handler with the device, domain and type', async (qos) => {
    const d = await t.registry.add(uniqueId('wear'), 'healthcare', 'wearable');
    const c = await t.connectAs(d);
    const before = Date.now();
    await c.publishAsync(d.topic, '{"heart_rate":72}', { qos });
    const msg = await eventually(() => t.handler.handled.find((m) => m.deviceId === d.id), 'the handled message');
    expect(msg).toMatchObject({ deviceId: d.id, domain: 'healthcare', type: 'wearable', topic: d.topic, qos });
    expect(msg.payload.toString()).toBe('{"heart_rate":72}');
    expect(msg.receivedAt).toBeGreaterThanOrEqual(before);
    await c.endAsync();
  });

  it.each([1, 2] as const)('holds the QoS %i acknowledgement until the handler calls done()', async (qos) => {
    const d = await t.registry.add(uniqueId('fridge'), 'healthcare', 'cold_chain');
    const c = await t.connectAs(d);
    const held: (() => void)[] = [];
    t.handler.onHandle = (_msg, done) => held.push(() => done());
    let acked = false;
    const published = c.publishAsync(d.topic, '{"temp":4}', { qos }).then(() => { acked = true; });
    await eventually(() => held.length === 1, 'the message in the handler');
    await sleep(300);
    expect(acked).toBe(false);
    held[0]();
    await published;
    expect(acked).toBe(true);
    await c.endAsync();
  });

  it('closes the connection without acknowledging when the handler fails', async () => {
    const d = await t.registry.add(uniqueId('fridge'), 'healthcare', 'cold_chain');
    const c = await t.connectAs(d);
    t.handler.onHandle = (_msg, done) => setTimeout(() => done(new Error('spool full')), 50);
    let acked = false;
    const gone = closed(c);
    c.publish(d.topic, '{"temp":4}', { qos: 1 }, (err) => { if (!err) acked = true; });
    await gone;
    await sleep(100);
    expect(acked).toBe(false);
    expect(t.broker.isOnline(d.id)).toBe(false);
  });

  it("acknowledges and drops a publish to another device's topic: no handler, no subscriber, no retained message", async () => {
    const a = await t.registry.add(uniqueId('smoke'), 'safety', 'smoke');
    const b = await t.registry.add(uniqueId('smoke'), 'safety', 'smoke');
    const cb = await t.connectAs(b);
    const got = inbox(cb);
    await cb.subscribeAsync([b.topic, `${b.topic}/#`], { qos: 1 });
    const ca = await t.connectAs(a);

    const bad = [
      { topic: b.topic, payload: '{"obscuration":50}' }, // another device's telemetry
      { topic: b.statusTopic, payload: 'offline' }, // another device's status
      { topic: `city/transport/traffic/${a.id}`, payload: '{"flow":1}' }, // its own id under a wrong domain/type
      { topic: '$SYS/broker/anything', payload: 'x' },
      { topic: 'elsewhere', payload: 'x' },
    ];
    for (const p of bad) await ca.publishAsync(p.topic, p.payload, { qos: 1, retain: true }); // each one is acknowledged
    await ca.publishAsync(a.topic, '{"obscuration":1}', { qos: 1 }); // and the connection still works
    expect(ca.connected).toBe(true);

    expect(t.handler.refused.filter((r) => r.msg.deviceId === a.id).map((r) => [r.msg.topic, r.reason, r.msg.payload.toString()]))
      .toEqual(bad.map((p) => [p.topic, 'not_authorized', p.payload]));
    expect(t.handler.handled.filter((m) => m.topic === b.topic)).toEqual([]);
    expect(t.handler.handled.filter((m) => m.deviceId === a.id)).toHaveLength(1);

    // Nothing reached b's subscriptions except its own retained `online`, and nothing was kept as retained.
    await sleep(200);
    expect(got).toEqual([{ topic: b.statusTopic, payload: 'online', retain: true }]);
    const late = inbox(cb);
    await cb.unsubscribeAsync([b.topic, `${b.topic}/#`]);
    await cb.subscribeAsync([b.topic, b.statusTopic], { qos: 1 });
    await sleep(200);
    expect(late).toEqual([{ topic: b.statusTopic, payload: 'online', retain: true }]);
    await ca.endAsync();
    await cb.endAsync();
  });

  it('closes a connection that publishes to a wildcard topic (a protocol violation), hands nothing on, and counts it as not_authorized', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await t.connectAs(d);
    const gone = closed(c);
    c.publish('city/safety/gas/+', '{"co":1}', { qos: 0 });
    await gone;
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toEqual([]);
    // Counted and dead-lettered like any publish outside its topics, naming the device and why.
    await eventually(() => t.handler.refused.some((r) => r.msg.deviceId === d.id), 'the refusal');
    expect(t.handler.refused.filter((r) => r.msg.deviceId === d.id).map((r) => [r.reason, r.detail]))
      .toEqual([['not_authorized', '+ is not allowed in PUBLISH (a protocol violation): connection closed']]);
  });

  it('closes a connection whose PUBLISH topic is not valid UTF-8 (MQTT-1.5.3-1), hands nothing on, and counts it as not_authorized', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const { code, socket } = await rawConnack(t.port, rawConnect({ clientId: `raw-${d.id}`, clean: true, keepalive: 30, username: d.username, password: d.password }));
    expect(code).toBe(0);
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(Buffer.from([0x30, 0x05, 0x00, 0x02, 0xff, 0xfe, 0x78])); // QoS 0 PUBLISH, topic bytes ff fe
    await gone;
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toEqual([]);
    await eventually(() => t.handler.refused.some((r) => r.msg.deviceId === d.id), 'the refusal');
    expect(t.handler.refused.filter((r) => r.msg.deviceId === d.id).map((r) => [r.reason, r.detail]))
      .toEqual([['not_authorized', 'topic is not valid UTF-8 (a protocol violation): connection closed']]);
  });

  it('passes a device status of online/offline, and drops any other status as malformed_payload', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await t.connectAs(d);
    await c.publishAsync(d.statusTopic, 'online', { qos: 1, retain: true });
    await c.publishAsync(d.statusTopic, 'on fire', { qos: 1, retain: true });
    expect(t.handler.refused.filter((r) => r.msg.deviceId === d.id).map((r) => [r.reason, r.msg.payload.toString()]))
      .toEqual([['malformed_payload', 'on fire']]);
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toEqual([]);
    const got = inbox(c);
    await c.subscribeAsync(d.statusTopic, { qos: 1 });
    await sleep(150);
    expect(got).toEqual([{ topic: d.statusTopic, payload: 'online', retain: true }]);
    await c.endAsync();
  });

  it("negates subscriptions outside the device's own topics (SUBACK 128) and grants its own", async () => {
    const a = await t.registry.add(uniqueId('noise'), 'safety', 'noise');
    const b = await t.registry.add(uniqueId('noise'), 'safety', 'noise');
    const c = await t.connectAs(a);
    const before = await metricValue(t.metrics, 'citysense_mqtt_subscriptions_refused_total');
    const filters = [b.topic, b.statusTopic, 'city/#', 'city/safety/noise/+', '$SYS/#', '#', a.topic, `${a.topic}/#`];
    expect(await granted(c, filters)).toEqual([128, 128, 128, 128, 128, 128, 1, 1]);
    expect(await metricValue(t.metrics, 'citysense_mqtt_subscriptions_refused_total')).toBe(before + 6);
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('grants a device only what its topics carry: the topic, status, or a wildcard under it (deeper filters cost session memory)', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await t.connectAs(d);
    const filters = [d.topic, `${d.topic}/status`, `${d.topic}/#`, `${d.topic}/+`, `${d.topic}/x/y`, `${d.topic}/${'z'.repeat(200)}`, `${d.topic}/status/deeper`];
    expect(await granted(c, filters)).toEqual([1, 1, 1, 1, 128, 128, 128]);
    await c.endAsync();
  });

  it('takes QoS 1 and 2 publishes from mosquitto_pub, and drops its publish to a foreign topic', async () => {
    const d = await t.registry.add(uniqueId('air'), 'safety', 'air');
    const other = await t.registry.add(uniqueId('air'), 'safety', 'air');
    const base = ['-h', '127.0.0.1', '-p', String(t.port), '-V', 'mqttv311', '-u', d.username, '-P', d.password];
    for (const qos of ['1', '2']) {
      const r = await mosquittoPub([...base, '-i', `mp-${qos}-${d.id}`, '-q', qos, '-t', d.topic, '-m', `{"pm25":${qos}}`]);
      expect(r).toEqual({ code: 0, stderr: '' });
    }
    expect(t.handler.handled.filter((m) => m.deviceId === d.id).map((m) => [m.qos, m.payload.toString()])).toEqual([[1, '{"pm25":1}'], [2, '{"pm25":2}']]);
    const r = await mosquittoPub([...base, '-i', `mp-x-${d.id}`, '-q', '1', '-t', other.topic, '-m', '{"pm25":3}']);
    expect(r.code).toBe(0); // acknowledged (then dropped)
    expect(t.handler.refused.filter((x) => x.msg.deviceId === d.id).map((x) => [x.msg.topic, x.reason])).toEqual([[other.topic, 'not_authorized']]);
    const wrong = await mosquittoPub([...base.slice(0, -2), '-P', 'wrong', '-i', `mp-w-${d.id}`, '-q', '1', '-t', d.topic, '-m', '{}']);
    expect(wrong.code).not.toBe(0);
  });
});
