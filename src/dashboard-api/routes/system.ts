import { Router } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { REFUSAL_REASONS, type Catalog } from '../../core/index.js';
import type { DeadLetterStore } from '../../storage/index.js';
import { requireRole, type Authenticate } from '../auth.js';
import { query } from '../validate.js';

export interface Readiness {
  /** Names of the parts that are not ready (empty: all ready). */
  notReady(): string[];
}

export interface SystemDeps {
  catalog: Catalog;
  deadLetters: DeadLetterStore;
  metrics: Registry;
  readiness: Readiness;
  stats: () => Record<string, unknown>;
  authenticate: Authenticate;
}

const deadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  reason: z.enum(REFUSAL_REASONS).optional(),
  cursor: z.coerce.number().int().positive().optional(),
});

/** Health, readiness and metrics (no auth), catalog, stats and dead letters. */
export function systemRouters(deps: SystemDeps): { root: Router; api: Router } {
  const root = Router();
  root.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  root.get('/readyz', (_req, res) => {
    const notReady = deps.readiness.notReady();
    res.status(notReady.length ? 503 : 200).json(notReady.length ? { status: 'not_ready', notReady } : { status: 'ready' });
  });
  root.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  const api = Router();
  api.get('/catalog', requireRole(deps.authenticate, 'viewer'), (_req, res) => {
    res.json(deps.catalog.toJSON());
  });
  api.get('/stats', requireRole(deps.authenticate, 'viewer'), (_req, res) => {
    res.json(deps.stats());
  });
  api.get('/dead-letters', requireRole(deps.authenticate, 'admin'), (req, res) => {
    const q = query(req, deadLetterQuery);
    const rows = deps.deadLetters.list({ limit: q.limit + 1, reason: q.reason, before: q.cursor });
    const more = rows.length > q.limit;
    const items = rows.slice(0, q.limit).map((d) => ({ ...d, receivedAt: new Date(d.receivedAt).toISOString() }));
    res.json(more ? { items, nextCursor: String(items[items.length - 1]!.id) } : { items });
  });
  return { root, api };
}
