import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy, type JsMsg } from 'nats';
import { Registry } from 'prom-client';
import { loadCatalog } from '../../src/core/index.js';
import { createIngestMetrics } from '../../src/ingest/metrics.js';
import { storeSink } from '../../src/ingest/sinks.js';
import { createSqliteReadingStore } from '../../src/storage/index.js';
import { createEventStream } from '../../src/stream/index.js';
import { startPrivateNats } from '../fixtures/nats.js';
import { silent } from './fakes.js';
import { sinkContract } from './sink-contract.js';

sinkContract('the store (SQLite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-sink-'));
  const store = createSqliteReadingStore({ file: join(dir, 'readings.db'), log: silent });
  await store.start();
  const metrics = createIngestMetrics(new Registry(), { spoolDepth: () => 0, spoolBytes: () => 0, oldestAgeMs: () => null, storeUp: () => true, sinks: () => [] });
  return {
    sink: storeSink(store, metrics, { batchSize: 5000, concurrency: 1, lingerMs: 0 }),
    async held(deviceIds) {
      const out: string[] = [];
      for (const id of deviceIds) {
        for (const p of await store.query({ deviceId: id, metric: 'co', from: 0, to: Date.now(), limit: 100_000 })) out.push(`${id}@${p.t}`);
      }
      return out;
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

sinkContract('the event stream (NATS JetStream)', async () => {
  const nats = await startPrivateNats();
  const stream = createEventStream({
    url: nats.url, catalog: loadCatalog(), districtOf: () => null, alerts: { eventsAfter: () => [] },
    positions: { get: () => undefined, set: () => undefined }, alertBody: () => ({}), log: silent, metrics: new Registry(),
  });
  stream.start();
  await stream.connected();
  const reader = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  let n = 0;
  return {
    sink: stream.readingSink,
    async held(deviceIds) {
      // A fresh durable consumer per look reads the stream from its start: every copy the stream holds.
      const jsm = await reader.jetstreamManager();
      const out: string[] = [];
      for (const id of deviceIds) {
        const durable = `held-${++n}`;
        await jsm.consumers.add('CITYSENSE', { durable_name: durable, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: `citysense.readings.safety.gas.${id}` });
        const consumer = await reader.jetstream().consumers.get('CITYSENSE', durable);
        const pending = (await consumer.info()).num_pending;
        for (let got = 0; got < pending; ) {
          for await (const m of (await consumer.fetch({ max_messages: 1000, expires: 1000 })) as AsyncIterable<JsMsg>) {
            const body = m.json<{ deviceId: string; ts: string }>();
            out.push(`${body.deviceId}@${Date.parse(body.ts)}`);
            got++;
          }
        }
        await jsm.consumers.delete('CITYSENSE', durable);
      }
      return out;
    },
    outage: { down: () => nats.stop(), up: () => nats.start() },
    async close() {
      await reader.close();
      await stream.stop();
      await nats.close();
    },
  };
});
