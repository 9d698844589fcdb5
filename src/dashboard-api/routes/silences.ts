import type { Request } from 'express';
import { AppError, isDateMs, notFound } from '../../core/index.js';
import { silenceView, type AlertEngine } from '../../alerts/index.js';
import { creditOf } from '../auth.js';
import type { ApiDefinition } from '../define.js';
import { list, newSilenceSchema, silenceListQuery, silenceSchema, type SilenceMatch } from '../schemas/index.js';
import { inScope, type Scoped } from '../scope.js';
import { parseTime } from '../time.js';

export interface SilencesDeps {
  engine: AlertEngine;
  now: () => number;
  /** Device lookup: a silence of one device lies in a scope when its device does. Absent: scopes are not applied to silences. */
  devices?: { get(id: string): Scoped | undefined };
}

/** Maintenance windows: viewers read, operators create and end them. */
export function silencesRoutes(api: ApiDefinition, deps: SilencesDeps) {
  const { engine, now } = deps;
  const { router, op } = api.router('/api');

  /** A silence lies in a scope when everything it can silence does: one device in it, or the scope's domain and district. */
  const inside = (req: Request, match: SilenceMatch): boolean => {
    const scope = req.principal?.scope;
    if (!scope) return true;
    if (match.deviceId !== undefined) {
      const d = deps.devices?.get(match.deviceId);
      return d !== undefined && inScope(scope, d);
    }
    if (scope.domains && (match.domain === undefined || !scope.domains.includes(match.domain))) return false;
    if (scope.districts && (match.district === undefined || !scope.districts.includes(match.district))) return false;
    return true;
  };

  // RFC 3339, epoch ms, `now`, a past relative time (`-1h`) or a future one (`+2h`).
  const time = (v: string | number, field: string, t: number): number => {
    const parsed = typeof v === 'number' ? (isDateMs(v) ? v : undefined) : parseTime(v, t, true);
    if (parsed === undefined) throw new AppError('bad_request', `body ${field}: use RFC 3339 (2026-01-31T12:00:00Z), epoch ms, now, or a relative time like +2h, up to the year 275760`);
    return parsed;
  };

  op(
    { method: 'get', path: '/api/silences', tag: 'silences', summary: 'List silences (maintenance windows)', role: 'viewer', query: silenceListQuery,
      description: '`current` (default): in force now or still to come; `active`: in force now; `expired`; `all`.',
      responses: { 200: { description: 'the silences', schema: list(silenceSchema) } } },
    (req, res, { query: { state } }) => {
    const t = now();
    const keep = {
      current: (s: { to: number }) => s.to > t,
      active: (s: { from: number; to: number }) => s.from <= t && t < s.to,
      expired: (s: { to: number }) => s.to <= t,
      all: () => true,
    }[state];
    res.json({ items: engine.listSilences().filter((s) => keep(s) && inside(req, s.match)).map((s) => silenceView(s, t)) });
  });

  op(
    { method: 'get', path: '/api/silences/{id}', tag: 'silences', summary: 'One silence', role: 'viewer',
      responses: { 200: { description: 'the silence', schema: silenceSchema } }, errors: [404] },
    (req, res, { params }) => {
    const s = engine.getSilence(params.id!);
    if (!s || !inside(req, s.match)) throw notFound(`silence ${params.id}`);
    res.json(silenceView(s, now()));
  });

  op(
    { method: 'post', path: '/api/silences', tag: 'silences', summary: 'Create a silence', role: 'operator', body: newSilenceSchema,
      description: 'Matching alerts are still recorded but carry `silenced: true` and are not pushed as `alert:fired`. Times: RFC 3339, epoch ms, `now`, or relative (`-1h`, `+2h`).',
      responses: { 201: { description: 'created', schema: silenceSchema } } },
    (req, res, { body: input }) => {
    const t = now();
    const from = input.from === undefined ? t : time(input.from, 'from', t);
    const to = time(input.to, 'to', t);
    if (to <= from) throw new AppError('bad_request', 'body to: must be after from');
    if (to <= t) throw new AppError('bad_request', 'body to: is in the past');
    const match = Object.fromEntries(Object.entries(input.match).filter(([, v]) => v !== undefined));
    if (!inside(req, match)) {
      throw new AppError('forbidden', `body match: a silence must lie inside your scope (${JSON.stringify(req.principal!.scope)}): name its domain and district, or one device of it`, 403);
    }
    const silence = engine.createSilence({ match, from, to, reason: input.reason }, creditOf(req.principal!));
    res.status(201).location(`/api/silences/${silence.id}`).json(silenceView(silence, t));
  });

  op(
    { method: 'delete', path: '/api/silences/{id}', tag: 'silences', summary: 'End a silence now', role: 'operator',
      responses: { 204: { description: 'deleted' } }, errors: [404] },
    (req, res, { params }) => {
    const s = engine.getSilence(params.id!);
    if (s && !inside(req, s.match)) throw notFound(`silence ${params.id}`);
    engine.deleteSilence(params.id!);
    res.status(204).end();
  });

  return router;
}
