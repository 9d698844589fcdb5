import { z } from 'zod';
import { parseRfc3339 } from '../core/index.js';
import { badRequestData } from './problem.js';

const text = z.string().trim().min(1, 'must not be empty');
const flag = z.enum(['true', 'false']);

/** GET /ngsi-ld/v1/entities: what section 13 of the contract names, and nothing else (a typo is a 400). */
export const entitiesQuery = z.strictObject({
  type: text.optional(),
  id: text.optional(),
  attrs: text.optional(),
  q: text.optional(),
  georel: text.optional(),
  geometry: text.optional(),
  coordinates: text.optional(),
  geoproperty: text.optional(),
  limit: z.coerce.number().int().min(0).max(1000).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  options: text.optional(),
  count: flag.optional(),
});
export type EntitiesQuery = z.output<typeof entitiesQuery>;

export const entityQuery = z.strictObject({ attrs: text.optional(), options: text.optional() });

export const typesQuery = z.strictObject({ details: flag.optional() });

export const AGGR_METHODS = { avg: 'mean', min: 'min', max: 'max', sum: 'sum', totalCount: 'count' } as const;
export type AggrMethod = keyof typeof AGGR_METHODS;

export const temporalQuery = z.strictObject({
  timerel: z.enum(['before', 'after', 'between']).optional(),
  timeAt: text.optional(),
  endTimeAt: text.optional(),
  attrs: text.optional(),
  lastN: z.coerce.number().int().min(1).max(10_000).optional(),
  aggrMethods: text.optional(),
  aggrPeriodDuration: text.optional(),
  options: text.optional(),
});
export type TemporalQuery = z.output<typeof temporalQuery>;

/** Validates a query string; a failure is a BadRequestData that names the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const r = schema.safeParse(query);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw badRequestData(`query ${issue.keys.join(', ')}: not a parameter of this operation (docs/ngsi-ld.md)`);
  const field = issue.path.join('.') || 'query';
  const message = issue.code === 'invalid_type' && issue.expected === 'string' ? 'give it once, as text' : issue.message;
  throw badRequestData(`query ${field}: ${message}`);
}

/** A comma-separated list (`type=A,B`). */
export const list = (s: string | undefined): string[] | undefined => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

/** The `options` of a request: each must be one the operation knows. */
export function parseOptions(s: string | undefined, known: readonly string[]): Set<string> {
  const given = list(s) ?? [];
  const unknown = given.filter((o) => !known.includes(o));
  if (unknown.length) throw badRequestData(`query options: ${unknown.join(', ')} not supported here (use ${known.join(', ')})`);
  return new Set(given);
}

/** An RFC 3339 time of a query parameter, as epoch ms. */
export function queryTime(value: string, field: string): number {
  const t = parseRfc3339(value);
  if (t === undefined) throw badRequestData(`query ${field}: ${JSON.stringify(value)} is not an RFC 3339 time (2026-01-31T12:00:00Z)`);
  return t;
}

/** An ISO 8601 duration of fixed length (weeks, days, hours, minutes, seconds: `PT1H`, `P1D`) in ms. */
export function isoDurationMs(value: string, field: string): number {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  const ms = m && value !== 'P' && !value.endsWith('T')
    ? (((Number(m[1] ?? 0) * 7 + Number(m[2] ?? 0)) * 24 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 60_000 + Number(m[5] ?? 0) * 1000
    : undefined;
  if (ms === undefined || ms < 1000) throw badRequestData(`query ${field}: ${JSON.stringify(value)} is not an ISO 8601 duration of at least a second in weeks, days, hours, minutes or seconds (PT1H, P1D)`);
  return ms;
}
