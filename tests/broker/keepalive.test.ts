// Keep-alive at CONNECT (MQTT 3.1.1 section 3.1.2.10): 0 turns it off and is allowed; over MQTT_KEEPALIVE_LIMIT is
// refused with a code 3.1.1 defines (2, as Mosquitto answers), never aedes' 6. A keep-alive 0 connection is bounded
// by the idle timeout instead.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closed, eventually, metricValue, rawConnack, rawConnect, sleep, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

describe('keep-alive at CONNECT', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ keepaliveLimitS: 600, idleTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts keep-alive 0 from mqtt.js and from a raw CONNECT', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'flood');
    const c = await t.connectAs(d, { keepalive: 0 });
    expect(c.connected).toBe(true);
    await c.publishAsync(d.topic, '{"level": 3}', { qos: 1 });
    expect(t.handler.handled.some((m) => m.deviceId === d.id)).toBe(true);
    await c.endAsync();

    const raw = await rawConnack(t.port, rawConnect({ clientId: `ka0-${d.id}`, clean: true, keepalive: 0, username: d.username, password: d.password }));
    expect(raw.code).toBe(0);
    raw.socket.destroy();
  });

  it('accepts a keep-alive at the limit', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'flood');
    const raw = await rawConnack(t.port, rawConnect({ clientId: `ka600-${d.id}`, clean: true, keepalive: 600, username: d.username, password: d.password }));
    expect(raw.code).toBe(0);
    raw.socket.destroy();
  });

  it('refuses a keep-alive over the limit with CONNACK 2 (MQTT 3.1.1 and 3.1), counted as keepalive_rejected', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'flood');
    const raw = await rawConnack(t.port, rawConnect({ clientId: `ka601-${d.id}`, clean: true, keepalive: 601, username: d.username, password: d.password }));
    expect(raw.code).toBe(2);
    raw.socket.destroy();
    await expect(t.connectAs(d, { keepalive: 601 })).rejects.toMatchObject({ code: 2 });
    await expect(t.connectAs(d, { keepalive: 65535, protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'v31' })).rejects.toMatchObject({ code: 2 });
    expect(t.broker.isOnline(d.id)).toBe(false);
    await eventually(async () => (await metricValue(t.metrics, 'citysense_mqtt_connects_total', { result: 'keepalive_rejected' })) === 3, 'three counted refusals');
  });

  it('closes a keep-alive 0 connection idle past the idle timeout; one that keeps sending stays', async () => {
    const idle = await t.registry.add(uniqueId('idle'), 'safety', 'flood');
    const busy = await t.registry.add(uniqueId('busy'), 'safety', 'flood');
    const i = await rawConnack(t.port, rawConnect({ clientId: `idle-${idle.id}`, clean: true, keepalive: 0, username: idle.username, password: idle.password }));
    const b = await rawConnack(t.port, rawConnect({ clientId: `busy-${busy.id}`, clean: true, keepalive: 0, username: busy.username, password: busy.password }));
    expect([i.code, b.code]).toEqual([0, 0]);
    let busyClosed = false;
    b.socket.once('close', () => { busyClosed = true; });
    const idleClosed = new Promise((resolve) => i.socket.once('close', resolve));
    const pings = setInterval(() => b.socket.write(Buffer.from([0xc0, 0x00])), 300); // PINGREQ
    try {
      await idleClosed;
      await eventually(() => !t.broker.isOnline(idle.id), 'the idle device offline');
      await sleep(2000); // longer than the idle timeout, with packets all along
      expect(busyClosed).toBe(false);
      expect(t.broker.isOnline(busy.id)).toBe(true);
    } finally {
      clearInterval(pings);
      b.socket.destroy();
    }
  }, 20_000);

  it('never closes an idle keep-alive 0 connection when the idle timeout is 0', async () => {
    const t0 = await startTestBroker({ idleTimeoutMs: 0 });
    try {
      const d = await t0.registry.add(uniqueId(), 'safety', 'flood');
      const c = await t0.connectAs(d, { keepalive: 0 });
      const ended = closed(c);
      const outcome = await Promise.race([ended.then(() => 'closed'), sleep(2000).then(() => 'open')]);
      expect(outcome).toBe('open');
    } finally {
      await t0.close();
    }
  }, 20_000);
});
