import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import cron from 'node-cron';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { alertView, createAlertEngine, createBacktester, transitionView } from '../alerts/index.js';
import { createBroker, MQTT_WS_PATH, type Broker } from '../broker/index.js';
import { ConfigError, createDeviceSecrets, hashToken, loadCatalog, newSecret, type Config, type Logger, type Reading } from '../core/index.js';
import { attachLive, createAuthenticator, createDashboardApi, createSessions, hashPassword, type Live } from '../dashboard-api/index.js';
import { createDeviceStatus } from '../devices/index.js';
import { createIngest } from '../ingest/index.js';
import { createNotifications } from '../notifications/index.js';
import { observeAlerts } from './observe/alerts.js';
import { observeAuthFailures } from './observe/auth.js';
import { timedPublishHandler } from './observe/publish.js';
import { refusalSummary } from './observe/refusals.js';
import { createDeadLetterReplay } from './replay-dead-letters.js';
import { createEventStream } from '../stream/index.js';
import {
  createInfluxReadingStore,
  createSqliteAlertStores,
  createSqliteMetaStores,
  createSqliteNotificationStores,
  createSqlitePositionStore,
  createSqliteReadingStore,
  type ReadingStore,
} from '../storage/index.js';

export interface Started {
  httpPort: number;
  mqttPort: number;
  mqttsPort?: number;
  /** The admin token generated on first start, when ADMIN_TOKEN was unset and no admin existed. */
  generatedAdminToken?: string;
  /** Where the operator console is served, when it is built. */
  consoleUrl?: string;
  /** The admin user created on first start (no user existed yet), with its generated password. */
  generatedAdminUser?: { username: string; password: string };
}

export interface Citysense {
  start(): Promise<Started>;
  /** Graceful stop: no new connections, drain what was accepted, close stores. Resolves within `budgetMs`. */
  stop(budgetMs?: number): Promise<void>;
  /** The parts, for tests and the benchmark. */
  readonly parts: { metrics: Registry; readings: ReadingStore };
}

const DEAD_LETTER_MAX_AGE_MS = 7 * 86_400_000;
const DEAD_LETTER_MAX_ROWS = 100_000;

/** The built operator console (`vite build` → dist/console), whether this file runs from dist/ or from src/ (tsx, ts-jest). */
function builtConsoleDir(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return basename(root) === 'dist' ? join(root, 'console') : join(root, 'dist', 'console');
}

/** Where the operator console is served, for the start-up line (or that it is not built). */
function consoleAt(host: string, httpPort: number): { consoleUrl: string } | { console: string } {
  if (!existsSync(join(builtConsoleDir(), 'index.html'))) return { console: 'not built (npm run build)' };
  // A wildcard address is reached at localhost on this machine; an IPv6 literal goes in brackets.
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : isIPv6(host) ? `[${host}]` : host;
  return { consoleUrl: `http://${name}:${httpPort}/` };
}

/**
 * Runs `step` (reading the configuration, starting the listeners); a ConfigError ends the process with exit
 * status 2 and one line naming the setting, as docs/contract.md section 1 has it, instead of a stack trace.
 */
export async function orExitOnConfigError<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`citysense: configuration error: ${err.message}\n`);
    process.exit(2);
  }
}

/** The composition root: builds every component from the configuration and starts and stops them in order. */
export function createCitysense(config: Config, log: Logger): Citysense {
  for (const key of config.unknownDotenvKeys ?? []) log.warn({ key }, '.env sets a variable citysense does not read (a typo?); it is ignored');
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const catalog = loadCatalog(config.catalogFile);
  const meta = createSqliteMetaStores(config.dataDir, { deadLetterMaxRows: DEAD_LETTER_MAX_ROWS });
  // Made on first start and kept in citysense.db (the shared state), so every node verifies with the same key.
  const secrets = createDeviceSecrets(meta.installation.deviceSecretKey());
  const sqliteReadings = config.influx ? undefined : createSqliteReadingStore({ file: join(config.dataDir, 'readings.db'), log });
  const readings: ReadingStore = sqliteReadings ?? createInfluxReadingStore({ ...config.influx!, log });
  // What the operators see (logs at info, /metrics) is wired here, at the rooms' doors: listeners and wrappers.
  const refusals = refusalSummary(() => ingest.stats().refused, log);
  const onAuthFailure = observeAuthFailures(log, metrics);
  const alertStores = createSqliteAlertStores(meta.db);
  // The event stream (NATS_URL): a second sink of the spool, and a publisher of alert transitions from the store.
  const stream = config.natsUrl
    ? createEventStream({
      url: config.natsUrl, catalog, log, metrics,
      districtOf: (id) => meta.devices.get(id)?.district ?? null,
      alerts: alertStores.alerts,
      positions: createSqlitePositionStore(meta.db),
      alertBody: (e) => ({ transition: transitionView(e), alert: alertView(e.alert) }),
    })
    : undefined;
  const ingest = createIngest({
    catalog, store: readings, deadLetters: refusals.wrap(meta.deadLetters), log, metrics, dataDir: config.dataDir, spoolMaxBytes: config.spoolMaxBytes,
    // InfluxDB answers over HTTP: several requests in flight keep it busy while the event loop is (BENCHMARKS.md).
    writeConcurrency: readings.kind === 'influxdb' ? 4 : 1,
    // A light load's group commits gathered into fewer, larger store writes (BENCHMARKS.md).
    writeLingerMs: 100,
    sinks: stream ? [stream.readingSink] : [],
  });

  // lastSeen, latest values, goodbyes, clock skew, stale and status events: one owner, which the others ask.
  const status = createDeviceStatus({
    catalog, registry: meta.devices, log, graceMs: config.alertStaleGraceMs, checkSchedule: config.alertSweepSchedule,
  });
  const alerts = createAlertEngine({
    catalog, store: alertStores, devices: meta.devices, status, log, metrics, sweepSchedule: config.alertSweepSchedule,
  });
  const evaluate = observeAlerts(alerts, log, metrics);
  let listeningUrl = `http://localhost:${config.httpPort}`;
  const notifications = createNotifications({
    stores: createSqliteNotificationStores(meta.db), catalog, log, metrics,
    alert: (id) => alerts.getAlert(id), ruleExists: (id) => alerts.getRule(id) !== undefined, alertView,
    publicUrl: () => config.publicUrl ?? listeningUrl, smtpUrl: config.smtpUrl, smtpFrom: config.smtpFrom,
  });
  // A transition's notifications are written in the transition's own transaction (docs/architecture.md, Notifications).
  alertStores.alerts.setRecordHook(notifications.recordHook);
  const sessions = createSessions({ users: meta.users, sessions: meta.sessions, idleMs: config.sessionIdleMs });
  const authenticate = createAuthenticator(meta.tokens, config.adminToken, { onFailure: onAuthFailure, sessions });
  let live: Live | undefined;

  ingest.onAccepted((batch: readonly Reading[]) => {
    status.record(batch);
    evaluate(batch);
    live?.readings(batch);
  });

  /** A listener that cannot start because of a setting (an unknown HOST, a port in use) names that setting. */
  function listenError(err: unknown): unknown {
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EADDRNOTAVAIL') {
      return new ConfigError('HOST', `cannot listen on ${config.host} (${e.code})`);
    }
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      const variable = e.port === config.mqttPort ? 'MQTT_PORT' : e.port === config.mqtts?.port ? 'MQTTS_PORT' : 'HTTP_PORT';
      return new ConfigError(variable, `cannot listen on ${config.host}:${e.port} (${e.code === 'EACCES' ? 'not permitted' : 'already in use'})`);
    }
    return err;
  }

  let broker: Broker | undefined;
  let server: Server | undefined;
  let retentionTask: ReturnType<typeof cron.schedule> | undefined;

  async function start(): Promise<Started> {
    await readings.start();
    await status.start();
    await alerts.start();
    stream?.start();
    await ingest.start();
    refusals.start();
    broker = await createBroker({
      registry: meta.devices,
      secrets,
      catalog,
      log,
      metrics,
      handler: timedPublishHandler(ingest, metrics),
      onPresence: (e) => status.connection(e),
      onStatus: (e) => status.said(e),
      onAuthFailure,
      options: {
        host: config.host,
        mqttPort: config.mqttPort,
        mqtts: config.mqtts,
        allowAnonymous: config.allowAnonymous,
        maxPacketBytes: config.mqttMaxPacketBytes,
        connectTimeoutMs: config.mqttConnectTimeoutMs,
        keepaliveLimitS: config.mqttKeepaliveLimitS,
        idleTimeoutMs: config.mqttIdleTimeoutMs,
      },
    });
    const ports = await broker.start().catch((err: unknown) => { throw listenError(err); });
    const b = broker;
    const api = createDashboardApi({
      catalog,
      registry: meta.devices,
      secrets,
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
        isOnline: (id) => b.isOnline(id),
        disconnect: (id) => void b.disconnect(id),
        // A new device may get this id: its seqs and clock are its own.
        forget: (id) => {
          ingest.forget(id);
          status.forget(id);
        },
      },
      deviceStatus: status,
      readiness: {
        notReady: () => [
          ...(b.ready() ? [] : ['broker']),
          ...(ingest.ready() ? [] : ['storage']),
          ...(alerts.ready() ? [] : ['alerts']),
        ],
        // What each sink of the spool has still to deliver: a stream behind (NATS down) does not make the node unready.
        sinks: () => Object.fromEntries(ingest.stats().sinks.map((k) => [k.name, { lag: k.lag, up: k.up }])),
      },
      stats: () => {
        const s = ingest.stats();
        return {
          connectedDevices: b.connectedDevices(),
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
    server = createServer(api);
    broker.attachWebSocket(server);
    live = attachLive(server, { alerts, authenticate, devices: meta.devices, log, metrics });
    const l = live;
    status.onStatus((e) => l.deviceStatus(e.deviceId, e.status, e.lastSeen));
    // An upgrade for neither MQTT over WebSocket nor Socket.IO is answered and closed: left alone, each such
    // request would hold a connection (a file descriptor) open for good.
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      const path = (req.url ?? '').split('?', 1)[0]!;
      if (path === MQTT_WS_PATH || path.startsWith('/socket.io/')) return;
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    alerts.onTransition(() => stream?.wakeAlerts());
    const srv = server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (err) => reject(listenError(err)));
      srv.listen(config.httpPort, config.host, () => resolve());
    });
    const httpPort = (srv.address() as AddressInfo).port;
    listeningUrl = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${httpPort}`;
    notifications.start();

    let generatedAdminToken: string | undefined;
    if (!config.adminToken && meta.tokens.countByRole('admin') === 0) {
      generatedAdminToken = newSecret();
      meta.tokens.create('first-start admin', 'admin', hashToken(generatedAdminToken));
    }
    // People sign in too: the first start creates an admin user, as it creates an admin token.
    let generatedAdminUser: Started['generatedAdminUser'];
    if (meta.users.count() === 0) {
      generatedAdminUser = { username: 'admin', password: newSecret(15) };
      meta.users.create({ username: 'admin', name: 'Administrator', role: 'admin' }, await hashPassword(generatedAdminUser.password));
      log.info({ username: 'admin' }, 'first start: admin user created (its password is printed once on stdout)');
    }

    retentionTask = cron.schedule('17 3 * * *', () => {
      const purgedReadings = sqliteReadings?.purgeOlderThan(Date.now() - config.retentionMs) ?? 0;
      const purgedLetters = meta.deadLetters.purge(Date.now() - DEAD_LETTER_MAX_AGE_MS, DEAD_LETTER_MAX_ROWS);
      log.info({ purgedReadings, purgedLetters }, 'retention purge done');
    });
    const scrypt = meta.devices.secretSchemes().scrypt ?? 0;
    if (scrypt > 0) log.info({ devices: scrypt }, `device secrets: ${scrypt} still stored as scrypt hashes by an earlier version (each costs scrypt once, at its next good login, and is then stored keyed)`);
    const where = consoleAt(config.host, httpPort);
    log.info({ httpPort, mqttPort: ports.mqttPort, mqttsPort: ports.mqttsPort, store: readings.kind, dataDir: config.dataDir, stream: config.natsUrl ?? 'off', ...where }, 'citysense started');
    return { httpPort, mqttPort: ports.mqttPort, mqttsPort: ports.mqttsPort, generatedAdminToken, generatedAdminUser, ...('consoleUrl' in where ? { consoleUrl: where.consoleUrl } : {}) };
  }

  async function stop(budgetMs = 8000): Promise<void> {
    const deadline = Date.now() + budgetMs;
    await retentionTask?.destroy();
    // 1. No new connections or requests.
    await broker?.stopAccepting();
    server?.close();
    await live?.close();
    // 2. Commit what was accepted; let the writer empty the spool while time allows (the rest waits on disk).
    await ingest.drain(deadline - 1000);
    // 3. Close connections and stores.
    await broker?.close();
    server?.closeAllConnections();
    await ingest.close();
    await status.stop(); // lastSeen, latest values and goodbyes still gathered
    refusals.stop(); // the last minute's refusals
    await stream?.close();
    await alerts.stop();
    await notifications.stop(Math.max(0, deadline - Date.now()));
    await readings.close();
    meta.close();
    log.info('citysense stopped');
  }

  return { start, stop, parts: { metrics, readings } };
}
