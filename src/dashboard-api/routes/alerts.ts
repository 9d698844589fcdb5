import type { Request } from 'express';
import { AppError, notFound } from '../../core/index.js';
import { alertView, transitionView, type AlertEngine, type AlertState } from '../../alerts/index.js';
import { creditOf } from '../auth.js';
import type { ApiDefinition } from '../define.js';
import { alertListQuery, alertNoteSchema, alertSchema, alertWithTransitionsSchema, page } from '../schemas/index.js';
import { inScope, scopedPage } from '../scope.js';
import { parseTime } from '../time.js';

export interface AlertsDeps {
  engine: AlertEngine;
  now: () => number;
}

/** Alerts: list with filters and cursor paging, one with its transitions, ack and resolve. */
export function alertsRoutes(api: ApiDefinition, deps: AlertsDeps) {
  const { engine, now } = deps;
  const { router, op } = api.router('/api');

  const alertId = (raw: unknown): number => {
    const text = String(raw);
    if (!/^[1-9]\d{0,15}$/.test(text)) throw notFound(`alert ${text}`);
    return Number(text);
  };
  // An alert outside the caller's scope is not found: a scoped operator cannot learn that it exists, nor act on it.
  const scopedId = (raw: unknown, req: Request): number => {
    const id = alertId(raw);
    const scope = req.principal?.scope;
    if (scope) {
      const a = engine.getAlert(id);
      if (!a || !inScope(scope, a)) throw notFound(`alert ${id}`);
    }
    return id;
  };
  const time = (text: string | undefined, field: string): number | undefined => {
    if (text === undefined) return undefined;
    const t = parseTime(text, now());
    if (t === undefined) throw new AppError('bad_request', `query ${field}: use RFC 3339 (2026-01-31T12:00:00Z), now, or a relative time like -1h`);
    return t;
  };

  op(
    { method: 'get', path: '/api/alerts', tag: 'alerts', summary: 'List alerts, newest first', role: 'viewer', query: alertListQuery,
      description: '`state` takes one or several comma-separated states; `active` means not resolved. `from`/`to` bound firedAt.',
      responses: { 200: { description: 'a page of alerts', schema: page(alertSchema) } } },
    (req, res, { query: q }) => {
      const states = q.state ? [...new Set(q.state.flatMap((s): AlertState[] => (s === 'active' ? ['firing', 'acknowledged'] : [s])))] : undefined;
      const from = time(q.from, 'from');
      const to = time(q.to, 'to');
      if (from !== undefined && to !== undefined && from >= to) throw new AppError('bad_request', 'query from must be before to');
      const scope = req.principal?.scope;
      const fetch = (cursor: number | undefined, limit: number) =>
        engine.listAlerts({ states, severity: q.severity, domain: q.domain, deviceId: q.deviceId, from, to, limit, before: cursor });
      const start = q.cursor !== undefined ? Number(q.cursor) : undefined;
      const result = scope ? scopedPage(fetch, (a) => inScope(scope, a), q.limit, (a) => a.id, start) : fetch(start, q.limit);
      const items = result.items.map(alertView);
      res.json(result.nextCursor !== undefined ? { items, nextCursor: String(result.nextCursor) } : { items });
    },
  );

  op(
    { method: 'get', path: '/api/alerts/{id}', tag: 'alerts', summary: 'One alert with its transitions', role: 'viewer',
      responses: { 200: { description: 'the alert', schema: alertWithTransitionsSchema } }, errors: [404] },
    (req, res, { params }) => {
      const id = alertId(params.id);
      const a = engine.getAlert(id);
      if (!a || !inScope(req.principal?.scope, a)) throw notFound(`alert ${id}`);
      res.json({ ...alertView(a), transitions: a.transitions.map(transitionView) });
    },
  );

  op(
    { method: 'post', path: '/api/alerts/{id}/ack', tag: 'alerts', summary: 'Acknowledge an alert', role: 'operator', body: alertNoteSchema,
      responses: { 200: { description: 'the alert, now acknowledged', schema: alertSchema } }, errors: [404, 409] },
    (req, res, { params, body }) => {
      res.json(alertView(engine.ack(scopedId(params.id, req), creditOf(req.principal!), body.note)));
    },
  );

  op(
    { method: 'post', path: '/api/alerts/{id}/resolve', tag: 'alerts', summary: 'Resolve an alert by hand', role: 'operator', body: alertNoteSchema,
      responses: { 200: { description: 'the alert, now resolved', schema: alertSchema } }, errors: [404, 409] },
    (req, res, { params, body }) => {
      res.json(alertView(engine.resolve(scopedId(params.id, req), creditOf(req.principal!), body.note)));
    },
  );

  return router;
}
