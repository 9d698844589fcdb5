import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'nats';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { startPrivateNats, type PrivateNats } from '../fixtures/nats.js';
import { runSimulation } from '../../src/simulator/index.js';
import { durableConsumer, type Seen } from './consumer.js';

/** Fetches with `fetch` until `done` holds over everything seen (or throws after `ms`). */
async function collect(fetch: () => Promise<Seen[]>, into: Seen[], done: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (have ${into.length})`);
    into.push(...(await fetch()));
  }
}

describe('the event stream on NATS JetStream (NATS_URL)', () => {
  let nats: PrivateNats;
  let t: TestApp;
  beforeAll(async () => {
    nats = await startPrivateNats();
    t = await startTestApp('sqlite', { NATS_URL: nats.url });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await nats?.close();
  });

  it('creates stream CITYSENSE and publishes a reading with its subject, body and a stable Nats-Msg-Id', async () => {
    const s = await t.sensor('safety', 'gas', { district: 'Xingqing' });
    const consumer = await durableConsumer(nats.url, 'one-reading', `citysense.readings.safety.gas.${s.id}`);
    const ts = Date.now() - 1000;
    await s.client.publishAsync(s.topic, JSON.stringify({ ts, seq: 7, values: { co: 12, ch4: 3 } }), { qos: 1 });
    const seen: Seen[] = [];
    await collect(() => consumer.fetch(10), seen, () => seen.length >= 1, 'the reading on the stream');
    expect(seen).toEqual([{
      subject: `citysense.readings.safety.gas.${s.id}`,
      msgId: `reading:${s.id}:${ts}:7`,
      body: {
        deviceId: s.id, domain: 'safety', type: 'gas', district: 'Xingqing', ts: new Date(ts).toISOString(), receivedAt: expect.any(String), seq: 7,
        values: { co: 12, ch4: 3 }, units: { co: 'ppm', ch4: '%LEL' },
      },
    }]);
    await consumer.kill();
  });

  it('a durable consumer gets every acknowledged reading of a simulator run exactly once, though it was killed and restarted', async () => {
    const filter = 'citysense.readings.>';
    const first = await durableConsumer(nats.url, 'sim-run', filter);
    const seen: Seen[] = [];
    const run = runSimulation({ mqtt: t.mqttUrl, devices: 20, rate: 100, durationMs: 6000, seed: 'stream', scenario: 'normal', qos: 1, provision: { api: t.httpUrl, token: t.adminToken }, prefix: 'ns' });
    // The first consumer takes some, and is killed with a fetched batch it never acknowledged.
    await collect(() => first.fetch(50), seen, () => seen.filter((m) => m.body.deviceId.startsWith('ns-')).length >= 100, 'the first readings of the run');
    await first.fetch(50, 1000, false);
    await first.kill();
    const result = await run;
    expect(result.acknowledged).toBe(result.sent);
    // What the store has of the fleet is what was acknowledged (once the writer's last round, up to 100 ms after
    // the PUBACKs, is in).
    const stored = new Map<string, number>();
    const storedTotal = async () => {
      for (const d of result.fleet) stored.set(d.id, await t.app.parts.readings.count(d.id));
      return [...stored.values()].reduce((a, b) => a + b, 0);
    };
    await eventually(async () => (await storedTotal()) >= result.acknowledged, 'every acknowledged reading stored');
    const total = await storedTotal();
    expect(total).toBeGreaterThanOrEqual(result.acknowledged);

    const again = await durableConsumer(nats.url, 'sim-run', filter); // the same durable: resumes where it was
    const mine = () => new Set(seen.filter((m) => m.body.deviceId.startsWith('ns-')).map((m) => m.msgId));
    await collect(() => again.fetch(500), seen, () => mine().size >= total, 'every reading of the run on the stream');
    await again.fetch(500, 2000); // and nothing more comes
    await again.kill();
    const unique = mine();
    expect(unique.size).toBe(total);
    for (const [id, n] of stored) expect(new Set([...unique].filter((m) => m.startsWith(`reading:${id}:`))).size).toBe(n);
    // The stream itself holds each reading once: JetStream kept no republish.
    const nc = await connect({ servers: nats.url });
    const info = await (await nc.jetstreamManager()).streams.info('CITYSENSE', { subjects_filter: 'citysense.readings.>' });
    await nc.close();
    const inStream = Object.entries(info.state.subjects ?? {}).filter(([s]) => s.split('.')[4]!.startsWith('ns-')).reduce((a, [, n]) => a + n, 0);
    expect(inStream).toBe(total);
  }, 120_000);

  it('NATS stopped for 15 s: devices are still acknowledged, the store is current, and the stream catches up with no gap', async () => {
    const sensors = await Promise.all([0, 1, 2].map(() => t.sensor('safety', 'gas')));
    const consumer = await durableConsumer(nats.url, 'outage', 'citysense.readings.safety.gas.>');
    await nats.stop();
    const t0 = Date.now() - 60_000;
    let seq = 0;
    try {
      const stopAt = Date.now() + 15_000;
      while (Date.now() < stopAt) {
        seq++;
        // Every publish is acknowledged (PUBACK) while NATS is down.
        await Promise.all(sensors.map((s) => s.client.publishAsync(s.topic, JSON.stringify({ ts: t0 + seq, seq, values: { co: seq % 40 } }), { qos: 1 })));
        await new Promise((r) => setTimeout(r, 50));
      }
      // The store keeps up (its writer gathers up to 100 ms of commits), with NATS still down.
      await eventually(async () => {
        for (const s of sensors) if ((await t.app.parts.readings.count(s.id)) !== seq) return false;
        return true;
      }, 'the store to hold every acknowledged reading');
      const ready = await t.api('GET', '/readyz', undefined, null);
      expect(ready.status).toBe(200);
      expect(ready.body.sinks.store).toEqual({ lag: 0, up: true });
      expect(ready.body.sinks.stream.lag).toBe(3 * seq);
      expect(ready.body.sinks.stream.up).toBe(false);
      const metrics = (await t.api('GET', '/metrics', undefined, null)).body as string;
      expect(metrics).toMatch(/citysense_sink_lag_readings\{sink="stream"\} [1-9]/);
      expect(metrics).toMatch(/citysense_stream_connected 0/);
    } finally {
      await nats.start();
    }
    const seen: Seen[] = [];
    const ids = new Set(sensors.map((s) => s.id));
    const mine = () => seen.filter((m) => ids.has(m.body.deviceId));
    await collect(() => consumer.fetch(500), seen, () => new Set(mine().map((m) => m.msgId)).size >= 3 * seq, 'the stream to catch up', 90_000);
    for (const s of sensors) {
      const seqs = [...new Set(mine().filter((m) => m.body.deviceId === s.id).map((m) => m.body.seq as number))].sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: seq }, (_, i) => i + 1)); // no gap
    }
    await consumer.kill();
    await eventually(async () => (await t.api('GET', '/readyz', undefined, null)).body.sinks.stream.lag === 0, 'the stream lag to be 0', 30_000);
  }, 180_000);

  it('publishes alert transitions on citysense.alerts.{domain}.{severity} with Nats-Msg-Id from the eventId', async () => {
    const s = await t.sensor('safety', 'gas');
    const consumer = await durableConsumer(nats.url, 'alerts', 'citysense.alerts.>');
    await s.send({ co: 80 });
    await s.send({ co: 3 });
    const seen: Seen[] = [];
    const mine = () => seen.filter((m) => m.body.alert.deviceId === s.id);
    await collect(() => consumer.fetch(50), seen, () => mine().length >= 2, 'the fired and resolved transitions');
    const [fired, resolved] = mine();
    expect(fired!.subject).toBe('citysense.alerts.safety.critical');
    expect(fired!.body.transition).toMatchObject({ kind: 'fired', value: 80, actor: 'system' });
    expect(fired!.body.alert).toMatchObject({ deviceId: s.id, ruleId: 'carbon-monoxide', severity: 'critical', domain: 'safety' });
    expect(fired!.msgId).toBe(`alert:${fired!.body.transition.eventId}`);
    expect(resolved!.body.transition.kind).toBe('resolved');
    expect(resolved!.body.transition.eventId).toBeGreaterThan(fired!.body.transition.eventId);
    const api = await t.api('GET', `/api/alerts/${fired!.body.alert.id}`);
    expect(api.body.transitions.map((x: any) => x.eventId)).toEqual(mine().map((m) => m.body.transition.eventId));
    await consumer.kill();
  }, 60_000);
});
