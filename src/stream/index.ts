// The event stream's public face (docs/contract.md section 13): readings and alert transitions on NATS JetStream.
import type { Registry } from 'prom-client';
import type { AlertEvent, Catalog, Logger } from '../core/index.js';
import type { AlertStore, PositionStore, ReadingSink } from '../storage/index.js';
import { createAlertPublisher } from './alert-publisher.js';
import { createStreamConnection } from './connection.js';
import { createStreamMetrics } from './metrics.js';
import { natsReadingSink } from './reading-sink.js';

export { STREAM_NAME, readingMsgId, readingSubject, alertMsgId, alertSubject, subjectToken } from './subjects.js';
export { DUPLICATE_WINDOW_MS } from './connection.js';
export { ALERTS_POSITION } from './alert-publisher.js';

export interface EventStreamDeps {
  /** NATS_URL, e.g. nats://host:4222. */
  url: string;
  catalog: Catalog;
  /** A device's district (null when it has none or is gone). */
  districtOf(deviceId: string): string | null;
  /** Transitions after an eventId (the alert store's port). */
  alerts: Pick<AlertStore, 'eventsAfter'>;
  /** Keeps the last published eventId (citysense.db). */
  positions: PositionStore;
  /** The body of one transition, `{transition, alert}` as the API shows them. */
  alertBody(e: AlertEvent): unknown;
  log: Logger;
  metrics: Registry;
  /** How often to look for new transitions besides wakeAlerts() (ms, default 1000). */
  alertPollMs?: number;
}

export interface EventStream {
  /** The spool's sink for readings: hand it to ingest. */
  readonly readingSink: ReadingSink;
  /** Connects to NATS (in the background) and starts publishing alert transitions from the saved position. */
  start(): void;
  /** New transitions were recorded. */
  wakeAlerts(): void;
  status(): { connected: boolean; alertsPosition: number; alertsUp: boolean };
  /** Resolves once connected with the stream in place (or closed). */
  connected(): Promise<void>;
  /** Stops the alert publisher and closes the connection (after ingest has drained the readings sink). */
  stop(): Promise<void>;
}

/** The readings sink and the alert publisher over one NATS connection, made at start(). */
export function createEventStream(deps: EventStreamDeps): EventStream {
  const log = deps.log.child({ component: 'stream' });
  const conn = createStreamConnection(deps.url, log);
  let alertsPosition = () => 0;
  const metrics = createStreamMetrics(deps.metrics, { connected: () => conn.js() !== undefined, alertsPosition: () => alertsPosition() });
  const publisher = createAlertPublisher({ conn, alerts: deps.alerts, positions: deps.positions, body: deps.alertBody, log, metrics, pollMs: deps.alertPollMs ?? 1000 });
  alertsPosition = publisher.position;
  return {
    readingSink: natsReadingSink(conn, deps.catalog, deps.districtOf, metrics),
    start() {
      conn.open();
      publisher.start();
    },
    wakeAlerts: () => publisher.wake(),
    connected: () => conn.ready(),
    status: () => ({ connected: conn.js() !== undefined, alertsPosition: publisher.position(), alertsUp: publisher.up() }),
    async stop() {
      // The publisher may be waiting for NATS: closing the connection ends that wait, then the loop ends.
      const stopped = publisher.stop();
      await conn.close();
      await stopped;
    },
  };
}
