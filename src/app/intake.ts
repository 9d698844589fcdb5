import type { Registry } from 'prom-client';
import { createBroker, type Broker } from '../broker/index.js';
import type { AuthFailureListener, Catalog, Config, Logger, Reading } from '../core/index.js';
import type { DeviceStatusTracker } from '../devices/index.js';
import { createIngest, type Ingest } from '../ingest/index.js';
import type { ReadingSink } from '../storage/index.js';
import { listenError } from './listen-errors.js';
import { asPart, type Part } from './lifecycle.js';
import { timedPublishHandler } from './observe/publish.js';
import { refusalSummary } from './observe/refusals.js';
import type { Stores } from './stores.js';

export interface IntakeDeps {
  config: Config;
  catalog: Catalog;
  stores: Stores;
  status: DeviceStatusTracker;
  /** Sinks of the spool besides the store (the event stream). */
  sinks: readonly ReadingSink[];
  onAuthFailure: AuthFailureListener;
  log: Logger;
  metrics: Registry;
}

/** Ingest and the broker in front of it: how a device's message comes in. */
export interface Intake {
  ingest: Ingest;
  /** The broker, once its part has started (aedes is made then). */
  broker(): Broker;
  /** The MQTT ports listened on, once started. */
  ports(): { mqttPort: number; mqttsPort?: number };
  /** Hands accepted readings (durable in the spool, in spool order) to a listener. */
  onAccepted(listener: (batch: readonly Reading[]) => void): void;
  /** In start order: ingest (the spool), the refusal summary, the broker (its listeners). */
  parts: { ingest: Part; refusals: Part; broker: Part };
}

export function createIntake(deps: IntakeDeps): Intake {
  const { config, catalog, stores, status, log, metrics } = deps;
  // Refusals are summarised at ingest's door: its dead-letter store wrapped, its counters read.
  const refusals = refusalSummary(() => ingest.stats().refused, log);
  const ingest = createIngest({
    catalog, store: stores.readings, deadLetters: refusals.wrap(stores.meta.deadLetters), log, metrics,
    dataDir: config.dataDir, spoolMaxBytes: config.spoolMaxBytes,
    // InfluxDB answers over HTTP: several requests in flight keep it busy while the event loop is (BENCHMARKS.md).
    writeConcurrency: stores.readings.kind === 'influxdb' ? 4 : 1,
    // A light load's group commits gathered into fewer, larger store writes (BENCHMARKS.md).
    writeLingerMs: 100,
    sinks: deps.sinks,
  });
  let broker: Broker | undefined;
  let ports: { mqttPort: number; mqttsPort?: number } | undefined;
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what}: the broker has not started`);
    return v;
  };

  async function startBroker(): Promise<void> {
    broker = await createBroker({
      registry: stores.meta.devices,
      secrets: stores.secrets,
      catalog,
      log,
      metrics,
      // Publish → PUBACK timed at the broker's door.
      handler: timedPublishHandler(ingest, metrics),
      onPresence: (e) => status.connection(e),
      onStatus: (e) => status.said(e),
      onAuthFailure: deps.onAuthFailure,
      options: {
        host: config.host,
        mqttPort: config.mqttPort,
        mqtts: config.mqtts,
        allowAnonymous: config.allowAnonymous,
        maxPacketBytes: config.mqttMaxPacketBytes,
        connectTimeoutMs: config.mqttConnectTimeoutMs,
        keepaliveLimitS: config.mqttKeepaliveLimitS,
        idleTimeoutMs: config.mqttIdleTimeoutMs,
        redisUrl: config.redisUrl,
      },
    });
    ports = await broker.start().catch((err: unknown) => { throw listenError(err, config); });
  }

  return {
    ingest,
    broker: () => started(broker, 'broker'),
    ports: () => started(ports, 'ports'),
    onAccepted: (listener) => ingest.onAccepted(listener),
    parts: {
      // Its drain commits what was accepted and lets the writers empty the spool while time allows (the rest waits on disk).
      ingest: asPart('ingest', ingest),
      refusals: asPart('refusal summary', refusals),
      broker: { name: 'broker', start: startBroker, drain: () => broker?.drain(), stop: () => broker?.stop() },
    },
  };
}
