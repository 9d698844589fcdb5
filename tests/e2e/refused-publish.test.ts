import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';

/** Collects what a client receives on its subscriptions, retained flag included. */
function received(client: MqttClient): { payload: string; retain: boolean }[] {
  const got: { payload: string; retain: boolean }[] = [];
  client.on('message', (_topic, payload, packet) => got.push({ payload: payload.toString(), retain: packet.retain }));
  return got;
}

describe('a publish that ingest refuses reaches no one', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is dead-lettered, delivered to no subscriber and not kept as the retained message; an accepted one is', async () => {
    const d = await t.device('safety', 'gas');
    const sender = await t.connect(d, { clientId: `send-${d.id}` });
    const watcher = await t.connect(d, { clientId: `watch-${d.id}` });
    const live = received(watcher);
    await watcher.subscribeAsync(d.topic, { qos: 1 });

    await sender.publishAsync(d.topic, '{"co": 12}', { qos: 1, retain: true });
    await eventually(() => live.length === 1, 'the accepted reading delivered');
    await sender.publishAsync(d.topic, '{"co": "not a number"}', { qos: 1, retain: true });
    await sender.publishAsync(d.topic, 'not json', { qos: 0, retain: true });
    await eventually(async () => {
      const res = await t.api('GET', '/api/dead-letters');
      return res.body.items.filter((l: { deviceId: string }) => l.deviceId === d.id).length === 2;
    }, 'both refusals dead-lettered');
    // A marker after the refusals: once it is here, anything the refusals would have delivered is here too.
    await sender.publishAsync(d.topic, '{"co": 13}', { qos: 1 });
    await eventually(() => live.length >= 2, 'the marker delivered');
    expect(live.map((m) => m.payload)).toEqual(['{"co": 12}', '{"co": 13}']);

    const late = await t.connect(d, { clientId: `late-${d.id}` });
    const retained = received(late);
    await late.subscribeAsync(d.topic, { qos: 1 });
    await eventually(() => retained.length > 0, 'the retained message');
    expect(retained).toEqual([{ payload: '{"co": 12}', retain: true }]);
  });
});
