import { headers, JSONCodec } from 'nats';
import type { AlertEvent, Logger } from '../core/index.js';
import type { AlertStore, PositionStore } from '../storage/index.js';
import type { StreamConnection } from './connection.js';
import type { StreamMetrics } from './metrics.js';
import { alertMsgId, alertSubject, STREAM_NAME } from './subjects.js';

/** Where the last published eventId is kept (the meta DB's positions). */
export const ALERTS_POSITION = 'stream.alerts';
const BATCH = 200;
const PUBLISH_TIMEOUT_MS = 10_000;
const json = JSONCodec();

export interface AlertPublisherDeps {
  conn: StreamConnection;
  /** Transitions after a position, in eventId order (the alert store's port). */
  alerts: Pick<AlertStore, 'eventsAfter'>;
  positions: PositionStore;
  /** The message body of one transition: `{transition, alert}`. */
  body(e: AlertEvent): unknown;
  log: Logger;
  metrics: StreamMetrics;
  /** Looks for new transitions at least this often, besides wake() (ms). */
  pollMs: number;
}

/**
 * Publishes alert transitions in eventId order from a persisted position: a batch's position is saved only after
 * JetStream acknowledged all of it, so a crash republishes at most that batch, which the duplicate window drops
 * (`Nats-Msg-Id` is the eventId).
 */
export function createAlertPublisher(deps: AlertPublisherDeps) {
  const { conn, alerts, positions, log, metrics } = deps;
  let position = positions.get(ALERTS_POSITION) ?? 0;
  let stopped = false;
  let up = true;
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wakeUp = undefined;
      resolve();
    }
    wakeUp = done;
  });

  async function publish(events: readonly AlertEvent[]): Promise<void> {
    const js = conn.js();
    if (!js) throw new Error('NATS is not connected (NATS_URL)');
    const acks = await Promise.all(events.map((e) => {
      const h = headers();
      h.set('Nats-Msg-Id', alertMsgId(e));
      return js.publish(alertSubject(e), json.encode(deps.body(e)), { headers: h, expect: { streamName: STREAM_NAME }, timeout: PUBLISH_TIMEOUT_MS });
    }));
    const duplicates = acks.filter((a) => a.duplicate).length;
    metrics.published.inc({ kind: 'alert' }, events.length - duplicates);
    if (duplicates > 0) metrics.duplicates.inc({ kind: 'alert' }, duplicates);
  }

  async function run(): Promise<void> {
    let retryMs = 100;
    for (;;) {
      await conn.ready();
      if (stopped) return;
      let events: AlertEvent[];
      try {
        events = alerts.eventsAfter(position, BATCH);
      } catch (err) {
        log.error({ err }, 'cannot read alert transitions for the event stream; retrying');
        await sleep(5000);
        continue;
      }
      if (events.length === 0) {
        await sleep(deps.pollMs);
        continue;
      }
      try {
        await publish(events);
      } catch (err) {
        if (up) log.warn({ err, eventId: events[0]!.eventId }, 'publishing alert transitions to NATS failed; retrying from the same eventId');
        up = false;
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
        continue;
      }
      if (!up) log.info({ eventId: events[0]!.eventId }, 'alert transitions reach NATS again');
      up = true;
      retryMs = 100;
      position = events[events.length - 1]!.eventId;
      positions.set(ALERTS_POSITION, position);
    }
  }

  return {
    start() {
      loop ??= run().catch((err: unknown) => log.error({ err }, 'the alert publisher stopped on an unexpected error'));
    },
    /** New transitions were recorded: look now rather than at the next poll. */
    wake() {
      wakeUp?.();
    },
    /** The eventId of the last transition JetStream acknowledged. */
    position: () => position,
    up: () => up,
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}

export type AlertPublisher = ReturnType<typeof createAlertPublisher>;
