import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { createBacktester } from '../alerts/index.js';
import { MQTT_WS_PATH } from '../broker/index.js';
import type { Catalog, Config, Logger } from '../core/index.js';
import { attachLive, createDashboardApi, type Authenticate, type Live } from '../dashboard-api/index.js';
import type { DeviceStatusTracker } from '../devices/index.js';
import type { Alerting } from './alerting.js';
import { builtConsoleDir } from './console-dir.js';
import type { Intake } from './intake.js';
import { listenError } from './listen-errors.js';
import type { Part } from './lifecycle.js';
import { createDeadLetterReplay } from './replay-dead-letters.js';
import type { Stores } from './stores.js';

export interface HttpDeps {
  config: Config;
  catalog: Catalog;
  stores: Stores;
  intake: Intake;
  alerting: Alerting;
  status: DeviceStatusTracker;
  authenticate: Authenticate;
  log: Logger;
  metrics: Registry;
}

/** The HTTP server: REST API, the console's files, MQTT over WebSocket and Socket.IO, on one port. */
export interface Http {
  part: Part;
  /** Socket.IO, once started. */
  live(): Live | undefined;
  /** The port listened on, once started. */
  port(): number;
  /** `http://host:port` as listened on (localhost for a wildcard address); before start, as configured. */
  url(): string;
}

export function createHttp(deps: HttpDeps): Http {
  const { config, catalog, stores, intake, alerting, status, authenticate, log, metrics } = deps;
  const { meta, readings } = stores;
  const { alerts, notifications } = alerting;
  let server: Server | undefined;
  let live: Live | undefined;
  let port = config.httpPort;

  function api(): ReturnType<typeof createDashboardApi> {
    const broker = intake.broker();
    const ingest = intake.ingest;
    return createDashboardApi({
      catalog,
      registry: meta.devices,
      secrets: stores.secrets,
      tokens: meta.tokens,
      users: meta.users,
      deadLetters: meta.deadLetters,
      readings,
      alerts,
      notifications,
      replayDeadLetters: createDeadLetterReplay({ deadLetters: meta.deadLetters, registry: meta.devices, ingest, log }),
      backtester: createBacktester({ catalog, readings, devices: meta.devices, maxReadings: config.backtestMaxReadings }),
      authenticate,
      presence: {
        isOnline: (id) => broker.isOnline(id),
        disconnect: (id) => void broker.disconnect(id),
        // A new device may get this id: its seqs, its clock, its status and its alert state are its own. The alert
        // engine resolves the deleted device's open alerts now, not at its next sweep.
        forget: (id) => {
          ingest.forget(id);
          status.forget(id);
          alerts.deviceDeleted(id);
        },
      },
      deviceStatus: status,
      readiness: {
        notReady: () => [
          ...(broker.ready() ? [] : ['broker']),
          ...(ingest.ready() ? [] : ['storage']),
          ...(alerts.ready() ? [] : ['alerts']),
        ],
        // What each sink of the spool has still to deliver: a stream behind (NATS down) does not make the node unready.
        sinks: () => Object.fromEntries(ingest.stats().sinks.map((k) => [k.name, { lag: k.lag, up: k.up }])),
      },
      stats: () => {
        const s = ingest.stats();
        return {
          connectedDevices: broker.connectedDevices(),
          readings: { accepted: s.accepted, refused: s.refused, stored: s.stored },
          spool: { backlog: s.spoolDepth, bytes: s.spoolBytes, oldestAgeMs: s.oldestAgeMs },
          store: { kind: readings.kind, up: s.storeUp },
          activeAlerts: alerts.activeAlerts().length,
        };
      },
      metrics,
      log,
      consoleDir: builtConsoleDir(),
    });
  }

  async function start(): Promise<void> {
    const srv = (server = createServer(api()));
    intake.broker().attachWebSocket(srv);
    const l = (live = attachLive(srv, { alerts, authenticate, devices: meta.devices, log, metrics }));
    status.onStatus((e) => l.deviceStatus(e.deviceId, e.status, e.lastSeen));
    // An upgrade for neither MQTT over WebSocket nor Socket.IO is answered and closed: left alone, each such
    // request would hold a connection (a file descriptor) open for good.
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      const path = (req.url ?? '').split('?', 1)[0]!;
      if (path === MQTT_WS_PATH || path.startsWith('/socket.io/')) return;
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (err) => reject(listenError(err, config)));
        srv.listen(config.httpPort, config.host, () => resolve());
      });
    } catch (err) {
      await l.stop();
      throw err;
    }
    port = (srv.address() as AddressInfo).port;
  }

  return {
    part: {
      name: 'http',
      start,
      // No new requests or Socket.IO clients; requests in flight go on while ingest drains.
      async drain() {
        server?.close();
        await live?.stop();
      },
      stop: () => server?.closeAllConnections(),
    },
    live: () => live,
    port: () => port,
    url: () => `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`,
  };
}
