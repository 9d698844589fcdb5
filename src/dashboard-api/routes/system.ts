import type { Registry } from 'prom-client';
import { z } from 'zod';
import { REFUSAL_REASONS, type Catalog } from '../../core/index.js';
import type { DeadLetterStore } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';
import { catalogSchema, deadLetterSchema, healthSchema, page, readySchema, statsSchema } from '../schemas.js';

export interface Readiness {
  /** Names of the parts that are not ready (empty: all ready). */
  notReady(): string[];
  /** Per sink of the spool (the store, the event stream …), readings it has still to deliver and whether its last write succeeded. */
  sinks?(): Record<string, { lag: number; up: boolean }>;
}

export interface SystemDeps {
  catalog: Catalog;
  deadLetters: DeadLetterStore;
  metrics: Registry;
  readiness: Readiness;
  stats: () => z.input<typeof statsSchema>;
}

export const deadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  reason: z.enum(REFUSAL_REASONS).optional(),
  cursor: z.coerce.number().int().positive().optional(),
});

/** Health, readiness and metrics (no auth), catalog, stats and dead letters. */
export function systemRoutes(api: ApiDefinition, deps: SystemDeps) {
  const root = api.router('');
  root.op(
    { method: 'get', path: '/healthz', tag: 'operations', summary: 'Liveness: 200 while the process serves',
      responses: { 200: { description: 'serving', schema: healthSchema } } },
    (_req, res) => {
      res.json({ status: 'ok' });
    },
  );
  root.op(
    { method: 'get', path: '/readyz', tag: 'operations', summary: 'Readiness of broker, storage and alert engine',
      responses: { 200: { description: 'ready', schema: readySchema }, 503: { description: 'not ready; names what is not', schema: readySchema } } },
    (_req, res) => {
      const notReady = deps.readiness.notReady();
      const sinks = deps.readiness.sinks?.();
      res.status(notReady.length ? 503 : 200).json({ ...(notReady.length ? { status: 'not_ready', notReady } : { status: 'ready' }), ...(sinks ? { sinks } : {}) });
    },
  );
  root.op(
    { method: 'get', path: '/metrics', tag: 'operations', summary: 'Prometheus metrics',
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } } },
    async (_req, res) => {
      res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
    },
  );

  const { router, op } = api.router('/api');
  op(
    { method: 'get', path: '/api/catalog', tag: 'catalog', summary: 'The sensor catalog: domains, types, metrics, units, ranges, intervals', role: 'viewer',
      responses: { 200: { description: 'the catalog', schema: catalogSchema } } },
    (_req, res) => {
      res.json(deps.catalog.toJSON());
    },
  );
  op(
    { method: 'get', path: '/api/stats', tag: 'operations', summary: 'Counters: devices, readings, spool, alerts', role: 'viewer',
      responses: { 200: { description: 'current counters', schema: statsSchema } } },
    (_req, res) => {
      res.json(deps.stats());
    },
  );
  op(
    { method: 'get', path: '/api/dead-letters', tag: 'operations', summary: 'Refused messages, newest first', role: 'admin', query: deadLetterQuery,
      responses: { 200: { description: 'a page of dead letters', schema: page(deadLetterSchema) } } },
    (_req, res, { query: q }) => {
      const rows = deps.deadLetters.list({ limit: q.limit + 1, reason: q.reason, before: q.cursor });
      const more = rows.length > q.limit;
      const items = rows.slice(0, q.limit).map((d) => ({ ...d, receivedAt: new Date(d.receivedAt).toISOString() }));
      res.json(more ? { items, nextCursor: String(items[items.length - 1]!.id) } : { items });
    },
  );
  return { root: root.router, api: router };
}
