import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError, loadCatalog, type Config, type Logger } from '../core/index.js';
import { createAuthenticator, createSessions } from '../dashboard-api/index.js';
import { createDeviceStatus } from '../devices/index.js';
import { createAlerting } from './alerting.js';
import { consoleAt } from './console-dir.js';
import { firstStart, type FirstStart } from './first-start.js';
import { createHttp } from './http.js';
import { createIntake } from './intake.js';
import { asPart, startParts, stopParts, type Part } from './lifecycle.js';
import { observeAuthFailures } from './observe/auth.js';
import { retentionPart } from './retention.js';
import { openStores } from './stores.js';
import type { ReadingStore } from '../storage/index.js';

export interface Started extends FirstStart {
  httpPort: number;
  mqttPort: number;
  mqttsPort?: number;
  /** Where the operator console is served, when it is built. */
  consoleUrl?: string;
}

export interface Citysense {
  start(): Promise<Started>;
  /** Graceful stop: no new connections, drain what was accepted, close stores. Resolves within `budgetMs`. */
  stop(budgetMs?: number): Promise<void>;
  /** The parts, for tests and the benchmark. */
  readonly parts: { metrics: Registry; readings: ReadingStore };
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

/**
 * The composition root: builds every part from the configuration, starts them in order and stops them in reverse
 * (lifecycle.ts). Where one room must call another, a function or a small interface is passed in here.
 */
export function createCitysense(config: Config, log: Logger): Citysense {
  for (const key of config.unknownDotenvKeys ?? []) log.warn({ key }, '.env sets a variable citysense does not read (a typo?); it is ignored');
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const catalog = loadCatalog(config.catalogFile);
  const stores = openStores(config, log);
  // What the operators see (logs at info, /metrics) is wired at the rooms' doors: listeners and wrappers (observe/).
  const onAuthFailure = observeAuthFailures(log, metrics);
  // lastSeen, latest values, goodbyes, clock skew, stale and status events: one owner, which the others ask.
  const status = createDeviceStatus({
    catalog, registry: stores.meta.devices, log, graceMs: config.alertStaleGraceMs, checkSchedule: config.alertSweepSchedule,
  });
  const alerting = createAlerting({ config, catalog, stores, status, log, metrics, listeningUrl: () => http.url() });
  const intake = createIntake({
    config, catalog, stores, status, sinks: alerting.stream ? [alerting.stream.readingSink] : [], onAuthFailure, log, metrics,
  });
  const sessions = createSessions({ users: stores.meta.users, sessions: stores.meta.sessions, idleMs: config.sessionIdleMs });
  const authenticate = createAuthenticator(stores.meta.tokens, config.adminToken, { onFailure: onAuthFailure, sessions });
  const http = createHttp({ config, catalog, stores, intake, alerting, status, authenticate, log, metrics });
  intake.onAccepted((batch) => {
    status.record(batch);
    alerting.evaluate(batch);
    http.live()?.readings(batch);
  });

  // Started in this order, stopped in reverse: each part needs only the ones before it.
  const parts: Part[] = [
    stores.part,
    asPart('device status', status),
    alerting.parts.alerts,
    ...(alerting.parts.stream ? [alerting.parts.stream] : []), // connects in the background: start-up does not wait for NATS
    intake.parts.ingest,
    intake.parts.refusals,
    intake.parts.broker,
    http.part,
    alerting.parts.notifications, // its links name the address listened on
    retentionPart(config, stores, log),
  ];

  async function start(): Promise<Started> {
    await startParts(parts, log);
    const made = await firstStart(config, stores.meta, log);
    const { mqttPort, mqttsPort } = intake.ports();
    const httpPort = http.port();
    const where = consoleAt(config.host, httpPort);
    log.info({ httpPort, mqttPort, mqttsPort, store: stores.readings.kind, dataDir: config.dataDir, stream: config.natsUrl ?? 'off', ...where }, 'citysense started');
    return { httpPort, mqttPort, mqttsPort, ...made, ...('consoleUrl' in where ? { consoleUrl: where.consoleUrl } : {}) };
  }

  async function stop(budgetMs = 8000): Promise<void> {
    await stopParts(parts, Date.now() + budgetMs, log);
    log.info('citysense stopped');
  }

  return { start, stop, parts: { metrics, readings: stores.readings } };
}
