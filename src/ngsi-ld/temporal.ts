import type { Aggregate, HistoryQuery, Point, ReadingStore } from '../storage/index.js';
import { shownValue, type Modelled } from './entities.js';
import { AGGR_METHODS, isoDurationMs, list, parseOptions, queryTime, type AggrMethod, type TemporalQuery } from './params.js';
import { badRequestData, tooManyResults } from './problem.js';

/** Most instances (raw points or buckets) one attribute's history holds in an answer, as GET /api/devices/{id}/readings. */
export const MAX_INSTANCES = 10_000;
/** The range without `timerel`: the last hour, as the history API's default. */
const DEFAULT_RANGE_MS = 3_600_000;

interface TemporalRequest {
  from: number;
  to: number;
  /** Metric → attribute, the ones asked for. */
  metrics: [string, Modelled['model']['attributes'][string]][];
  /** The metrics whose values are true/false: only `totalCount` aggregates them (the store refuses the rest). */
  booleans: ReadonlySet<string>;
  lastN?: number;
  aggregate?: { every: number; methods: AggrMethod[] };
  temporalValues: boolean;
}

/** The time range of a temporal query ([from, to), epoch ms) from `timerel`, `timeAt` and `endTimeAt`. */
function range(q: TemporalQuery, now: number): { from: number; to: number } {
  if (q.timerel === undefined) {
    if (q.timeAt !== undefined || q.endTimeAt !== undefined) throw badRequestData('query timerel: required with timeAt (before, after or between)');
    return { from: now - DEFAULT_RANGE_MS, to: now };
  }
  if (q.timeAt === undefined) throw badRequestData(`query timeAt: required with timerel=${q.timerel}`);
  const at = queryTime(q.timeAt, 'timeAt');
  if (q.timerel === 'before') return { from: 0, to: at };
  if (q.timerel === 'after') {
    if (at >= now) throw badRequestData('query timeAt: with timerel=after it must lie in the past');
    return { from: at, to: now };
  }
  if (q.endTimeAt === undefined) throw badRequestData('query endTimeAt: required with timerel=between');
  const end = queryTime(q.endTimeAt, 'endTimeAt');
  if (end <= at) throw badRequestData('query endTimeAt: must be after timeAt');
  return { from: at, to: end };
}

/** A temporal query read against a device's model: the range, the metrics, lastN or the aggregation. */
export function temporalRequest(q: TemporalQuery, m: Modelled, now: number): TemporalRequest {
  const options = parseOptions(q.options, ['temporalValues', 'aggregatedValues']);
  const { from, to } = range(q, now);
  const all = Object.entries(m.model.attributes);
  const asked = list(q.attrs);
  const unknown = asked?.filter((a) => !all.some(([, spec]) => spec.name === a)) ?? [];
  if (unknown.length) {
    throw badRequestData(`query attrs: ${unknown.join(', ')} not an attribute with history of ${m.model.type} (it has ${all.map(([, s]) => s.name).join(', ')})`);
  }
  const metrics = asked ? all.filter(([, spec]) => asked.includes(spec.name)) : all;
  const booleans = new Set([...m.sensor.metrics.values()].filter((x) => x.kind === 'boolean').map((x) => x.name));
  const methods = list(q.aggrMethods);
  if (!methods) {
    if (q.aggrPeriodDuration !== undefined || options.has('aggregatedValues')) throw badRequestData('query aggrMethods: required to aggregate (avg, min, max, sum, totalCount)');
    return { from, to, metrics, booleans, lastN: q.lastN, temporalValues: options.has('temporalValues') };
  }
  const bad = methods.filter((x) => !(x in AGGR_METHODS));
  if (bad.length) throw badRequestData(`query aggrMethods: ${bad.join(', ')} not supported (use ${Object.keys(AGGR_METHODS).join(', ')})`);
  if (q.aggrPeriodDuration === undefined) throw badRequestData('query aggrPeriodDuration: required with aggrMethods (an ISO 8601 duration such as PT1H)');
  if (q.lastN !== undefined) throw badRequestData('query lastN: not with aggrMethods');
  const every = isoDurationMs(q.aggrPeriodDuration, 'aggrPeriodDuration');
  if ((to - from) / every > MAX_INSTANCES) {
    throw tooManyResults(`more than ${MAX_INSTANCES} periods of ${q.aggrPeriodDuration} in the range: narrow timeAt/endTimeAt or lengthen aggrPeriodDuration`);
  }
  return { from, to, metrics, booleans, aggregate: { every, methods: methods as AggrMethod[] }, temporalValues: false };
}

/** Raw points of a range, the first MAX_INSTANCES; more is a TooManyResults. */
async function raw(store: ReadingStore, q: Omit<HistoryQuery, 'limit'>): Promise<Point[]> {
  const points = await store.query({ ...q, limit: MAX_INSTANCES + 1 });
  if (points.length > MAX_INSTANCES) throw tooManyResults(`more than ${MAX_INSTANCES} values of ${q.metric} in the range: narrow timeAt/endTimeAt, or use lastN or aggrMethods`);
  return points;
}

/** The newest `n` points of a range: windows read backwards from `to`, each at most MAX_INSTANCES points. */
async function newest(store: ReadingStore, q: Omit<HistoryQuery, 'limit'>, n: number): Promise<Point[]> {
  let found: Point[] = [];
  let end = q.to;
  let width = 3_600_000;
  while (found.length < n && end > q.from) {
    const start = Math.max(q.from, end - width);
    const points = await store.query({ ...q, from: start, to: end, limit: MAX_INSTANCES + 1 });
    if (points.length > MAX_INSTANCES && width > 1) {
      width = Math.max(1, Math.floor(width / 8)); // too dense: read a narrower window
      continue;
    }
    found = [...points, ...found];
    end = start;
    width *= 4;
  }
  return found.slice(-n);
}

const iso = (t: number) => new Date(t).toISOString();

/** The temporal representation of a device's history (normalized, temporalValues, or aggregated). */
export async function temporalAttributes(store: ReadingStore, deviceId: string, r: TemporalRequest): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [metric, spec] of r.metrics) {
    const base = { deviceId, metric, from: r.from, to: r.to };
    const unit = spec.unitCode ? { unitCode: spec.unitCode } : {};
    if (r.aggregate) {
      const { every, methods } = r.aggregate;
      const attr: Record<string, unknown> = { type: 'Property', ...unit };
      for (const method of methods) {
        if (r.booleans.has(metric) && method !== 'totalCount') continue;
        const agg: Aggregate = AGGR_METHODS[method];
        const buckets = await store.query({ ...base, every, agg, limit: MAX_INSTANCES + 1 });
        // A count is a number of values, in no unit and never scaled.
        attr[method] = buckets.map((p) => [method === 'totalCount' ? p.v : shownValue(p.v, spec), iso(p.t), iso(p.t + every)]);
      }
      out[spec.name] = attr;
      continue;
    }
    const points = r.lastN !== undefined ? await newest(store, base, r.lastN) : await raw(store, base);
    if (!points.length) continue;
    out[spec.name] = r.temporalValues
      ? { type: 'Property', ...unit, values: points.map((p) => [shownValue(p.v, spec), iso(p.t)]) }
      : points.map((p) => ({ type: 'Property', value: shownValue(p.v, spec), observedAt: iso(p.t), ...unit }));
  }
  return out;
}
