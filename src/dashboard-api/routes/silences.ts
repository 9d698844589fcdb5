import { Router } from 'express';
import { z } from 'zod';
import { AppError, notFound, parseDuration } from '../../core/index.js';
import { silenceView, type AlertEngine } from '../../alerts/index.js';
import { requireRole, type Authenticate } from '../auth.js';
import { parseTime } from '../time.js';
import { body, query } from '../validate.js';

export interface SilencesDeps {
  engine: AlertEngine;
  authenticate: Authenticate;
  now: () => number;
}

const label = z.string().trim().min(1).max(100);
const timeInput = z.union([z.string().trim().min(1), z.number().int().nonnegative()]);
const MATCH_KEYS = 'domain, type, deviceId, district, ruleId';

const newSilenceSchema = z.strictObject({
  match: z
    .strictObject({ domain: label.optional(), type: label.optional(), deviceId: label.optional(), district: label.optional(), ruleId: label.optional() })
    .refine((m) => Object.values(m).some((v) => v !== undefined), `name at least one of ${MATCH_KEYS}`),
  from: timeInput.optional(),
  to: timeInput,
  reason: z.string().trim().min(1).max(500),
});

const listSchema = z.object({
  // current: in force now or still to come (the default); active: in force now; expired; all.
  state: z.enum(['current', 'active', 'expired', 'all']).default('current'),
});

/** Maintenance windows: viewers read, operators create and end them. */
export function silencesRouter(deps: SilencesDeps): Router {
  const { engine, authenticate, now } = deps;
  const router = Router();
  const viewer = requireRole(authenticate, 'viewer');
  const operator = requireRole(authenticate, 'operator');

  // RFC 3339, epoch ms, `now`, a past relative time (`-1h`) or a future one (`+2h`).
  const time = (v: string | number, field: string, t: number): number => {
    if (typeof v === 'number') return v;
    if (v.startsWith('+')) {
      try { return t + parseDuration(v.slice(1)); } catch { /* reported below */ }
    }
    const parsed = parseTime(v, t);
    if (parsed === undefined) throw new AppError('bad_request', `body ${field}: use RFC 3339 (2026-01-31T12:00:00Z), epoch ms, now, or a relative time like +2h`);
    return parsed;
  };

  router.get('/silences', viewer, (req, res) => {
    const { state } = query(req, listSchema);
    const t = now();
    const keep = {
      current: (s: { to: number }) => s.to > t,
      active: (s: { from: number; to: number }) => s.from <= t && t < s.to,
      expired: (s: { to: number }) => s.to <= t,
      all: () => true,
    }[state];
    res.json({ items: engine.listSilences().filter(keep).map((s) => silenceView(s, t)) });
  });

  router.get('/silences/:id', viewer, (req, res) => {
    const s = engine.getSilence(String(req.params.id));
    if (!s) throw notFound(`silence ${req.params.id}`);
    res.json(silenceView(s, now()));
  });

  router.post('/silences', operator, (req, res) => {
    const input = body(req, newSilenceSchema);
    const t = now();
    const from = input.from === undefined ? t : time(input.from, 'from', t);
    const to = time(input.to, 'to', t);
    if (to <= from) throw new AppError('bad_request', 'body to: must be after from');
    if (to <= t) throw new AppError('bad_request', 'body to: is in the past');
    const match = Object.fromEntries(Object.entries(input.match).filter(([, v]) => v !== undefined));
    const silence = engine.createSilence({ match, from, to, reason: input.reason }, req.principal!.name);
    res.status(201).location(`/api/silences/${silence.id}`).json(silenceView(silence, t));
  });

  router.delete('/silences/:id', operator, (req, res) => {
    engine.deleteSilence(String(req.params.id));
    res.status(204).end();
  });

  return router;
}
