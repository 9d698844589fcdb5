import express, { type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { AlertEngine } from '../alerts/index.js';
import type { Catalog, Logger } from '../core/index.js';
import type { DeadLetterStore, DeviceRegistry, ReadingStore, TokenStore } from '../storage/index.js';
import type { Authenticate } from './auth.js';
import { errorBody, errorHandler, notFoundRoute } from './errors.js';
import { alertsRouter } from './routes/alerts.js';
import { devicesRouter, type DevicePresence } from './routes/devices.js';
import { rulesRouter } from './routes/rules.js';
import { silencesRouter } from './routes/silences.js';
import { systemRouters, type Readiness } from './routes/system.js';
import { tokensRouter } from './routes/tokens.js';

export interface DashboardApiDeps {
  catalog: Catalog;
  registry: DeviceRegistry;
  tokens: TokenStore;
  deadLetters: DeadLetterStore;
  readings: ReadingStore;
  alerts: AlertEngine;
  /** Resolves bearer tokens (shared with the Socket.IO side). */
  authenticate: Authenticate;
  presence: DevicePresence;
  readiness: Readiness;
  stats: () => Record<string, unknown>;
  metrics: Registry;
  log: Logger;
  now?: () => number;
  /** Failed authentications allowed per client address per minute before 429 (default 30). */
  authFailuresPerMinute?: number;
}

/** The Express application serving /healthz, /readyz, /metrics and /api. */
export function createDashboardApi(deps: DashboardApiDeps): Express {
  const now = deps.now ?? Date.now;
  const { authenticate } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet({ contentSecurityPolicy: false }));

  const system = systemRouters({ ...deps, authenticate });
  app.use(system.root);

  // Repeated authentication failures from one address are throttled; successful requests do not count.
  const authThrottle = rateLimit({
    windowMs: 60_000,
    limit: deps.authFailuresPerMinute ?? 30,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(errorBody('too_many_requests', 'too many failed authentications from this address; retry after a minute'));
    },
  });
  const api = express.Router();
  api.use(authThrottle);
  api.use(express.json({ limit: '1mb' }));
  api.use(system.api);
  api.use(devicesRouter({ catalog: deps.catalog, registry: deps.registry, readings: deps.readings, presence: deps.presence, authenticate, now }));
  api.use(tokensRouter(deps.tokens, authenticate));
  api.use(alertsRouter({ engine: deps.alerts, authenticate, now }));
  api.use(rulesRouter({ engine: deps.alerts, authenticate }));
  api.use(silencesRouter({ engine: deps.alerts, authenticate, now }));
  app.use('/api', api);

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
