import { existsSync } from 'node:fs';
import { join } from 'node:path';
import compression from 'compression';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { AlertEngine, Backtester } from '../alerts/index.js';
import type { Catalog, DeviceSecrets, Logger } from '../core/index.js';
import type { Notifications } from '../notifications/index.js';
import { createNgsiLdApi } from '../ngsi-ld/index.js';
import type { DeadLetterStore, DeviceRegistry, ReadingStore, TokenStore, UserStore } from '../storage/index.js';
import { requireRole, type Authenticate } from './auth.js';
import { ApiDefinition } from './define.js';
import { errorHandler, notFoundRoute } from './errors.js';
import { openApiDocument } from './openapi.js';
import { openApiSchema } from './schemas/index.js';
import { inScope } from './scope.js';
import { CONSOLE_ROUTE, labelRoute, requestMetrics } from './request-metrics.js';
import { alertsRoutes } from './routes/alerts.js';
import { backtestRoutes } from './routes/backtest.js';
import { deadLetterRoutes, type DeadLetterRoutesDeps } from './routes/dead-letters.js';
import { devicesAsSeen, devicesRoutes, type DevicePresence, type DeviceStatusLookup } from './routes/devices.js';
import { exportRoutes } from './routes/export.js';
import { notificationsRoutes } from './routes/notifications.js';
import { rulesRoutes } from './routes/rules.js';
import { createLoginThrottle } from './login-throttle.js';
import { sessionRoutes, signInRoutes } from './routes/session.js';
import { silencesRoutes } from './routes/silences.js';
import { systemRoutes, type SystemDeps } from './routes/system.js';
import { tokensRoutes } from './routes/tokens.js';
import { usersRoutes } from './routes/users.js';

export interface DashboardApiDeps {
  catalog: Catalog;
  registry: DeviceRegistry;
  /** Device secrets' keyed hashing (the installation key). */
  secrets: Pick<DeviceSecrets, 'hash'>;
  tokens: TokenStore;
  /** People who sign in with a password; with `authenticate.sessions`, enables /api/session and /api/users. */
  users?: UserStore;
  deadLetters: DeadLetterStore;
  readings: ReadingStore;
  alerts: AlertEngine;
  /** Contact points, policies and deliveries; absent: those routes are not served. */
  notifications?: Notifications;
  /** Backtests rules over stored history (POST /api/rules/backtest). */
  backtester: Backtester;
  /** Replays chosen dead letters through validation (POST /api/dead-letters/replay). */
  replayDeadLetters: DeadLetterRoutesDeps['replay'];
  /** Resolves and revokes bearer tokens (shared with the Socket.IO side, which ends a revoked token's connections). */
  authenticate: Authenticate;
  presence: DevicePresence;
  /** Device status: status, lastSeen, latest values and clock skew of each device (one owner, src/devices). */
  deviceStatus: DeviceStatusLookup;
  readiness: SystemDeps['readiness'];
  stats: SystemDeps['stats'];
  metrics: Registry;
  log: Logger;
  now?: () => number;
  version?: string;
  /** The built operator console (index.html and assets), served at `/`; absent: no console. */
  consoleDir?: string;
}

// The console is self-contained (no CDN, fonts or tiles): everything from this origin, live updates over ws(s).
const CONSOLE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    // 'self' covers this origin's WebSockets too (CSP Level 3: ws/wss to the page's host and port).
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'self'"],
  },
};

/** The Express application serving /healthz, /readyz, /metrics, /api, /api/openapi.json and the operator console at `/`. */
export function createDashboardApi(deps: DashboardApiDeps): Express {
  const now = deps.now ?? Date.now;
  const definition = new ApiDefinition(deps.authenticate);
  const system = systemRoutes(definition, { ...deps, scoping: { activeAlerts: () => deps.alerts.activeAlerts(), devices: deps.registry, isOnline: (id) => deps.presence.isOnline(id) } });
  const routers = [
    system.api,
    devicesRoutes(definition, { catalog: deps.catalog, registry: deps.registry, secrets: deps.secrets, readings: deps.readings, presence: deps.presence, status: deps.deviceStatus, now }),
    // The caller's scope is applied in one place: exportRoutes' `visible` (export-stream.ts).
    exportRoutes(definition, { catalog: deps.catalog, registry: deps.registry, readings: deps.readings, log: deps.log, now, visible: (principal, device) => inScope(principal?.scope, device) }),
    tokensRoutes(definition, { tokens: deps.tokens, revoke: deps.authenticate.revoke }),
    alertsRoutes(definition, { engine: deps.alerts, now }),
    // Before rulesRoutes' /api/rules/{id}: `backtest` is not a rule id.
    backtestRoutes(definition, { catalog: deps.catalog, engine: deps.alerts, backtester: deps.backtester, now }),
    rulesRoutes(definition, deps.alerts),
    silencesRoutes(definition, { engine: deps.alerts, now, devices: deps.registry }),
    sessionRoutes(definition),
    ...(deps.notifications ? [notificationsRoutes(definition, { notifications: deps.notifications, engine: deps.alerts })] : []),
    deadLetterRoutes(definition, { replay: deps.replayDeadLetters, now }),
  ];
  const { sessions } = deps.authenticate;
  const people = deps.users && sessions ? { users: deps.users, sessions } : undefined;
  if (people) routers.push(usersRoutes(definition, { users: people.users, endUser: deps.authenticate.endUser, log: deps.log }));
  const signIn = people && signInRoutes(definition, { ...people, authenticate: deps.authenticate, throttle: createLoginThrottle(), log: deps.log });
  const docs = definition.router('/api');
  let document: unknown;
  docs.op(
    { method: 'get', path: '/api/openapi.json', tag: 'operations', summary: 'This OpenAPI 3.1 document',
      responses: { 200: { description: 'the document', schema: openApiSchema } } },
    (_req, res) => {
      document ??= openApiDocument(definition.operations, { title: 'citysense API', version: deps.version ?? '0.1.0' });
      res.json(document);
    },
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestMetrics(deps.metrics));
  app.use(helmet({ contentSecurityPolicy: CONSOLE_CSP }));
  // Lists, history and /metrics compress well; small bodies are left alone (compression's 1 KB threshold).
  app.use(compression());
  app.use(system.root);

  const api = express.Router();
  // Sign-in comes before the token gate: its failures are throttled per username, not per address (routes/session.ts).
  if (signIn) {
    api.use('/session', express.json({ limit: '16kb' }));
    api.use(signIn);
  }
  // Repeated authentication failures from one address are throttled, counted with the Socket.IO handshakes' ones.
  api.use(deps.authenticate.gate);
  api.use(express.json({ limit: '1mb' }));
  api.use(docs.router);
  for (const r of routers) api.use(r);
  app.use('/api', api);
  // NGSI-LD (docs/ngsi-ld.md): the same tokens, and the caller's scope through the same inScope, as /api.
  app.use('/ngsi-ld', createNgsiLdApi({
    catalog: deps.catalog, registry: devicesAsSeen(deps.registry, deps.deviceStatus), readings: deps.readings, alerts: deps.alerts, log: deps.log, now,
    guard: [deps.authenticate.gate, requireRole(deps.authenticate, 'viewer')],
    visible: (req, thing) => inScope(req.principal?.scope, thing),
  }));
  if (deps.consoleDir) app.use(consoleFiles(deps.consoleDir));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}

/** The operator console's static files: hashed assets cached for a year, index.html revalidated on every load. */
function consoleFiles(dir: string): express.RequestHandler {
  if (!existsSync(join(dir, 'index.html'))) {
    return (req, res, next) => {
      if (req.method !== 'GET' || req.path !== '/') return next();
      res.status(404).type('text/plain').send(`the operator console is not built (${dir}): run npm run build`);
    };
  }
  return express.static(dir, {
    index: 'index.html',
    setHeaders: (res, path) => {
      labelRoute(res, CONSOLE_ROUTE);
      res.setHeader('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
