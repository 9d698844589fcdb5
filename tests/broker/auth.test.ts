import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOGIN_FAILURES_PER_MINUTE } from '../../src/broker/auth.js';
import { eventually, metricValue, rawConnack, rawConnect, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

describe('broker authentication', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ keepaliveLimitS: 600 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a registered device with its secret', async () => {
    const d = await t.registry.add(uniqueId(), 'healthcare', 'wearable');
    const c = await t.connectAs(d);
    expect(c.connected).toBe(true);
    expect(t.broker.isOnline(d.id)).toBe(true);
    await eventually(async () => (await metricValue(t.metrics, 'citysense_mqtt_connects_total', { result: 'accepted' })) >= 1, 'a counted connect');
    expect(await metricValue(t.metrics, 'citysense_mqtt_connections')).toBe(1);
    await c.endAsync();
  });

  it('refuses a wrong secret with CONNACK 4', async () => {
    const d = await t.registry.add(uniqueId(), 'healthcare', 'wearable');
    await expect(t.connect({ username: d.username, password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 });
    expect(t.broker.isOnline(d.id)).toBe(false);
  });

  it('refuses an unknown device with CONNACK 4', async () => {
    await expect(t.connect({ username: 'nobody-here', password: 'whatever' })).rejects.toMatchObject({ code: 4 });
  });

  it('refuses a connection without credentials, or without a password, with CONNACK 5', async () => {
    await expect(t.connect({})).rejects.toMatchObject({ code: 5 });
    const d = await t.registry.add(uniqueId(), 'safety', 'gas');
    await expect(t.connect({ username: d.username })).rejects.toMatchObject({ code: 5 });
    // counted once the CONNACK is written, which the client may see first
    await eventually(async () => (await metricValue(t.metrics, 'citysense_mqtt_connects_total', { result: 'not_authorized' })) >= 2, 'two refusals counted');
  });

  it('refuses a client id longer than 64 characters with CONNACK 2', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'gas');
    await expect(t.connectAs(d, { clientId: 'x'.repeat(65) })).rejects.toMatchObject({ code: 2 });
    const ok = await t.connectAs(d, { clientId: 'y'.repeat(64) });
    await ok.endAsync();
  });

  it.each(['dev+1', 'dev#1', 'dev/1'])('refuses the client id %s with CONNACK 2', async (clientId) => {
    const d = await t.registry.add(uniqueId(), 'safety', 'gas');
    await expect(t.connectAs(d, { clientId })).rejects.toMatchObject({ code: 2 });
  });

  it('refuses a zero-length client id without clean session (CONNACK 2), accepts it with one', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'flood');
    const refused = await rawConnack(t.port, rawConnect({ clientId: '', clean: false, keepalive: 30, username: d.username, password: d.password }));
    expect(refused.code).toBe(2);
    refused.socket.destroy();
    const accepted = await rawConnack(t.port, rawConnect({ clientId: '', clean: true, keepalive: 30, username: d.username, password: d.password }));
    expect(accepted.code).toBe(0);
    accepted.socket.destroy();
  });


  it('refuses the old secret once it is rotated, and every secret once the device is deleted', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'gas');
    for (let i = 0; i < 2; i++) await (await t.connectAs(d)).endAsync();
    const fresh = await t.registry.rotate(d.id);
    await expect(t.connectAs(d)).rejects.toMatchObject({ code: 4 });
    await (await t.connectAs({ ...d, password: fresh })).endAsync();
    await (await t.connectAs({ ...d, password: fresh })).endAsync();
    await expect(t.connect({ username: d.username, password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 });
    t.registry.delete(d.id);
    await expect(t.connectAs({ ...d, password: fresh })).rejects.toMatchObject({ code: 4 });
  });

  it("refuses a will on another device's topic with CONNACK 5", async () => {
    const a = await t.registry.add(uniqueId(), 'safety', 'noise');
    const b = await t.registry.add(uniqueId(), 'safety', 'noise');
    await expect(t.connectAs(a, { will: { topic: b.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } })).rejects.toMatchObject({ code: 5 });
    const ok = await t.connectAs(a, { will: { topic: a.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } });
    await ok.endAsync();
  });
});

describe('broker with anonymous access', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ allowAnonymous: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets a client in without credentials but still refuses wrong ones', async () => {
    const c = await t.connect({});
    expect(c.connected).toBe(true);
    const d = await t.registry.add(uniqueId(), 'transport', 'parking');
    await expect(t.connect({ username: d.username, password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    await c.endAsync();
  });

  it("takes an anonymous publisher's identity from the topic, checked against catalog and registry", async () => {
    const c = await t.connect({});
    const d = await t.registry.add(uniqueId(), 'transport', 'parking');
    await c.publishAsync(d.topic, '{"free_spaces":3}', { qos: 1 });
    await c.publishAsync('city/transport/parking/unregistered-1', '{"free_spaces":4}', { qos: 1 });
    await c.publishAsync(`city/transport/bus/${d.id}`, '{"passengers":3}', { qos: 1 }); // registered as parking
    await c.publishAsync('city/nowhere/parking/x1', '{"free_spaces":1}', { qos: 1 }); // not in the catalog
    await c.publishAsync('other/topic', 'x', { qos: 1 });
    const handled = t.handler.handled.map((m) => [m.deviceId, m.domain, m.type]);
    expect(handled).toEqual([[d.id, 'transport', 'parking'], ['unregistered-1', 'transport', 'parking']]);
    expect(t.handler.refused.map((r) => [r.msg.topic, r.reason, r.msg.deviceId])).toEqual([
      [`city/transport/bus/${d.id}`, 'not_authorized', null],
      ['city/nowhere/parking/x1', 'not_authorized', null],
      ['other/topic', 'not_authorized', null],
    ]);
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});

describe('device secrets: keyed hash, and scrypt hashes of earlier versions', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores new secrets as the keyed hash, and checks them', async () => {
    const d = await t.registry.add(uniqueId(), 'safety', 'gas');
    expect(t.registry.secretHash(d.id)).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{43}$/);
    await (await t.connectAs(d)).endAsync();
    await expect(t.connectAs({ ...d, password: `${d.password}x` })).rejects.toMatchObject({ code: 4 });
  });

  it('lets a device with an scrypt hash in and replaces the hash by the keyed one; a wrong secret never upgrades', async () => {
    const d = await t.registry.addLegacy(uniqueId('legacy'), 'safety', 'gas');
    const scryptHash = t.registry.secretHash(d.id)!;
    expect(scryptHash).toMatch(/^scrypt\$/);
    await expect(t.connectAs({ ...d, password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 });
    expect(t.registry.secretHash(d.id)).toBe(scryptHash);

    await (await t.connectAs(d)).endAsync();
    expect(t.registry.secretHash(d.id)).toBe(t.registry.secrets.hash(d.password));
    await (await t.connectAs(d)).endAsync(); // now checked against the keyed hash
    await expect(t.connectAs({ ...d, password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 });
  });

  it('refuses an scrypt login whose secret was rotated while it was being checked, and keeps the new hash', async () => {
    const d = await t.registry.addLegacy(uniqueId('legacy'), 'safety', 'gas');
    let rotated: string | undefined;
    t.registry.onSecretRead = (id) => {
      if (id !== d.id || rotated) return;
      rotated = 'pending';
      setImmediate(() => void t.registry.rotate(d.id).then((p) => (rotated = p))); // during the scrypt check
    };
    try {
      await expect(t.connectAs(d)).rejects.toMatchObject({ code: 4 });
    } finally {
      t.registry.onSecretRead = undefined;
    }
    expect(t.registry.secretHash(d.id)).toBe(t.registry.secrets.hash(rotated!));
    await (await t.connectAs({ ...d, password: rotated! })).endAsync();
  });
});

describe('failed-login throttle', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });

  it(`refuses at once (CONNACK 3) an address's scrypt logins and failed ones after ${LOGIN_FAILURES_PER_MINUTE} failures in a minute; keyed ones still get in`, async () => {
    const known = await t.registry.add(uniqueId('known'), 'safety', 'gas');
    await (await t.connectAs(known)).endAsync();
    const newcomer = await t.registry.add(uniqueId('newcomer'), 'safety', 'gas'); // keyed, never logged in
    const fresh = await t.registry.addLegacy(uniqueId('fresh'), 'safety', 'gas'); // an scrypt hash of an earlier version
    const freshHash = t.registry.secretHash(fresh.id);
    const wrong = Array.from({ length: LOGIN_FAILURES_PER_MINUTE }, () => t.connectAs({ ...known, password: 'not-the-secret' }).then(() => 0, (e: { code?: number }) => e.code));
    expect(new Set(await Promise.all(wrong))).toEqual(new Set([4]));

    const started = Date.now();
    await expect(t.connectAs(fresh)).rejects.toMatchObject({ code: 3 }); // would need scrypt: not checked
    await expect(t.connectAs({ ...fresh, password: 'also-wrong' })).rejects.toMatchObject({ code: 3 });
    await expect(t.connectAs({ ...known, password: 'still-wrong' })).rejects.toMatchObject({ code: 3 });
    await expect(t.connect({ username: 'nobody-here', password: 'whatever' })).rejects.toMatchObject({ code: 3 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(t.registry.secretHash(fresh.id)).toBe(freshHash); // not checked, not upgraded
    for (const d of [known, newcomer]) {
      const c = await t.connectAs(d); // a keyed check: microseconds, not held up
      expect(c.connected).toBe(true);
      await c.endAsync();
    }
  }, 30_000);
});
