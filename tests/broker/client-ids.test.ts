import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { MAX_CLIENT_IDS_PER_DEVICE } from '../../src/broker/client-ids.js';
import { closed, eventually, metricValue, sleep, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

/** Collects what a client receives, from before its CONNACK on (pass as connectAs' setup). */
function inbox(got: { topic: string; payload: string }[]) {
  return (c: MqttClient) => c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
}

describe('a client id belongs to the identity that holds it', () => {
  let t: TestBroker;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    t = await startTestBroker({}, pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) }));
  });
  afterAll(async () => {
    await t.close();
  });

  it("refuses another device that presents a device's persistent session id (CONNACK 2): no session, none of its queued messages", async () => {
    const a = await t.registry.add(uniqueId('gasA'), 'safety', 'gas');
    const b = await t.registry.add(uniqueId('gasB'), 'safety', 'gas');
    const clientId = `shared-${a.id}`;
    const first = await t.connectAs(a, { clientId, clean: false });
    await first.subscribeAsync(`${a.topic}/#`, { qos: 1 });
    await first.endAsync();
    await eventually(() => !t.broker.isOnline(a.id), 'a offline'); // the broker's `offline` on a's status topic is queued for the session

    const stolen: { topic: string; payload: string }[] = [];
    const refusalsBefore = await metricValue(t.metrics, 'citysense_mqtt_connects_total', { result: 'identifier_rejected' });
    await expect(t.connectAs(b, { clientId, clean: false }, inbox(stolen))).rejects.toMatchObject({ code: 2 });
    await eventually(async () => (await metricValue(t.metrics, 'citysense_mqtt_connects_total', { result: 'identifier_rejected' })) === refusalsBefore + 1, 'the refusal counted');
    const line = logs.find((l) => l.clientId === clientId && l.heldBy === a.id);
    expect(line).toMatchObject({ level: 30, identity: b.id, heldBy: a.id, code: 2 });
    expect(JSON.stringify(line)).not.toContain(b.password);
    await sleep(100);
    expect(stolen).toEqual([]);
    expect(t.broker.isOnline(b.id)).toBe(false);

    // The owner comes back to its session, queued message included.
    const got: { topic: string; payload: string }[] = [];
    let sessionPresent: boolean | undefined;
    const back = await t.connectAs(a, { clientId, clean: false }, (c) => {
      inbox(got)(c);
      c.once('connect', (connack) => { sessionPresent = connack.sessionPresent; });
    });
    expect(sessionPresent).toBe(true);
    await eventually(() => got.some((m) => m.topic === a.statusTopic && m.payload === 'offline'), 'the queued offline');
    await back.endAsync();
  });

  it("refuses another device that presents a live client id, and leaves that connection alone", async () => {
    const a = await t.registry.add(uniqueId('gasA'), 'safety', 'gas');
    const b = await t.registry.add(uniqueId('gasB'), 'safety', 'gas');
    const clientId = `live-${a.id}`;
    const live = await t.connectAs(a, { clientId });
    let kicked = false;
    live.once('close', () => { kicked = true; });
    await expect(t.connectAs(b, { clientId })).rejects.toMatchObject({ code: 2 });
    await sleep(200);
    expect(kicked).toBe(false);
    expect(t.broker.isOnline(a.id)).toBe(true);
    await live.publishAsync(a.topic, '{"co":1}', { qos: 1 });
    expect(t.handler.handled.filter((m) => m.deviceId === a.id)).toHaveLength(1);
    await live.endAsync();
  });

  it('lets the same device take its own client id over, live or from its persistent session', async () => {
    const a = await t.registry.add(uniqueId('gasA'), 'safety', 'gas');
    const clientId = `own-${a.id}`;
    const old = await t.connectAs(a, { clientId, clean: false });
    await old.subscribeAsync(`${a.topic}/#`, { qos: 1 });
    const oldClosed = closed(old);
    let sessionPresent: boolean | undefined;
    const fresh = await t.connectAs(a, { clientId, clean: false }, (c) => c.once('connect', (p) => { sessionPresent = p.sessionPresent; }));
    await oldClosed; // [MQTT-3.1.4-2]: the earlier connection is closed
    expect(sessionPresent).toBe(true);
    expect(fresh.connected).toBe(true);
    await fresh.endAsync();
  });

  it('forgets the holder of a clean session when its connection closes, and of a persistent one once the device ends it with a clean session', async () => {
    const a = await t.registry.add(uniqueId('gasA'), 'safety', 'gas');
    const b = await t.registry.add(uniqueId('gasB'), 'safety', 'gas');
    const cleanId = `clean-${a.id}`;
    await (await t.connectAs(a, { clientId: cleanId, clean: true })).endAsync();
    await eventually(() => !t.broker.isOnline(a.id), 'a offline');
    await (await t.connectAs(b, { clientId: cleanId, clean: true })).endAsync();

    const persistentId = `kept-${a.id}`;
    await (await t.connectAs(a, { clientId: persistentId, clean: false })).endAsync();
    await eventually(() => !t.broker.isOnline(a.id), 'a offline');
    await expect(t.connectAs(b, { clientId: persistentId, clean: true })).rejects.toMatchObject({ code: 2 });
    await (await t.connectAs(a, { clientId: persistentId, clean: true })).endAsync(); // discards the session
    await eventually(() => !t.broker.isOnline(a.id), 'a offline');
    await (await t.connectAs(b, { clientId: persistentId, clean: true })).endAsync();
  });
});

describe("bounds on one device's sessions", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });

  it(`lets one device hold at most ${MAX_CLIENT_IDS_PER_DEVICE} client ids (persistent sessions kept in memory), still reconnecting under its own`, async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    for (let i = 0; i < MAX_CLIENT_IDS_PER_DEVICE; i++) {
      const c = await t.connectAs(d, { clientId: `${d.id}-s${i}`, clean: false });
      await c.endAsync();
    }
    await expect(t.connectAs(d, { clientId: `${d.id}-one-more`, clean: false })).rejects.toMatchObject({ code: 2 });
    await expect(t.connectAs(d, { clientId: `${d.id}-one-more`, clean: true })).rejects.toMatchObject({ code: 2 });
    const again = await t.connectAs(d, { clientId: `${d.id}-s0`, clean: true }); // its own: taken, and discards that session
    await again.endAsync();
    await eventually(async () => {
      try {
        await (await t.connectAs(d, { clientId: `${d.id}-freed`, clean: true })).endAsync();
        return true;
      } catch {
        return false;
      }
    }, 'a new client id once one was given up');
  });
});

describe('client ids with anonymous access', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ allowAnonymous: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it("keeps a device's client id from anonymous clients, and an anonymous client's from devices", async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const deviceOwned = `dev-${d.id}`;
    const device = await t.connectAs(d, { clientId: deviceOwned });
    await expect(t.connect({ clientId: deviceOwned })).rejects.toMatchObject({ code: 2 });

    const anonymousOwned = `anon-${d.id}`;
    const anonymous = await t.connect({ clientId: anonymousOwned });
    await expect(t.connectAs(d, { clientId: anonymousOwned })).rejects.toMatchObject({ code: 2 });
    expect(device.connected && anonymous.connected).toBe(true);
    await device.endAsync();
    await anonymous.endAsync();
  });
});
