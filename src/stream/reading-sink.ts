import { headers, JSONCodec } from 'nats';
import type { Catalog, Reading } from '../core/index.js';
import type { ReadingSink } from '../storage/index.js';
import type { StreamConnection } from './connection.js';
import type { StreamMetrics } from './metrics.js';
import { readingBody, readingMsgId, readingSubject, STREAM_NAME } from './subjects.js';

/** How long one publish waits for the stream's acknowledgement before the batch counts as failed. */
const PUBLISH_TIMEOUT_MS = 10_000;
const json = JSONCodec();

/**
 * The spool's event-stream sink: each reading of a batch published to JetStream with its `Nats-Msg-Id`; the batch
 * is confirmed once the stream acknowledged every one (a republish answers as a duplicate, which counts as done).
 */
export function natsReadingSink(conn: StreamConnection, catalog: Catalog, districtOf: (deviceId: string) => string | null, metrics: StreamMetrics): ReadingSink {
  return {
    name: 'stream',
    batchSize: 1000,
    concurrency: 1,
    lingerMs: 100,
    async write(readings: readonly Reading[]) {
      const js = conn.js();
      if (!js) throw new Error('NATS is not connected (NATS_URL)');
      // One registry look-up per device and batch.
      const districts = new Map<string, string | null>();
      const acks = readings.map((r) => {
        let district = districts.get(r.deviceId);
        if (district === undefined) districts.set(r.deviceId, (district = districtOf(r.deviceId)));
        const h = headers();
        h.set('Nats-Msg-Id', readingMsgId(r));
        return js.publish(readingSubject(r), json.encode(readingBody(r, district, catalog)), { headers: h, expect: { streamName: STREAM_NAME }, timeout: PUBLISH_TIMEOUT_MS });
      });
      const results = await Promise.allSettled(acks);
      let duplicates = 0;
      for (const a of results) {
        if (a.status === 'rejected') throw a.reason;
        if (a.value.duplicate) duplicates++;
      }
      metrics.published.inc({ kind: 'reading' }, readings.length - duplicates);
      if (duplicates > 0) metrics.duplicates.inc({ kind: 'reading' }, duplicates);
    },
  };
}
