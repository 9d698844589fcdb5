import type { Registry } from 'prom-client';
import type { Catalog } from '../../core/index.js';
import type { DeadLetterStore } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';
import { catalogSchema, deadLetterQuery, deadLetterSchema, healthSchema, page, readySchema, statsSchema, type Catalog as CatalogBody, type Ready, type Stats } from '../schemas/index.js';
import { inScope, scopedPage } from '../scope.js';
import { scopedStats, type StatsScoping } from '../scoped-stats.js';

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
  stats: () => Stats;
  /** For scoped callers: active alerts, devices and presence (their stats), device lookup (their dead letters). */
  scoping?: StatsScoping;
}

const firstKiB = (payload: string) => (payload.length <= 256 ? payload : Buffer.from(payload).subarray(0, 1024).toString('utf8'));

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
      res.status(notReady.length ? 503 : 200).json({ ...(notReady.length ? { status: 'not_ready', notReady } : { status: 'ready' }), ...(sinks ? { sinks } : {}) } satisfies Ready);
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
      res.json(deps.catalog.toJSON() satisfies CatalogBody);
    },
  );
  op(
    { method: 'get', path: '/api/stats', tag: 'operations', summary: 'Counters: devices, readings, spool, alerts', role: 'viewer',
      description: 'A scoped caller gets only what its scope holds: its connected devices and active alerts (and the store\'s health); the platform-wide readings counters and spool are left out.',
      responses: { 200: { description: 'current counters', schema: statsSchema } } },
    (req, res) => {
      const scope = req.principal?.scope;
      const stats = deps.stats();
      res.json(scope && deps.scoping ? scopedStats(stats, scope, deps.scoping) : stats);
    },
  );
  op(
    { method: 'get', path: '/api/dead-letters', tag: 'operations', summary: 'Refused messages, newest first', role: 'admin', query: deadLetterQuery,
      responses: { 200: { description: 'a page of dead letters', schema: page(deadLetterSchema) } } },
    (req, res, { query: q }) => {
      const fetch = (before: number | undefined, limit: number) => {
        const rows = deps.deadLetters.list({ limit: limit + 1, reason: q.reason, before });
        const shown = rows.slice(0, limit);
        return { items: shown, ...(rows.length > limit ? { nextCursor: shown[shown.length - 1]!.id } : {}) };
      };
      const scope = req.principal?.scope;
      // A scoped caller sees the letters of its own devices only (not those of unknown or anonymous senders).
      const inside = (id: string | null | undefined) => {
        const d = id ? deps.scoping?.devices.get(id) : undefined;
        return d !== undefined && inScope(scope, d);
      };
      const found = scope ? scopedPage(fetch, (d) => inside(d.deviceId), q.limit, (d) => d.id, q.cursor) : fetch(q.cursor, q.limit);
      // The list shows the first 1 KiB of each payload (docs/contract.md 3); the whole one is kept for a replay.
      const items = found.items.map((d) => ({ ...d, receivedAt: new Date(d.receivedAt).toISOString(), payload: firstKiB(d.payload) }));
      res.json(found.nextCursor !== undefined ? { items, nextCursor: String(found.nextCursor) } : { items });
    },
  );
  return { root: root.router, api: router };
}
