import { Router } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../../core/index.js';
import { ALERT_STATES, SEVERITIES, alertView, transitionView, type AlertEngine, type AlertState } from '../../alerts/index.js';
import { requireRole, type Authenticate } from '../auth.js';
import { parseTime } from '../time.js';
import { body, query } from '../validate.js';

export interface AlertsDeps {
  engine: AlertEngine;
  authenticate: Authenticate;
  now: () => number;
}

const STATE_FILTERS = [...ALERT_STATES, 'active'] as const;

const listSchema = z.object({
  // One state or several, comma-separated: `state=firing,acknowledged`.
  state: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(STATE_FILTERS, { message: `each must be one of ${STATE_FILTERS.join(', ')}` })))
    .optional(),
  severity: z.enum(SEVERITIES).optional(),
  domain: z.string().min(1).optional(),
  deviceId: z.string().min(1).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(/^[1-9]\d{0,15}$/, 'must be the nextCursor of a previous page').optional(),
});

const noteSchema = z.strictObject({ note: z.string().trim().min(1).max(1000).optional() });

/** Alerts: list with filters and cursor paging, one with its transitions, ack and resolve. */
export function alertsRouter(deps: AlertsDeps): Router {
  const { engine, authenticate, now } = deps;
  const router = Router();
  const viewer = requireRole(authenticate, 'viewer');
  const operator = requireRole(authenticate, 'operator');

  const alertId = (raw: unknown): number => {
    const text = String(raw);
    if (!/^[1-9]\d{0,15}$/.test(text)) throw notFound(`alert ${text}`);
    return Number(text);
  };
  const time = (text: string | undefined, field: string): number | undefined => {
    if (text === undefined) return undefined;
    const t = parseTime(text, now());
    if (t === undefined) throw new AppError('bad_request', `query ${field}: use RFC 3339 (2026-01-31T12:00:00Z), now, or a relative time like -1h`);
    return t;
  };

  router.get('/alerts', viewer, (req, res) => {
    const q = query(req, listSchema);
    const states = q.state ? [...new Set(q.state.flatMap((s): AlertState[] => (s === 'active' ? ['firing', 'acknowledged'] : [s])))] : undefined;
    const from = time(q.from, 'from');
    const to = time(q.to, 'to');
    if (from !== undefined && to !== undefined && from >= to) throw new AppError('bad_request', 'query from must be before to');
    const page = engine.listAlerts({
      states, severity: q.severity, domain: q.domain, deviceId: q.deviceId, from, to, limit: q.limit,
      cursor: q.cursor !== undefined ? Number(q.cursor) : undefined,
    });
    const items = page.items.map(alertView);
    res.json(page.nextCursor !== undefined ? { items, nextCursor: String(page.nextCursor) } : { items });
  });

  router.get('/alerts/:id', viewer, (req, res) => {
    const id = alertId(req.params.id);
    const a = engine.getAlert(id);
    if (!a) throw notFound(`alert ${id}`);
    res.json({ ...alertView(a), transitions: a.transitions.map(transitionView) });
  });

  router.post('/alerts/:id/ack', operator, (req, res) => {
    const id = alertId(req.params.id);
    const { note } = body(req, noteSchema);
    res.json(alertView(engine.ack(id, req.principal!.name, note)));
  });

  router.post('/alerts/:id/resolve', operator, (req, res) => {
    const id = alertId(req.params.id);
    const { note } = body(req, noteSchema);
    res.json(alertView(engine.resolve(id, req.principal!.name, note)));
  });

  return router;
}
