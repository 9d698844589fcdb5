import { badRequest } from '../core/index.js';
import { AGGREGATES, type Aggregate, type HistoryQuery, type ScanQuery } from './ports.js';

/** Aggregates that make sense on a boolean metric (the others are refused by every adapter alike). */
const BOOLEAN_AGGREGATES: readonly Aggregate[] = ['count', 'last'];

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n);
}

/**
 * Checks a history query before any adapter turns it into SQL or InfluxQL: integers where numbers are
 * spliced, a known aggregate with `every`. Throws AppError `bad_request`.
 */
export function checkHistoryQuery(q: HistoryQuery): void {
  if (typeof q.deviceId !== 'string' || typeof q.metric !== 'string') throw badRequest('deviceId and metric must be strings');
  if (!isInt(q.from) || !isInt(q.to)) throw badRequest('from and to must be integer epoch milliseconds');
  if (!isInt(q.limit) || q.limit < 1) throw badRequest('limit must be a positive integer');
  if (q.every === undefined) {
    if (q.agg !== undefined) throw badRequest('agg needs every');
    return;
  }
  if (!isInt(q.every) || q.every < 1) throw badRequest('every must be a positive integer of milliseconds');
  if (q.agg === undefined || !AGGREGATES.includes(q.agg)) throw badRequest(`agg must be one of ${AGGREGATES.join(', ')}`);
}

/** Refuses an aggregate that a boolean metric has no answer for (mean, min, max, sum). */
export function checkBooleanAggregate(q: HistoryQuery, metricIsBoolean: boolean): void {
  if (metricIsBoolean && q.agg !== undefined && !BOOLEAN_AGGREGATES.includes(q.agg)) {
    throw badRequest(`metric ${q.metric} is boolean: use agg ${BOOLEAN_AGGREGATES.join(' or ')}, not ${q.agg}`);
  }
}

/** True when the query needs to know whether its metric is boolean before it runs. */
export function needsKindCheck(q: HistoryQuery): boolean {
  return q.agg !== undefined && !BOOLEAN_AGGREGATES.includes(q.agg);
}

/** Checks a scan (a page of whole readings) before an adapter splices its numbers. Throws AppError `bad_request`. */
export function checkScanQuery(q: ScanQuery): void {
  if (typeof q.deviceId !== 'string') throw badRequest('deviceId must be a string');
  if (!isInt(q.from) || !isInt(q.to)) throw badRequest('from and to must be integer epoch milliseconds');
  if (!isInt(q.limit) || q.limit < 1) throw badRequest('limit must be a positive integer');
}
